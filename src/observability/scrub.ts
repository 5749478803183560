/**
 * Keeps configured keys from leaving lmlb whole, even when an upstream
 * echoes one back: every occurrence becomes its masked form. Streams are
 * scrubbed as bytes, chunk by chunk; a chunk passes on as the very same
 * bytes unless it holds a key, and only a tail that could begin a key is
 * held back until the next chunk decides.
 *
 * Keys are found over the bytes seen as text (util/byte-text): one regex
 * finds where a key may begin (the keys' first few characters, a handful
 * of alternatives however many keys there are: one regex of all the keys
 * themselves is too large for the engine past some 50,000), and a Set says
 * whether a key of one of the keys' lengths begins there. No per-byte loop
 * in JavaScript.
 */
import { byteText } from '../util/byte-text'
import { concatBytes } from '../util/concat-bytes'
import { maskKey } from './redact'

const encoder = new TextEncoder()
const EMPTY = new Uint8Array(0)

/** The most alternatives the regex of key beginnings may hold: the beginnings are cut shorter until there are no more. */
const MAX_BEGINNINGS = 5_000

export class Scrubber {
  /** Where a key may begin: its first characters. */
  private readonly pattern: RegExp | undefined
  /** Sorted when a stream's tail first asks, so that whether it begins some key is a binary search. */
  private sortedKeys: readonly string[] | undefined
  private readonly keys: ReadonlySet<string>
  /** The keys' lengths, longest first: at one place, the longest key wins. */
  private readonly lengths: readonly number[]
  private readonly shortest: number
  private readonly longest: number
  /** Which bytes occur in some key: a held-back tail is made of these only. */
  private readonly inKey = new Uint8Array(256)

  constructor(keys: readonly string[]) {
    const unique = [...new Set(keys)].filter((k) => k.length > 0)
    this.keys = new Set(unique)
    this.lengths = [...new Set(unique.map((k) => k.length))].sort((a, b) => b - a)
    this.shortest = this.lengths.at(-1) ?? 0
    this.longest = this.lengths[0] ?? 0
    this.pattern = unique.length === 0 ? undefined : beginnings(unique, this.shortest)
    // Keys are Latin-1 (config/header-value.ts): a character's UTF-8 bytes matter only past ASCII.
    for (const key of unique)
      for (let i = 0; i < key.length; i++) {
        const c = key.charCodeAt(i)
        if (c < 0x80) this.inKey[c] = 1
        else for (const b of encoder.encode(key[i])) this.inKey[b] = 1
      }
  }

  /** The text with every key masked. */
  text(s: string): string {
    // Most texts that pass (header values...) are shorter than any key.
    if (!this.pattern || s.length < this.shortest) return s
    let out = ''
    let end = 0
    this.each(s, (at, key) => {
      out += s.slice(end, at) + maskKey(key)
      end = at + key.length
    })
    return end === 0 ? s : out + s.slice(end)
  }

  /** Calls `found` with each key in `view`, left to right (at one place, the longest). */
  private each(view: string, found: (at: number, key: string) => void): void {
    const pattern = this.pattern!
    pattern.lastIndex = 0
    for (let m = pattern.exec(view); m !== null; m = pattern.exec(view)) {
      const key = this.keyAt(view, m.index)
      if (key) found(m.index, key)
      pattern.lastIndex = m.index + (key?.length ?? 1)
    }
  }

  private keyAt(view: string, at: number): string | undefined {
    for (const length of this.lengths) {
      if (at + length > view.length) continue
      const candidate = view.slice(at, at + length)
      if (this.keys.has(candidate)) return candidate
    }
    return undefined
  }

  /** A whole body with every key masked (the same bytes when there is none). `text`: the bytes as byteText, if already made. */
  bytes(data: Uint8Array, text?: string): Uint8Array {
    // Most answers hold no run of key bytes long enough for a key: no text view, no regex.
    if (!this.pattern || data.length < this.shortest || !this.mayHold(data)) return data
    const keys = this.find(data, text ?? byteText(data))
    return keys ? concatBytes([...keys.parts, data.subarray(keys.end)]) : data
  }

  /** A scrubber for one byte stream: `push` returns what may go out now, `flush` the rest at the end. */
  stream(): { push(chunk: Uint8Array): Uint8Array; flush(): Uint8Array } {
    if (!this.pattern) return { push: (c) => c, flush: () => EMPTY }
    let held = EMPTY
    return {
      push: (chunk) => {
        // Most chunks: no room for a key, and no key byte at the end to hold back.
        if (held.length === 0 && !this.inKey[chunk[chunk.length - 1]] && !this.mayHold(chunk)) return chunk
        const data = held.length === 0 ? chunk : concatBytes([held, chunk])
        const view = byteText(data)
        const keys = this.find(data, view)
        const cut = data.length - this.heldBack(data, view, keys?.end ?? 0)
        held = cut === data.length ? EMPTY : data.slice(cut)
        if (keys) return concatBytes([...keys.parts, data.subarray(keys.end, cut)])
        return cut === data.length ? data : data.subarray(0, cut)
      },
      flush: () => {
        const rest = held
        held = EMPTY
        return rest
      },
    }
  }

  /**
   * Could `data` hold a whole key? A key is a run of key bytes at least as
   * long as the shortest key, and any such run covers one of the positions
   * probed here, every `shortest` bytes. JSON and SSE text has few long runs.
   */
  private mayHold(data: Uint8Array): boolean {
    const n = this.shortest
    for (let j = n - 1; j < data.length; j += n) {
      if (this.inKey[data[j]] !== 1) continue
      let from = j
      let to = j
      while (from > 0 && this.inKey[data[from - 1]] === 1 && to - from + 1 < n) from--
      while (to < data.length - 1 && this.inKey[data[to + 1]] === 1 && to - from + 1 < n) to++
      if (to - from + 1 >= n) return true
      j = to // the next run starts after `to`: the probe at to + n covers it
    }
    return false
  }

  /** The keys in `data`: what to send up to the end of the last one, masks in place; undefined when none. */
  private find(data: Uint8Array, view: string): { parts: Uint8Array[]; end: number } | undefined {
    const parts: Uint8Array[] = []
    let end = 0
    this.each(view, (at, key) => {
      parts.push(data.subarray(end, at), encoder.encode(maskKey(key)))
      end = at + key.length
    })
    return parts.length === 0 ? undefined : { parts, end }
  }

  /**
   * How many final bytes (after `from`) may be the start of a key, to hold
   * back until the next chunk decides. Such a tail is made of key bytes
   * only, and SSE chunks end with a newline, in no key: usually one look at
   * the last byte.
   */
  private heldBack(data: Uint8Array, view: string, from: number): number {
    let start = data.length
    while (start > from && data.length - start < this.longest - 1 && this.inKey[data[start - 1]] === 1) start--
    for (let i = start; i < data.length; i++) if (this.begins(view.slice(i))) return data.length - i
    return 0
  }

  /** Whether some key is longer than `tail` and begins with it: the first key not before it in order, if any does. */
  private begins(tail: string): boolean {
    let lo = 0
    this.sortedKeys ??= [...this.keys].sort()
    const sorted = this.sortedKeys
    let hi = sorted.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (sorted[mid] < tail) lo = mid + 1
      else hi = mid
    }
    for (let i = lo; i < sorted.length && sorted[i].startsWith(tail); i++) if (sorted[i].length > tail.length) return true
    return false
  }
}

/** A regex of the keys' first characters: as many as the shortest key has, fewer while they make more than MAX_BEGINNINGS. */
function beginnings(keys: readonly string[], shortest: number): RegExp {
  let length = Math.min(shortest, 6)
  let starts = new Set(keys.map((k) => k.slice(0, length)))
  while (starts.size > MAX_BEGINNINGS && length > 1) starts = new Set(keys.map((k) => k.slice(0, --length)))
  return new RegExp([...starts].map(escapeRegExp).join('|'), 'g')
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
