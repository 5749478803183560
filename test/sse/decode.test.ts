import { describe, expect, test } from 'bun:test'
import { SseDecoder, type SseEvent } from '../../src/sse/decode'

const enc = new TextEncoder()

function decodeIn(pieces: (string | Uint8Array)[]): SseEvent[] {
  const d = new SseDecoder()
  const out = pieces.flatMap((p) => d.push(typeof p === 'string' ? enc.encode(p) : p))
  return [...out, ...d.end()]
}

/** The same bytes cut at every position give the same events. */
function everyCut(text: string): void {
  const bytes = enc.encode(text)
  const whole = decodeIn([bytes])
  for (let cut = 1; cut < bytes.length; cut++) expect(decodeIn([bytes.subarray(0, cut), bytes.subarray(cut)])).toEqual(whole)
}

describe('SseDecoder', () => {
  test('events with names, multi-line data, ids; comments skipped', () => {
    expect(decodeIn(['event: a\ndata: 1\n\n: keep-alive\n\ndata: x\ndata: y\nid: 7\n\n'])).toEqual([
      { event: 'a', data: '1' },
      { data: 'x\ny', id: '7' },
    ])
  })

  test('CRLF, CR and LF line ends, and data: without a space', () => {
    expect(decodeIn(['data:a\r\n\r\ndata: b\r\rdata: c\n\n'])).toEqual([{ data: 'a' }, { data: 'b' }, { data: 'c' }])
  })

  test('a CRLF split between chunks is one line end', () => {
    expect(decodeIn(['data: a\r', '\n\r', '\ndata: b\n\n'])).toEqual([{ data: 'a' }, { data: 'b' }])
  })

  test('split at every byte, multi-byte characters included', () => {
    everyCut('event: message_start\ndata: {"text":"héllo 🌍"}\r\n\r\n: ping\n\ndata: [DONE]\n\n')
  })

  test('whole one-line events and line-by-line ones agree: names, the last id, multi-line data', () => {
    const text =
      'event: a\ndata: 1\n\nid: 5\ndata: 2\n\ndata: 3\n\ndata: 4\ndata: 5\n\nevent: b\ndata:6\n\nevent: c\r\ndata: 7\n\nevent:d\ndata: 8\n\n'
    expect(decodeIn([text])).toEqual([
      { event: 'a', data: '1' },
      { data: '2', id: '5' },
      { data: '3', id: '5' },
      { data: '4\n5', id: '5' },
      { event: 'b', data: '6', id: '5' },
      { event: 'c', data: '7', id: '5' },
      { event: 'd', data: '8', id: '5' },
    ])
    everyCut(text)
  })

  test('a last event with no blank line is delivered at the end', () => {
    expect(decodeIn(['data: tail'])).toEqual([{ data: 'tail' }])
  })

  test('a very large event', () => {
    const big = 'x'.repeat(1_000_000)
    const pieces = Array.from({ length: 100 }, (_, i) => `data: ${big}\n\n`.slice(i * 10_001, (i + 1) * 10_001))
    expect(decodeIn(pieces)[0].data.length).toBe(1_000_000)
  })
})
