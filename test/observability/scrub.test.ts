import { describe, expect, test } from 'bun:test'
import { Scrubber } from '../../src/observability/scrub'

const KEYS = ['sk-proj-abcdefghijkl1234', 'sk-ant-api03-zyxwvutsrq9876']
const scrubber = new Scrubber(KEYS)
const enc = new TextEncoder()
const dec = new TextDecoder()

function streamThrough(text: string, cuts: number[]): { out: string; chunks: Uint8Array[] } {
  const s = scrubber.stream()
  const bytes = enc.encode(text)
  const chunks: Uint8Array[] = []
  let prev = 0
  for (const cut of [...cuts, bytes.length]) {
    chunks.push(s.push(bytes.subarray(prev, cut)))
    prev = cut
  }
  chunks.push(s.flush())
  return { out: dec.decode(Buffer.concat(chunks)), chunks }
}

describe('Scrubber', () => {
  test('text: every key masked, the rest untouched', () => {
    expect(scrubber.text(`Incorrect API key provided: ${KEYS[0]}. Also ${KEYS[1]} and ${KEYS[0]}`)).toBe(
      'Incorrect API key provided: sk-...1234. Also sk-...9876 and sk-...1234',
    )
    expect(scrubber.text('nothing here, sk-proj only')).toBe('nothing here, sk-proj only')
  })

  test('streams: a key split at every possible byte is still masked', () => {
    const text = `data: {"error":"bad key ${KEYS[1]}", "é": "ünïcode"}\n\n`
    for (let cut = 1; cut < enc.encode(text).length; cut++) {
      const { out } = streamThrough(text, [cut])
      expect(out).toBe(scrubber.text(text))
      expect(out).not.toContain(KEYS[1])
    }
  })

  test('streams: a whole key inside one chunk is masked at any offset', () => {
    for (let pad = 0; pad <= KEYS[0].length * 2; pad++) {
      const text = `data: {"t":"${'x'.repeat(pad)} ${KEYS[0]} ${KEYS[1]}x"}\n\n`
      expect(dec.decode(scrubber.stream().push(enc.encode(text)))).toBe(scrubber.text(text))
    }
    expect(dec.decode(scrubber.stream().push(enc.encode(`${KEYS[0]}\n`)))).toBe('sk-...1234\n')
  })

  test('streams: chunks with no key pass on as the very same bytes', () => {
    const s = scrubber.stream()
    const chunk = enc.encode('data: {"text":"hello"}\n\n')
    expect(s.push(chunk)).toBe(chunk)
  })

  test('streams: a tail that only looks like a key start is released by the next chunk', () => {
    const { out, chunks } = streamThrough('ends with sk-pr', [])
    expect(out).toBe('ends with sk-pr')
    expect(dec.decode(chunks[0])).toBe('ends with ')
    expect(streamThrough('a sk-proj-zzz b', [8]).out).toBe('a sk-proj-zzz b')
  })

  test('bodies: keys masked at their byte positions, with multi-byte characters around them', () => {
    const body = enc.encode(`{"é":"ünï ${KEYS[0]}","k":"${KEYS[1]}"} ✓`)
    expect(dec.decode(scrubber.bytes(body))).toBe('{"é":"ünï sk-...1234","k":"sk-...9876"} ✓')
    const clean = enc.encode('{"é":"nothing"}')
    expect(scrubber.bytes(clean)).toBe(clean)
  })

  test('streams: keys that overlap each other are masked at every cut', () => {
    // The first key ends with the start of the second: a tail held back must never split a whole key.
    const overlapping = new Scrubber(['sk-one-1234abcdef', 'abcdef-two-87654321'])
    const text = `a sk-one-1234abcdef-two-87654321 b abcdef-two-87654321 sk-one-1234abcdef`
    for (let cut = 1; cut < text.length; cut++) {
      const s = overlapping.stream()
      const out = dec.decode(Buffer.concat([s.push(enc.encode(text.slice(0, cut))), s.push(enc.encode(text.slice(cut))), s.flush()]))
      expect(out).toBe(overlapping.text(text))
      expect(out).not.toContain('sk-one-1234abcdef')
    }
  })

  test('tens of thousands of keys, with beginnings of every kind: each masked, in text, bodies and streams', () => {
    // One regex of 60,000 keys is more than the engine takes ("regular expression too large"): lmlb could not start with them.
    const hex = Array.from({ length: 30_000 }, (_, i) => (i * 2654435761).toString(16).padStart(8, '0') + 'f'.repeat(24))
    const named = Array.from({ length: 30_000 }, (_, i) => `sk-pool-${String(i).padStart(20, '0')}`)
    const many = new Scrubber([...hex, ...named])
    const some = [hex[0], hex[29_999], named[12_345]]
    const text = `a ${some[0]} b ${some[1]}, ${some[2]}. sk-pool-0000 ${hex[5].slice(0, 20)}`
    const masked = many.text(text)
    for (const key of some) expect(masked).not.toContain(key)
    expect(masked).toContain('sk-pool-0000 ')
    expect(dec.decode(many.bytes(enc.encode(text)))).toBe(masked)
    const s = many.stream()
    const bytes = enc.encode(text)
    const cut = text.indexOf(some[2]) + 5
    expect(dec.decode(Buffer.concat([s.push(bytes.subarray(0, cut)), s.push(bytes.subarray(cut)), s.flush()]))).toBe(masked)
  })

  test('no keys: nothing to do', () => {
    const none = new Scrubber([])
    expect(none.text('sk-anything')).toBe('sk-anything')
    const chunk = enc.encode('x')
    expect(none.stream().push(chunk)).toBe(chunk)
  })
})
