import { describe, expect, test } from 'bun:test'
import { toResponse } from '../../../src/translation/responses-over-chat/response'
import { toChatRequest } from '../../../src/translation/responses-over-chat/request'
import type { OpenAICompletion } from '../../../src/apis/openai-chat/wire'
import type { ResponsesRequest } from '../../../src/apis/openai-responses/wire'

const request: ResponsesRequest = {
  model: 'gpt-5-test',
  instructions: 'Be brief.',
  input: 'hi',
  tools: [
    { type: 'function', name: 'get_weather', parameters: { type: 'object' } },
    { type: 'namespace', name: 'multi_agent_v1', description: 'agents', tools: [{ type: 'function', name: 'spawn_agent' }] },
    { type: 'custom', name: 'apply_patch', format: { type: 'grammar', syntax: 'lark', definition: 'start: x' } },
  ],
  max_output_tokens: 100,
  metadata: { a: 'b' },
}
const { tools } = toChatRequest(request, { model: 'gpt-5' })
const opts = { model: 'gpt-5-test', tools, request }

const completion = (
  message: Partial<OpenAICompletion['choices'][number]['message']>,
  finish_reason = 'stop',
  usage?: object,
): OpenAICompletion => ({
  id: 'chatcmpl-abc',
  object: 'chat.completion',
  created: 1_700_000_000,
  model: 'upstream-model',
  choices: [{ index: 0, message: { role: 'assistant', content: null, ...message }, finish_reason }],
  usage: (usage ?? {
    prompt_tokens: 30,
    completion_tokens: 12,
    total_tokens: 42,
    prompt_tokens_details: { cached_tokens: 10 },
    completion_tokens_details: { reasoning_tokens: 5 },
  }) as OpenAICompletion['usage'],
})

describe('Chat completion → Responses response', () => {
  test('reasoning, text, usage; the request settings echoed', () => {
    const res = toResponse(completion({ content: 'Hello!', reasoning_content: 'The user greets.' }), opts)
    expect(res).toMatchObject({
      id: 'resp_abc',
      object: 'response',
      created_at: 1_700_000_000,
      status: 'completed',
      error: null,
      incomplete_details: null,
      model: 'gpt-5-test',
      output: [
        { type: 'reasoning', id: 'rs_abc_0', summary: [{ type: 'summary_text', text: 'The user greets.' }] },
        {
          type: 'message',
          id: 'msg_abc_1',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'Hello!', annotations: [] }],
        },
      ],
      usage: {
        input_tokens: 30,
        input_tokens_details: { cached_tokens: 10 },
        output_tokens: 12,
        output_tokens_details: { reasoning_tokens: 5 },
        total_tokens: 42,
      },
      instructions: 'Be brief.',
      metadata: { a: 'b' },
      max_output_tokens: 100,
      tools: request.tools,
      tool_choice: 'auto',
      parallel_tool_calls: true,
      store: false,
    })
  })

  test('tool calls: plain, namespaced (named back), custom (input unwrapped), empty arguments as "{}"', () => {
    const res = toResponse(
      completion(
        {
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_2', type: 'function', function: { name: 'multi_agent_v1__spawn_agent', arguments: '' } },
            { id: 'call_3', type: 'function', function: { name: 'apply_patch', arguments: '{"input":"*** Begin Patch\\n"}' } },
            { id: 'call_4', type: 'function', function: { name: 'apply_patch', arguments: '*** not json' } },
          ],
        },
        'tool_calls',
      ),
      opts,
    )
    expect(res.status).toBe('completed')
    expect(res.output).toEqual([
      { type: 'function_call', id: 'fc_abc_0', status: 'completed', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      {
        type: 'function_call',
        id: 'fc_abc_1',
        status: 'completed',
        call_id: 'call_2',
        name: 'spawn_agent',
        namespace: 'multi_agent_v1',
        arguments: '{}',
      },
      {
        type: 'custom_tool_call',
        id: 'ctc_abc_2',
        status: 'completed',
        call_id: 'call_3',
        name: 'apply_patch',
        input: '*** Begin Patch\n',
      },
      { type: 'custom_tool_call', id: 'ctc_abc_3', status: 'completed', call_id: 'call_4', name: 'apply_patch', input: '*** not json' },
    ])
  })

  test('length → incomplete (max_output_tokens); content_filter → incomplete (content_filter)', () => {
    expect(toResponse(completion({ content: 'Cut' }, 'length'), opts)).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'max_output_tokens' },
    })
    expect(toResponse(completion({ content: '' }, 'content_filter'), opts)).toMatchObject({
      status: 'incomplete',
      incomplete_details: { reason: 'content_filter' },
      output: [],
    })
  })

  test('a refusal is the text; no usage, no usage field; cached tokens count inside input_tokens', () => {
    const res = toResponse({ ...completion({ refusal: 'I cannot.' }), usage: undefined }, { model: 'm', tools: new Map() })
    expect(res.output).toEqual([
      {
        type: 'message',
        id: 'msg_abc_0',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'I cannot.', annotations: [] }],
      },
    ])
    expect(res).not.toHaveProperty('usage')
    expect(res).toMatchObject({
      instructions: null,
      metadata: null,
      tools: [],
      temperature: null,
      top_p: null,
      text: { format: { type: 'text' } },
    })
  })
})
