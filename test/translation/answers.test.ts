import { describe, expect, test } from 'bun:test'
import { UNPARSED_ARGUMENTS } from '../../src/apis/openai-chat/tool-arguments'
import { toAnthropicResponse } from '../../src/translation/messages-over-chat/response'
import { translateError } from '../../src/translation/errors'
import { toOpenAIResponse } from '../../src/translation/chat-over-messages/response'
import type { AnthropicMessage } from '../../src/apis/anthropic-messages/wire'
import type { OpenAICompletion } from '../../src/apis/openai-chat/wire'

const completion = (message: object, finish_reason: string | null, usage?: object): OpenAICompletion =>
  ({
    id: 'chatcmpl-xyz',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4.1',
    choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason }],
    usage,
  }) as OpenAICompletion

describe('OpenAI response → Anthropic message', () => {
  test('text, usage with cached tokens, the model the client asked for, an msg_ id', () => {
    const out = toAnthropicResponse(
      completion({ content: 'Hi!' }, 'stop', { prompt_tokens: 100, completion_tokens: 5, prompt_tokens_details: { cached_tokens: 60 } }),
      { model: 'claude-sonnet-4-5' },
    )
    expect(out).toEqual({
      id: 'msg_xyz',
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text: 'Hi!' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { input_tokens: 40, output_tokens: 5, cache_read_input_tokens: 60, cache_creation_input_tokens: 0 },
    })
  })

  test('tool calls → tool_use with parsed input; malformed arguments kept, recoverable', () => {
    const out = toAnthropicResponse(
      completion(
        {
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } },
            { id: 'call_2', type: 'function', function: { name: 'g', arguments: '{"a":' } },
            { id: 'call_3', type: 'function', function: { name: 'h', arguments: '' } },
          ],
        },
        'tool_calls',
      ),
      { model: 'm' },
    )
    expect(out.content).toEqual([
      { type: 'tool_use', id: 'call_1', name: 'f', input: { a: 1 } },
      { type: 'tool_use', id: 'call_2', name: 'g', input: { [UNPARSED_ARGUMENTS]: '{"a":' } },
      { type: 'tool_use', id: 'call_3', name: 'h', input: {} },
    ])
    expect(out.stop_reason).toBe('tool_use')
  })

  test('reasoning becomes a thinking block first', () => {
    expect(toAnthropicResponse(completion({ content: 'B', reasoning_content: 'A' }, 'stop'), { model: 'm' }).content).toEqual([
      { type: 'thinking', thinking: 'A', signature: '' },
      { type: 'text', text: 'B' },
    ])
  })

  test('finish reasons', () => {
    const reason = (f: string | null, stops?: string[], extra: object = {}) =>
      toAnthropicResponse({ ...completion({ content: 'x END' }, f), ...extra }, { model: 'm', stopSequences: stops })
    expect(reason('length').stop_reason).toBe('max_tokens')
    expect(reason('content_filter').stop_reason).toBe('refusal')
    expect(reason(null).stop_reason).toBe('end_turn')
    expect(reason('stop', ['END'])).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'END' })
    const vllm = completion({ content: 'x' }, 'stop')
    ;(vllm.choices[0] as { stop_reason?: string }).stop_reason = '###'
    expect(toAnthropicResponse(vllm, { model: 'm', stopSequences: ['###'] })).toMatchObject({
      stop_reason: 'stop_sequence',
      stop_sequence: '###',
    })
  })
})

describe('Anthropic message → OpenAI completion', () => {
  const message = (
    content: object[],
    stop_reason: string,
    usage = { input_tokens: 10, output_tokens: 4, cache_read_input_tokens: 5, cache_creation_input_tokens: 2 },
  ): AnthropicMessage =>
    ({
      id: 'msg_abc',
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      content,
      stop_reason,
      stop_sequence: null,
      usage,
    }) as AnthropicMessage

  test('text, tool calls, reasoning, finish reason, usage', () => {
    const out = toOpenAIResponse(
      message(
        [
          { type: 'thinking', thinking: 'plan', signature: 's' },
          { type: 'text', text: 'Sure.' },
          { type: 'tool_use', id: 'toolu_1', name: 'f', input: { x: 1 } },
        ],
        'tool_use',
      ),
      { model: 'anthropic/claude-x' },
    )
    expect(out).toMatchObject({
      id: 'chatcmpl-abc',
      object: 'chat.completion',
      model: 'anthropic/claude-x',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: 'Sure.',
            reasoning_content: 'plan',
            tool_calls: [{ id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '{"x":1}' } }],
          },
          finish_reason: 'tool_calls',
        },
      ],
      usage: { prompt_tokens: 17, completion_tokens: 4, total_tokens: 21, prompt_tokens_details: { cached_tokens: 5 } },
    })
  })

  test('finish reasons', () => {
    const finish = (r: string) => toOpenAIResponse(message([{ type: 'text', text: '' }], r), { model: 'm' }).choices[0].finish_reason
    expect(['end_turn', 'stop_sequence', 'max_tokens', 'tool_use', 'refusal'].map(finish)).toEqual([
      'stop',
      'stop',
      'length',
      'tool_calls',
      'content_filter',
    ])
  })
})

describe('errors across the formats', () => {
  test('an OpenAI error → the Anthropic shape, message kept, status mapped', () => {
    expect(
      translateError(429, '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}', 'messages'),
    ).toEqual({
      status: 429,
      body: { type: 'error', error: { type: 'rate_limit_error', message: 'Rate limit reached' } },
    })
    expect(translateError(503, '{"error":{"message":"busy"}}', 'messages')).toEqual({
      status: 529,
      body: { type: 'error', error: { type: 'overloaded_error', message: 'busy' } },
    })
    for (const [status, type] of [
      [400, 'invalid_request_error'],
      [401, 'authentication_error'],
      [403, 'permission_error'],
      [404, 'not_found_error'],
      [413, 'request_too_large'],
      [500, 'api_error'],
    ] as const) {
      expect(translateError(status, '{"error":{"message":"m"}}', 'messages').body).toEqual({
        type: 'error',
        error: { type, message: 'm' },
      })
    }
  })

  test('an Anthropic error → the OpenAI shape; 529 overloaded becomes 503', () => {
    expect(translateError(529, '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', 'chat')).toEqual({
      status: 503,
      body: { error: { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded_error' } },
    })
    expect(
      translateError(400, '{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too big"}}', 'chat'),
    ).toEqual({
      status: 400,
      body: { error: { message: 'max_tokens: too big', type: 'invalid_request_error', param: null, code: 'invalid_request_error' } },
    })
  })

  test('a body that is not JSON keeps its text as the message', () => {
    expect(translateError(502, 'Bad Gateway', 'messages').body).toEqual({
      type: 'error',
      error: { type: 'api_error', message: 'Bad Gateway' },
    })
  })
})

test('docs/translation.md names every field and tool type translation drops on purpose', async () => {
  const { readFileSync } = await import('node:fs')
  const { DROPPED_ANTHROPIC_FIELDS } = await import('../../src/translation/messages-over-chat/request')
  const { DROPPED_OPENAI_FIELDS } = await import('../../src/translation/chat-over-messages/request')
  const { DROPPED_RESPONSES_FIELDS, DROPPED_TOOL_TYPES } = await import('../../src/translation/responses-over-chat/request')
  const section = readFileSync(new URL('../../docs/translation.md', import.meta.url), 'utf8')
  const dropped = [DROPPED_ANTHROPIC_FIELDS, DROPPED_OPENAI_FIELDS, DROPPED_RESPONSES_FIELDS, DROPPED_TOOL_TYPES].flatMap(Object.keys)
  for (const field of dropped) {
    // docs/translation.md names a family once: `web_search` (and dated variants), `computer_use`, `strict`.
    const word = field
      .split(' ')[0]
      .replace(/_penalty$/, '')
      .replace(/(_preview)?(_\d{4}_\d{2}_\d{2})?$/, '')
      .replace(/^tools\[\]\./, '')
    expect([field, section.includes(word)]).toEqual([field, true])
  }
})
