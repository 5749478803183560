/**
 * The text-delta shortcut must say exactly what the full translation says:
 * same event, same JSON, same state after, for any text; and it must step
 * aside for every chunk that is more than text.
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { encodeJsonEvent } from '../../src/sse/encode'
import { createStreamState, finish, onChunk } from '../../src/translation/anthropic-to-openai/stream'
import { textDeltaEvent } from '../../src/translation/anthropic-to-openai/text-delta'

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
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.boolean(), (text, spaced) => {
        const chunk = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o', choices: [{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }] }
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
    const base = { id: 'c', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null as string | null }] }
    const more: object[] = [
      { ...base, choices: [{ index: 0, delta: { content: 'x' }, finish_reason: 'stop' }] },
      { ...base, usage: { prompt_tokens: 1, completion_tokens: 2 } },
      { ...base, choices: [{ index: 0, delta: { content: 'x', tool_calls: [{ index: 0, function: { arguments: '{}' } }] }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: 'x' }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { reasoning_content: 'hmm', content: 'x' }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: {}, finish_reason: null }, { index: 1, delta: { content: 'x' }, finish_reason: null }] },
      { ...base, choices: [{ index: 0, delta: { content: 'x' }, finish_reason: null, stop_reason: 'END' }] },
      { error: { message: 'boom' } },
    ]
    for (const chunk of more) expect(textDeltaEvent(JSON.stringify(chunk), openText())).toBeUndefined()
    // Field names inside the text are only text.
    expect(textDeltaEvent(JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: '"usage":{"finish_reason":"stop"}' }, finish_reason: null }] }), openText())).toBeDefined()
    expect(textDeltaEvent(JSON.stringify(base), createStreamState({ model: 'claude-x' }))).toBeUndefined()
  })
})
