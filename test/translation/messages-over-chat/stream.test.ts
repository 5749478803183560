/**
 * OpenAI chunk streams → Anthropic events: recorded-style sequences, cut at
 * random byte positions, through the SSE decoder and the state machine.
 * Each way the peers are known to break Claude Code has its own case.
 */
import { describe, expect, test } from 'bun:test'
import { messagesOverChat } from '../../../src/translation/messages-over-chat'
import { createStreamState, finish, onChunk } from '../../../src/translation/messages-over-chat/stream'
import { SseDecoder } from '../../../src/sse/decode'
import type { AnthropicEvent } from '../../../src/apis/anthropic-messages/wire'
import type { OpenAIChunk } from '../../../src/apis/openai-chat/wire'
import { streamFixture, throughPair } from '../../helpers/fixtures'
import { chatChunks, chatStreamText } from '../../helpers/requests'

const chunk = chatChunks({ id: 'chatcmpl-abc', object: 'chat.completion.chunk' })
const usageChunk = (prompt: number, completion: number, cached = 0): OpenAIChunk => ({
  id: 'chatcmpl-abc',
  choices: [],
  usage: { prompt_tokens: prompt, completion_tokens: completion, prompt_tokens_details: { cached_tokens: cached } },
})

/** Runs SSE bytes, cut at the given positions, through decoder and translator. */
function translate(text: string, cuts: number[] = [], opts = { model: 'claude-sonnet-4-5', inputTokensEstimate: 42 }): AnthropicEvent[] {
  const bytes = new TextEncoder().encode(text)
  const state = createStreamState(opts)
  const decoder = new SseDecoder()
  const events: AnthropicEvent[] = []
  const feed = (data: string) => events.push(...(data === '[DONE]' ? finish(state) : onChunk(JSON.parse(data), state)))
  let prev = 0
  for (const cut of [...cuts.sort((a, b) => a - b), bytes.length]) {
    for (const e of decoder.push(bytes.subarray(prev, cut))) feed(e.data)
    prev = cut
  }
  for (const e of decoder.end()) feed(e.data)
  events.push(...finish(state))
  return events
}

/** The same stream cut at random places gives the same events. */
function sameAnyCut(text: string): AnthropicEvent[] {
  const whole = translate(text)
  let seed = 7
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647
  const length = new TextEncoder().encode(text).length
  for (let run = 0; run < 25; run++) {
    const cuts = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => 1 + Math.floor(rand() * (length - 1)))
    expect(translate(text, cuts)).toEqual(whole)
  }
  return whole
}

const shape = (events: AnthropicEvent[]) =>
  events.map((e) => {
    if (e.type === 'content_block_start') return `start ${e.index} ${(e.content_block as { type: string }).type}`
    if (e.type === 'content_block_delta') {
      const d = e.delta as { type: string; text?: string; partial_json?: string; thinking?: string }
      return `delta ${e.index} ${d.type} ${d.text ?? d.partial_json ?? d.thinking}`
    }
    if (e.type === 'content_block_stop') return `stop ${e.index}`
    if (e.type === 'message_delta') return `message_delta ${(e.delta as { stop_reason: string }).stop_reason}`
    return e.type
  })

describe('OpenAI stream → Anthropic events', () => {
  test('text: message_start with the input estimate, one block, usage at the end', () => {
    const events = sameAnyCut(
      chatStreamText([
        chunk({ role: 'assistant', content: '' }),
        chunk({ content: 'Hel' }),
        chunk({ content: 'lo' }),
        chunk({}, 'stop'),
        usageChunk(30, 2, 10),
      ]),
    )
    expect(shape(events)).toEqual([
      'message_start',
      'start 0 text',
      'delta 0 text_delta Hel',
      'delta 0 text_delta lo',
      'stop 0',
      'message_delta end_turn',
      'message_stop',
    ])
    expect(events[0]).toMatchObject({
      message: { id: 'msg_abc', model: 'claude-sonnet-4-5', role: 'assistant', usage: { input_tokens: 42 } },
    })
    expect(events.at(-2)).toMatchObject({ usage: { input_tokens: 20, cache_read_input_tokens: 10, output_tokens: 2 } })
  })

  test('text then tool call: the first chunk of the call carries name and arguments together, none lost (LiteLLM #25321)', () => {
    const events = sameAnyCut(
      chatStreamText([
        chunk({ content: 'Let me check.' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
        chunk({}, 'tool_calls'),
      ]),
    )
    expect(shape(events)).toEqual([
      'message_start',
      'start 0 text',
      'delta 0 text_delta Let me check.',
      'stop 0',
      'start 1 tool_use',
      'delta 1 input_json_delta {"city":',
      'delta 1 input_json_delta "Paris"}',
      'stop 1',
      'message_delta tool_use',
      'message_stop',
    ])
    expect(events[4]).toMatchObject({ content_block: { type: 'tool_use', id: 'call_1', name: 'get_weather', input: {} } })
  })

  test('several tool calls sharing one upstream index are told apart by id', () => {
    const events = sameAnyCut(
      chatStreamText([
        chunk({ tool_calls: [{ index: 0, id: 'call_a', function: { name: 'read', arguments: '{"path":"a"}' } }] }),
        chunk({ tool_calls: [{ index: 0, id: 'call_b', function: { name: 'read', arguments: '{"path":"b"}' } }] }),
        chunk({}, 'tool_calls'),
      ]),
    )
    expect(shape(events)).toEqual([
      'message_start',
      'start 0 tool_use',
      'delta 0 input_json_delta {"path":"a"}',
      'stop 0',
      'start 1 tool_use',
      'delta 1 input_json_delta {"path":"b"}',
      'stop 1',
      'message_delta tool_use',
      'message_stop',
    ])
    expect([events[1], events[4]].map((e) => (e.content_block as { id: string }).id)).toEqual(['call_a', 'call_b'])
  })

  test('a tool call with empty arguments is still a tool_use block (its input stays {})', () => {
    const events = sameAnyCut(
      chatStreamText([
        chunk({ tool_calls: [{ index: 0, id: 'call_x', function: { name: 'list_files', arguments: '' } }] }),
        chunk({}, 'tool_calls'),
      ]),
    )
    expect(shape(events)).toEqual(['message_start', 'start 0 tool_use', 'stop 0', 'message_delta tool_use', 'message_stop'])
  })

  test('arguments before the id and name are kept until the block can start', () => {
    const events = translate(
      chatStreamText([
        chunk({ tool_calls: [{ index: 0, function: { arguments: '{"q":' } }] }),
        chunk({ tool_calls: [{ index: 0, id: 'call_late', function: { name: 'search', arguments: '"x"}' } }] }),
        chunk({}, 'tool_calls'),
      ]),
    )
    expect(shape(events)).toEqual([
      'message_start',
      'start 0 tool_use',
      'delta 0 input_json_delta {"q":',
      'delta 0 input_json_delta "x"}',
      'stop 0',
      'message_delta tool_use',
      'message_stop',
    ])
  })

  test('text after a tool call opens a new text block', () => {
    const events = sameAnyCut(
      chatStreamText([
        chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'f', arguments: '{}' } }] }),
        chunk({ content: 'Done.' }),
        chunk({}, 'stop'),
      ]),
    )
    expect(shape(events)).toEqual([
      'message_start',
      'start 0 tool_use',
      'delta 0 input_json_delta {}',
      'stop 0',
      'start 1 text',
      'delta 1 text_delta Done.',
      'stop 1',
      'message_delta tool_use',
      'message_stop',
    ])
  })

  test('a stream that ends with no finish_reason and no [DONE] still ends properly', () => {
    const events = sameAnyCut(chatStreamText([chunk({ content: 'partial' })], false))
    expect(shape(events)).toEqual([
      'message_start',
      'start 0 text',
      'delta 0 text_delta partial',
      'stop 0',
      'message_delta end_turn',
      'message_stop',
    ])
    expect(events.at(-2)).toMatchObject({ usage: { output_tokens: 0 } })
    const withTool = translate(
      chatStreamText([chunk({ tool_calls: [{ index: 0, id: 'c', function: { name: 'f', arguments: '{}' } }] })], false),
    )
    expect(shape(withTool).at(-2)).toBe('message_delta tool_use')
  })

  test('reasoning → a thinking block before the text', () => {
    const events = sameAnyCut(
      chatStreamText([
        chunk({ reasoning_content: 'Hmm.' }),
        chunk({ reasoning_content: ' Yes.' }),
        chunk({ content: 'Answer' }),
        chunk({}, 'stop'),
      ]),
    )
    expect(shape(events)).toEqual([
      'message_start',
      'start 0 thinking',
      'delta 0 thinking_delta Hmm.',
      'delta 0 thinking_delta  Yes.',
      'stop 0',
      'start 1 text',
      'delta 1 text_delta Answer',
      'stop 1',
      'message_delta end_turn',
      'message_stop',
    ])
  })

  test('finish reasons: length → max_tokens; a stop sequence left in the text → stop_sequence', () => {
    expect(shape(translate(chatStreamText([chunk({ content: 'x' }), chunk({}, 'length')]))).at(-2)).toBe('message_delta max_tokens')
    const state = createStreamState({ model: 'm', stopSequences: ['END'] })
    onChunk(chunk({ content: 'text END' }), state)
    onChunk(chunk({}, 'stop'), state)
    expect(finish(state).at(-2)).toMatchObject({ delta: { stop_reason: 'stop_sequence', stop_sequence: 'END' } })
  })

  test('an upstream error chunk mid-stream becomes an Anthropic error event, and nothing follows', () => {
    const events = translate(
      chatStreamText([
        chunk({ content: 'a' }),
        { error: { message: 'overloaded', type: 'server_error' } } as OpenAIChunk,
        chunk({ content: 'never' }),
      ]),
    )
    expect(shape(events)).toEqual(['message_start', 'start 0 text', 'delta 0 text_delta a', 'error'])
    expect(events.at(-1)).toEqual({ type: 'error', error: { type: 'api_error', message: 'overloaded' } })
  })

  test('comments, keep-alives and CRLF in the upstream stream change nothing', () => {
    const plain = chatStreamText([chunk({ content: 'ok' }), chunk({}, 'stop')])
    const noisy = `: keep-alive\r\n\r\n${plain.replace(/\n/g, '\r\n')}: ping\r\n\r\n`
    expect(translate(noisy)).toEqual(translate(plain))
  })
})

describe('an OpenAI stream in the API’s own layout (test/fixtures/streams)', () => {
  const text = streamFixture('openai-chat-text-then-tool-call')
  const words = ["I'll", ' check', ' the', ' current', ' weather', ' in', ' Paris', ' for', ' you', '.']
  const pieces = ['{"', 'city', '":"', 'Paris', '","', 'unit', '":"', 'c', 'elsius', '"}']

  test('text, then a call whose arguments come in ten pieces, then usage: one text block, one tool_use block, tool_use and the usage', () => {
    const events = sameAnyCut(text)
    expect(shape(events)).toEqual([
      'message_start',
      'start 0 text',
      ...words.map((w) => `delta 0 text_delta ${w}`),
      'stop 0',
      'start 1 tool_use',
      ...pieces.map((p) => `delta 1 input_json_delta ${p}`),
      'stop 1',
      'message_delta tool_use',
      'message_stop',
    ])
    expect(events[0]).toMatchObject({
      message: { id: 'msg_Bq4ZtJ7vXnRkM2hGpW9sLcYd0aEfU', model: 'claude-sonnet-4-5', role: 'assistant', usage: { input_tokens: 42 } },
    })
    expect(events[13]).toEqual({
      type: 'content_block_start',
      index: 1,
      content_block: { type: 'tool_use', id: 'call_Yk3vN8pQ2sLxR7aT0bWcE4fH', name: 'get_weather', input: {} },
    })
    const input = events.flatMap((e) =>
      e.type === 'content_block_delta' && e.index === 1 ? [(e.delta as { partial_json: string }).partial_json] : [],
    )
    expect(JSON.parse(input.join(''))).toEqual({ city: 'Paris', unit: 'celsius' })
    // 1,152 of the 1,342 prompt tokens were read from OpenAI's cache.
    expect(events.at(-2)).toEqual({
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 190, cache_read_input_tokens: 1152, output_tokens: 28 },
    })
  })

  test('through the pair, as lmlb serves it (text chunks on the fast path): the same events, each named by its type', () => {
    const served = throughPair(messagesOverChat.stream, { model: 'claude-sonnet-4-5', inputTokensEstimate: 42 }, text)
    expect(served.map((e) => e.event)).toEqual(served.map((e) => JSON.parse(e.data).type))
    expect(served.map((e) => JSON.parse(e.data))).toEqual(translate(text))
  })
})
