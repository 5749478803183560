import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { chatToolName, DROPPED_TOOL_TYPES, RequestRefused, toChatRequest } from '../../../src/translation/responses-over-chat/request'
import { toAnthropicRequest } from '../../../src/translation/chat-over-messages/request'
import { checkResponses } from '../../../src/apis/openai-responses/inbound'
import type { ResponsesRequest } from '../../../src/apis/openai-responses/wire'

const to = (req: Partial<ResponsesRequest>, model = 'gpt-5') =>
  toChatRequest({ model: 'client-model', ...req } as ResponsesRequest, { model })

/** Codex's first turn, recorded (codex-cli 0.169.0, `codex exec "say hi"`). */
const codex = JSON.parse(readFileSync(new URL('../../fixtures/codex/request.json', import.meta.url), 'utf8')) as { body: ResponsesRequest }

/** Codex's freeform apply_patch tool, as it sends it when the model takes patches as text (not in the read-only recording). */
const applyPatch = {
  type: 'custom',
  name: 'apply_patch',
  description: 'Use the `apply_patch` tool to edit files.',
  format: { type: 'grammar', syntax: 'lark', definition: 'start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF' },
}

describe('Codex first turn → Chat request', () => {
  const body = { ...codex.body, tools: [...(codex.body.tools ?? []), applyPatch] } as ResponsesRequest
  const { request, tools } = toChatRequest(body, { model: 'gpt-5' })

  test('the inbound schema accepts it', () => {
    expect(checkResponses.Check(codex.body)).toBe(true)
    expect(checkResponses.Check({ model: '' })).toBe(false)
    expect(checkResponses.Check({ model: 'm', input: 3 })).toBe(false)
    expect(checkResponses.Check({ model: 'm', input: 'hi', stream: true, anything: 1 })).toBe(true)
  })

  test('function tools kept, the namespace flattened, apply_patch one string, web_search dropped', () => {
    const names = request.tools!.map((t) => t.function.name)
    expect(names).toEqual([
      'exec_command',
      'write_stdin',
      'request_user_input',
      'view_image',
      'multi_agent_v1__close_agent',
      'multi_agent_v1__resume_agent',
      'multi_agent_v1__send_input',
      'multi_agent_v1__spawn_agent',
      'multi_agent_v1__wait_agent',
      'get_goal',
      'create_goal',
      'update_goal',
      'apply_patch',
    ])
    const exec = (codex.body.tools as any[]).find((t) => t.name === 'exec_command')
    expect(request.tools![0]).toEqual({
      type: 'function',
      function: { name: 'exec_command', description: exec.description, parameters: exec.parameters },
    })
    expect(tools.get('multi_agent_v1__spawn_agent')).toEqual({ kind: 'function', name: 'spawn_agent', namespace: 'multi_agent_v1' })
    expect(tools.get('apply_patch')).toEqual({ kind: 'custom', name: 'apply_patch' })
    expect(tools.get('exec_command')).toEqual({ kind: 'function', name: 'exec_command' })
    const patch = request.tools!.at(-1)!.function
    expect(patch.parameters).toEqual({
      type: 'object',
      properties: { input: { type: 'string', description: 'The raw text input of the tool.' } },
      required: ['input'],
      additionalProperties: false,
    })
    expect(patch.description).toContain('Use the `apply_patch` tool to edit files.')
    expect(patch.description).toContain('lark grammar:\nstart: begin_patch hunk+ end_patch')
    expect(DROPPED_TOOL_TYPES.web_search).toBeDefined()
    expect(request.tool_choice).toBe('auto')
    expect(request.parallel_tool_calls).toBe(true)
  })

  test('developer messages become system messages in place; user items keep their parts', () => {
    const input = codex.body.input as any[]
    expect(request.messages.map((m) => m.role)).toEqual(['system', 'system', 'user', 'user'])
    expect(request.messages[0].content).toBe(input[0].content[0].text)
    expect(request.messages[1].content).toBe(`${input[1].content[0].text}\n\n${input[1].content[1].text}`)
    expect(request.messages[3].content).toEqual([{ type: 'text', text: 'say hi' }])
  })

  test('settings: streaming with usage, cache key kept; store, include, client_metadata, reasoning.summary dropped', () => {
    expect(request).toMatchObject({
      model: 'gpt-5',
      stream: true,
      stream_options: { include_usage: true },
      prompt_cache_key: codex.body.prompt_cache_key,
    })
    for (const field of ['store', 'include', 'client_metadata', 'reasoning', 'reasoning_effort', 'metadata', 'input', 'instructions'])
      expect(request).not.toHaveProperty(field)
  })

  test('chained on to Anthropic: system joined, tools and the turn intact', () => {
    const anthropic = toAnthropicRequest(request, { model: 'claude-sonnet-4-5' })
    expect(anthropic.system).toContain('You are a coding agent running in the Codex CLI')
    expect(anthropic.messages).toHaveLength(1)
    expect(anthropic.tools!.map((t) => t.name)).toContain('multi_agent_v1__spawn_agent')
    expect(anthropic.stream).toBe(true)
  })
})

describe('Responses request → Chat request', () => {
  test('instructions lead; a string input is one user message', () => {
    expect(to({ instructions: 'Be brief.', input: 'hi' }).request.messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ])
  })

  test('messages with and without `type`, images by URL, assistant history as text', () => {
    const { messages } = to({
      input: [
        { role: 'user', content: 'plain' },
        {
          type: 'message',
          role: 'user',
          content: [
            { type: 'input_text', text: 'What is this?' },
            { type: 'input_image', image_url: 'data:image/png;base64,iVBOR', detail: 'low' },
          ],
        },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'A cat.', annotations: [] }] },
        { role: 'system', content: [{ type: 'input_text', text: 'sys' }] },
      ],
    }).request
    expect(messages).toEqual([
      { role: 'user', content: 'plain' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR', detail: 'low' } },
        ],
      },
      { role: 'assistant', content: 'A cat.' },
      { role: 'system', content: 'sys' },
    ])
  })

  test('a tool round trip: text and consecutive calls in one assistant message, outputs as tool messages', () => {
    const { messages } = to({
      tools: [{ type: 'function', name: 'get_weather', parameters: { type: 'object' } }],
      input: [
        { role: 'user', content: 'Weather in Paris and Rome?' },
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'thinking' }], encrypted_content: 'gAAA' },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Checking.' }] },
        { type: 'function_call', id: 'fc_1', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call', id: 'fc_2', call_id: 'call_2', name: 'get_weather', arguments: '' },
        { type: 'function_call_output', call_id: 'call_1', output: 'sunny' },
        {
          type: 'function_call_output',
          call_id: 'call_2',
          output: [
            { type: 'input_text', text: 'rain' },
            { type: 'input_image', image_url: 'https://x/radar.png' },
          ],
        },
        { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Sunny, then rain.' }] },
      ],
    }).request
    expect(messages).toEqual([
      { role: 'user', content: 'Weather in Paris and Rome?' },
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'get_weather', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      { role: 'tool', tool_call_id: 'call_2', content: 'rain' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Images returned by tool call call_2:' },
          { type: 'image_url', image_url: { url: 'https://x/radar.png' } },
        ],
      },
      { role: 'assistant', content: 'Sunny, then rain.' },
    ])
  })

  test('namespace and custom calls in history are named as the tool list names them', () => {
    const { messages } = to({
      tools: [{ type: 'namespace', name: 'ns', tools: [{ type: 'function', name: 'f' }] }, applyPatch] as any,
      input: [
        { type: 'function_call', call_id: 'c1', name: 'f', namespace: 'ns', arguments: '{}' },
        { type: 'custom_tool_call', call_id: 'c2', name: 'apply_patch', input: '*** Begin Patch\n' },
        { type: 'function_call_output', call_id: 'c1', output: 'ok' },
        { type: 'custom_tool_call_output', call_id: 'c2', output: 'Done!' },
      ],
    }).request
    expect(messages).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'c1', type: 'function', function: { name: 'ns__f', arguments: '{}' } },
          { id: 'c2', type: 'function', function: { name: 'apply_patch', arguments: '{"input":"*** Begin Patch\\n"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'c1', content: 'ok' },
      { role: 'tool', tool_call_id: 'c2', content: 'Done!' },
    ])
  })

  test('item_reference: resolved against an earlier item, refused when it names none (lmlb resolves its own before)', () => {
    const { messages } = to({
      input: [
        { type: 'message', id: 'msg_1', role: 'user', content: 'hi' },
        { type: 'item_reference', id: 'msg_1' },
      ],
    }).request
    expect(messages).toEqual([
      { role: 'user', content: 'hi' },
      { role: 'user', content: 'hi' },
    ])
    expect(() => to({ input: [{ type: 'item_reference', id: 'rs_abc' }] })).toThrow(RequestRefused)
    expect(() => to({ input: [{ type: 'item_reference', id: 'rs_abc' }] })).toThrow(
      /"rs_abc" names no item earlier in this request nor one lmlb made/,
    )
  })

  test('previous_response_id and server-side state are refused', () => {
    expect(() => to({ previous_response_id: 'resp_1', input: 'more' })).toThrow(
      'previous_response_id "resp_1" is a response lmlb did not make: only the service that made it can continue it; send the whole conversation in input',
    )
    expect(() => to({ conversation: 'conv_1' })).toThrow(RequestRefused)
  })

  test('images and files the upstream cannot fetch are refused', () => {
    expect(() => to({ input: [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1' }] }] })).toThrow(/file_id/)
    expect(() => to({ input: [{ role: 'user', content: [{ type: 'input_audio', input_audio: {} }] }] })).toThrow(RequestRefused)
    expect(
      to({ input: [{ role: 'user', content: [{ type: 'input_file', file_data: 'data:application/pdf;base64,JVBE', filename: 'a.pdf' }] }] })
        .request.messages[0].content,
    ).toEqual([{ type: 'file', file: { file_data: 'data:application/pdf;base64,JVBE', filename: 'a.pdf' } }])
  })

  test('settings map to Chat names', () => {
    const { request } = to({
      input: 'x',
      max_output_tokens: 500,
      temperature: 0.2,
      top_p: 0.9,
      reasoning: { effort: 'high', summary: 'auto' },
      text: { format: { type: 'json_schema', name: 'out', schema: { type: 'object' }, strict: true } },
      user: 'u1',
      metadata: { a: 'b' },
      store: true,
    })
    expect(request).toEqual({
      model: 'gpt-5',
      messages: [{ role: 'user', content: 'x' }],
      max_completion_tokens: 500,
      temperature: 0.2,
      top_p: 0.9,
      reasoning_effort: 'high',
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      user: 'u1',
    })
    expect(to({ input: 'x', max_output_tokens: 500, text: { format: { type: 'json_object' } } }, 'llama-3.3-70b').request).toMatchObject({
      max_tokens: 500,
      response_format: { type: 'json_object' },
    })
    // Both reach Anthropic's max_tokens through chat-over-messages.
    expect(toAnthropicRequest(to({ input: 'x', max_output_tokens: 500 }).request, { model: 'claude' }).max_tokens).toBe(500)
    expect(toAnthropicRequest(to({ input: 'x', max_output_tokens: 500 }, 'llama').request, { model: 'claude' }).max_tokens).toBe(500)
  })

  test('tool_choice: forced tools by their Chat names; built-in choices → auto; none without tools left out', () => {
    const tools = [
      { type: 'function', name: 'a' },
      { type: 'namespace', name: 'ns', tools: [{ type: 'function', name: 'b' }] },
      applyPatch,
      { type: 'web_search' },
    ] as any
    expect(to({ tools, tool_choice: { type: 'function', name: 'a' } }).request.tool_choice).toEqual({
      type: 'function',
      function: { name: 'a' },
    })
    expect(to({ tools, tool_choice: { type: 'function', name: 'b' } }).request.tool_choice).toEqual({
      type: 'function',
      function: { name: 'ns__b' },
    })
    expect(to({ tools, tool_choice: { type: 'custom', name: 'apply_patch' } }).request.tool_choice).toEqual({
      type: 'function',
      function: { name: 'apply_patch' },
    })
    expect(to({ tools, tool_choice: { type: 'web_search_preview' } }).request.tool_choice).toBe('auto')
    expect(to({ tools, tool_choice: 'required', parallel_tool_calls: false }).request).toMatchObject({
      tool_choice: 'required',
      parallel_tool_calls: false,
    })
    const onlyBuiltIn = to({ tools: [{ type: 'web_search' }], tool_choice: 'none', parallel_tool_calls: true }).request
    expect(onlyBuiltIn).not.toHaveProperty('tools')
    expect(onlyBuiltIn).not.toHaveProperty('tool_choice')
    expect(onlyBuiltIn).not.toHaveProperty('parallel_tool_calls')
  })

  test('namespace names that break the 64-character rule are shortened the same way every time', () => {
    const long = chatToolName('a_rather_long_tool_name_for_doing_things', 'mcp__some_server_with_a_long_name')
    expect(long).toMatch(/^[a-zA-Z0-9_-]{1,64}$/)
    expect(long).toHaveLength(64)
    expect(long).toBe(chatToolName('a_rather_long_tool_name_for_doing_things', 'mcp__some_server_with_a_long_name'))
    expect(long).not.toBe(chatToolName('a_rather_long_tool_name_for_doing_other_things', 'mcp__some_server_with_a_long_name'))
    expect(chatToolName('get.file', 'fs')).toMatch(/^fs__get_file_[0-9a-f]{8}$/)
    const { request, tools } = to({
      tools: [
        {
          type: 'namespace',
          name: 'mcp__some_server_with_a_long_name',
          tools: [{ type: 'function', name: 'a_rather_long_tool_name_for_doing_things' }],
        },
      ] as any,
    })
    expect(request.tools![0].function.name).toBe(long)
    expect(tools.get(long)).toEqual({
      kind: 'function',
      name: 'a_rather_long_tool_name_for_doing_things',
      namespace: 'mcp__some_server_with_a_long_name',
    })
  })
})
