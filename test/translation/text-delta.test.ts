/**
 * The text-delta shortcuts (both ways) must say exactly what the full translation says:
 * same event, same JSON, same state after, for any text; and it must step
 * aside for every chunk that is more than text.
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { encodeJsonEvent } from '../../src/sse/encode'
import { createStreamState, finish, onChunk } from '../../src/translation/messages-over-chat/stream'
import { textDeltaEvent } from '../../src/translation/messages-over-chat/text-delta'
import { createReverseStreamState, onEvent } from '../../src/translation/chat-over-messages/stream'
import { textChunk } from '../../src/translation/chat-over-messages/text-delta'
import { encodeResponsesEvents } from '../../src/apis/openai-responses/events'
import {
  createResponsesStreamState,
  finish as finishResponses,
  onChunk as onResponsesChunk,
} from '../../src/translation/responses-over-chat/stream'
import { responsesTextDelta } from '../../src/translation/responses-over-chat/text-delta'

/** A stream state with its text block open, as after the first text chunk. */
function openText(stopSequences?: string[]) {
  const state = createStreamState({ model: 'claude-x', stopSequences })
  onChunk({ id: 'c', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] }, state)
  return state
}

const parseEvents = (sse: string) =>
  sse
    .split('\n\n')
    .filter(Boolean)
    .map((e) => {
      const [head, data] = e.split('\n')
      return { event: head.slice('event: '.length), data: JSON.parse(data.slice('data: '.length)) }
    })

describe('textDeltaEvent', () => {
  test('for any text, the same events and the same final state as onChunk', () => {
    // OpenAI's layout with and without its optional fields (the exact-layout path), any id and model, and spaced (the general path).
    const optional = fc.record(
      { service_tier: fc.constant('default'), system_fingerprint: fc.constantFrom('fp_1', null) },
      { requiredKeys: [] },
    )
    const trailing = fc.record({ usage: fc.constant(null), obfuscation: fc.string() }, { requiredKeys: [] })
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.boolean(), fc.string(), optional, trailing, (text, spaced, model, extra, tail) => {
        const chunk = {
          id: 'chatcmpl-1',
          object: 'chat.completion.chunk',
          created: 1,
          model,
          ...extra,
          choices: [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }],
          ...tail,
        }
        const data = spaced ? JSON.stringify(chunk, null, 1) : JSON.stringify(chunk)
        const fast = openText(['END'])
        const slow = openText(['END'])
        const shortcut = textDeltaEvent(data, fast)
        expect(shortcut).toBeDefined()
        const full = onChunk(JSON.parse(data), slow)
          .map((e) => encodeJsonEvent(e.type, e))
          .join('')
        expect(parseEvents(shortcut!)).toEqual(parseEvents(full))
        expect(fast).toEqual(slow)
        expect(finish(fast)).toEqual(finish(slow))
      }),
      { numRuns: 300 },
    )
  })

  test('steps aside for anything more than text, and before the text block is open', () => {
    // A minimal layout (the general path) and OpenAI's own (the exact-layout path).
    for (const base of [
      { id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null as string | null }] },
      {
        id: 'c',
        object: 'chat.completion.chunk',
        created: 1,
        model: 'm',
        service_tier: 'default',
        system_fingerprint: 'fp',
        choices: [{ index: 0, delta: { content: 'x' }, logprobs: null, finish_reason: null }],
        usage: null,
        obfuscation: 'ab',
      },
    ])
      stepsAside(base)
    expect(
      textDeltaEvent(
        JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null }] }),
        createStreamState({ model: 'claude-x' }),
      ),
    ).toBeUndefined()
  })

  function stepsAside(base: object) {
    const more: object[] = [
      { ...base, choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }] },
      { ...base, usage: { prompt_tokens: 1, completion_tokens: 2 } },
      {
        ...base,
        choices: [{ index: 0, delta: { content: 'x', tool_calls: [{ index: 0, function: { arguments: '{}' } }] }, finish_reason: null }],
      },
      { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: 'x' }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { reasoning_content: 'hmm', content: 'x' }, finish_reason: null }] },
      {
        ...base,
        choices: [
          { index: 0, delta: {}, finish_reason: null },
          { index: 1, delta: { content: 'x' }, finish_reason: null },
        ],
      },
      { ...base, choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null, stop_reason: 'END' }] },
      { error: { message: 'boom' } },
    ]
    for (const chunk of more) expect(textDeltaEvent(JSON.stringify(chunk), openText())).toBeUndefined()
    // Field names inside the text are only text.
    expect(
      textDeltaEvent(
        JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: '"usage":{"finish_reason":"stop"}' }, finish_reason: null }] }),
        openText(),
      ),
    ).toBeDefined()
  }
})

describe('textChunk', () => {
  const started = () => {
    const state = createReverseStreamState({ model: 'gpt-"x"', includeUsage: true })
    onEvent({ type: 'message_start', message: { id: 'msg_1', usage: { input_tokens: 3 } } }, state)
    return state
  }

  test('for any text, the same chunk as onEvent', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.nat(5), fc.boolean(), (text, index, spaced) => {
        const event = { type: 'content_block_delta', index, delta: { type: 'text_delta', text } }
        const data = spaced ? JSON.stringify(event, null, 2) : JSON.stringify(event)
        const fast = started()
        const slow = started()
        const shortcut = textChunk(data, fast)
        expect(shortcut).toBeDefined()
        const full = onEvent(JSON.parse(data), slow)
        expect(JSON.parse(shortcut!.slice('data: '.length))).toEqual(full[0])
        expect(shortcut!.endsWith('}\n\n')).toBe(true)
        // The same state, but for the chunk head the shortcut keeps.
        const { textHead, ...rest } = fast
        expect(shortcut!.startsWith(textHead!)).toBe(true)
        expect(rest).toEqual(slow)
      }),
      { numRuns: 300 },
    )
  })

  test('steps aside for every other event, and after the end', () => {
    const others = [
      { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: 'hmm' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'x', extra: 1 } },
      { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } },
      { type: 'message_stop' },
    ]
    for (const event of others) expect(textChunk(JSON.stringify(event), started())).toBeUndefined()
    const done = started()
    onEvent({ type: 'message_stop' }, done)
    expect(
      textChunk(JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'x' } }), done),
    ).toBeUndefined()
  })

  test('a new message_start (a new id) gets a new chunk head', () => {
    const state = started()
    const delta = JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'x' } })
    const before = JSON.parse(textChunk(delta, state)!.slice('data: '.length))
    onEvent({ type: 'message_start', message: { id: 'msg_2' } }, state)
    const after = JSON.parse(textChunk(delta, state)!.slice('data: '.length))
    expect(after.id).not.toBe(before.id)
    expect(after.id).toBe(state.id)
  })
})

describe('responsesTextDelta', () => {
  /** A Responses stream state with its message item open, as after the first text chunk. */
  function openMessage() {
    const state = createResponsesStreamState({ model: 'gpt-x', tools: new Map() as never })
    onResponsesChunk(
      { id: 'chatcmpl-1', created: 1, choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] },
      state,
    )
    return state
  }

  test('for any text, the same events, numbered alike, and the same final state as onChunk', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { minLength: 1, maxLength: 4 }), fc.boolean(), (texts, spaced) => {
        const fast = openMessage()
        const slow = openMessage()
        for (const text of texts) {
          const chunk = {
            id: 'chatcmpl-1',
            object: 'chat.completion.chunk',
            created: 1,
            model: 'm',
            choices: [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }],
          }
          const data = spaced ? JSON.stringify(chunk, null, 1) : JSON.stringify(chunk)
          const shortcut = responsesTextDelta(data, fast)
          expect(shortcut).toBeDefined()
          const full = encodeResponsesEvents(onResponsesChunk(JSON.parse(data), slow))
          expect(parseEvents(shortcut!)).toEqual(parseEvents(full))
        }
        // `ids` holds a closure of each stream's own: compared by what it made.
        expect({ ...fast, ids: fast.ids.response }).toEqual({ ...slow, ids: slow.ids.response })
        expect(parseEvents(encodeResponsesEvents(finishResponses(fast)))).toEqual(parseEvents(encodeResponsesEvents(finishResponses(slow))))
      }),
      { numRuns: 300 },
    )
  })

  test('steps aside for anything more than text, before the message is open, and after the end', () => {
    const text = (content: string) => JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { content }, finish_reason: null }] })
    expect(responsesTextDelta(text('x'), createResponsesStreamState({ model: 'gpt-x', tools: new Map() as never }))).toBeUndefined()
    expect(
      responsesTextDelta(
        JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }] }),
        openMessage(),
      ),
    ).toBeUndefined()
    expect(
      responsesTextDelta(
        JSON.stringify({ id: 'c', choices: [{ index: 0, delta: { reasoning_content: 'hmm', content: 'x' }, finish_reason: null }] }),
        openMessage(),
      ),
    ).toBeUndefined()
    const ended = openMessage()
    finishResponses(ended)
    expect(responsesTextDelta(text('x'), ended)).toBeUndefined()
  })
})
