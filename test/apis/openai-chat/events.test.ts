/**
 * Chat Completions streams unnamed `data:` chunks and ends with
 * `data: [DONE]`: an `event:` line would make OpenAI's SDK drop the chunk,
 * and a missing or repeated [DONE] leaves it waiting or confused.
 */
import { describe, expect, test } from 'bun:test'
import { DONE, encodeChatChunks } from '../../../src/apis/openai-chat/events'

describe('encodeChatChunks', () => {
  test('each chunk one unnamed data line of its JSON, blank-line ended, in order', () => {
    const chunks = [
      { id: 'c', choices: [{ index: 0, delta: { content: 'a\nb' } }] },
      { id: 'c', choices: [] },
    ]
    expect(encodeChatChunks(chunks)).toBe(`data: ${JSON.stringify(chunks[0])}\n\ndata: ${JSON.stringify(chunks[1])}\n\n`)
    expect(encodeChatChunks(chunks)).not.toContain('event:')
  })

  test('done: [DONE] once, after the last chunk; not done: no [DONE]', () => {
    const chunks = [{ id: 'c' }]
    expect(encodeChatChunks(chunks, true)).toBe('data: {"id":"c"}\n\ndata: [DONE]\n\n')
    expect(encodeChatChunks(chunks)).not.toContain(DONE)
    expect(encodeChatChunks([], true)).toBe('data: [DONE]\n\n')
    expect(encodeChatChunks([])).toBe('')
  })
})
