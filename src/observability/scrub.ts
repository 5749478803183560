/**
 * Keeps configured keys from leaving lmlb whole, even when an upstream
 * echoes one back: every occurrence becomes its masked form. Streams are
 * scrubbed as bytes, chunk by chunk; a chunk passes on as the very same
 * bytes unless it holds a key, and only a tail that could begin a key is
 * held back until the next chunk decides.
 *
 * Keys are found by one regex over the bytes seen as text (util/byte-text):
 * native search, no per-byte loop in JavaScript.
 */
import { byteText } from '../util/byte-text'
import { concatBytes } from '../util/concat-bytes'
import { maskKey } from './redact'

const encoder = new TextEncoder()
const EMPTY = new Uint8Array(0)

export class Scrubber {
  private readonly pattern: RegExp | undefined
  private readonly keys: readonly string[]
  private readonly masks: Map<string, string>
  private readonly maskBytes: Map<string, Uint8Array>
  private readonly shortest: number
  private readonly longest: number
  /** Which bytes occur in some key: a held-back tail is made of these only. */
  private readonly inKey = new Uint8Array(256)

  constructor(keys: readonly string[]) {
    // Longest first, so a key that begins another never masks only part of it.
    const unique = [...new Set(keys)].filter((k) => k.length > 0).sort((a, b) => b.length - a.length)
    this.keys = unique
    this.masks = new Map(unique.map((k) => [k, maskKey(k)]))
    this.maskBytes = new Map(unique.map((k) => [k, encoder.encode(maskKey(k))]))
    this.shortest = unique.at(-1)?.length ?? 0
    this.longest = unique[0]?.length ?? 0
    this.pattern = unique.length === 0 ? undefined : new RegExp(unique.map(escapeRegExp).join('|'), 'g')
    for (const key of unique) for (const b of encoder.encode(key)) this.inKey[b] = 1
  }

  /** The text with every key masked. */
  text(s: string): string {
    // Most texts that pass (header values...) are shorter than any key.
    if (!this.pattern || s.length < this.shortest) return s
    return s.replace(this.pattern, (k) => this.masks.get(k)!)
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
    const pattern = this.pattern!
    pattern.lastIndex = 0
    let found = pattern.exec(view)
    if (found === null) return undefined
    const parts: Uint8Array[] = []
    let end = 0
    for (; found !== null; found = pattern.exec(view)) {
      parts.push(data.subarray(end, found.index), this.maskBytes.get(found[0])!)
      end = found.index + found[0].length
    }
    return { parts, end }
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
    for (let i = start; i < data.length; i++) {
      const tail = view.slice(i)
      if (this.keys.some((k) => k.length > tail.length && k.startsWith(tail))) return data.length - i
    }
    return 0
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
