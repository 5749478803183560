/**
 * Keeps configured keys from leaving lmlb whole, even when an upstream
 * echoes one back: every occurrence becomes its masked form. Streams are
 * scrubbed as bytes, chunk by chunk (keys are ASCII, so a match can never
 * fall inside a multi-byte character); a chunk passes on as the very same
 * bytes unless it holds a key, and only a tail that could begin a key is
 * held back until the next chunk decides.
 */
import { concatBytes } from '../util/concat-bytes'
import { maskKey } from './redact'

const encoder = new TextEncoder()
const EMPTY = new Uint8Array(0)

interface Needle {
  bytes: Uint8Array
  mask: Uint8Array
}

export class Scrubber {
  private readonly pattern: RegExp | undefined
  private readonly masks: Map<string, string>
  private readonly shortest: number
  /** Keys by their first byte, longest first. */
  private readonly byFirstByte = new Map<number, Needle[]>()

  constructor(keys: readonly string[]) {
    const unique = [...new Set(keys)].filter((k) => k.length > 0).sort((a, b) => b.length - a.length)
    this.masks = new Map(unique.map((k) => [k, maskKey(k)]))
    this.shortest = unique.at(-1)?.length ?? 0
    this.pattern = unique.length === 0 ? undefined : new RegExp(unique.map(escapeRegExp).join('|'), 'g')
    for (const key of unique) {
      const bytes = encoder.encode(key)
      const list = this.byFirstByte.get(bytes[0]) ?? []
      list.push({ bytes, mask: encoder.encode(maskKey(key)) })
      this.byFirstByte.set(bytes[0], list)
    }
  }

  /** The text with every key masked. */
  text(s: string): string {
    // Most texts that pass (header values...) are shorter than any key.
    if (!this.pattern || s.length < this.shortest) return s
    return s.replace(this.pattern, (k) => this.masks.get(k)!)
  }

  /** A whole body with every key masked (the same bytes when there is none). */
  bytes(data: Uint8Array): Uint8Array {
    if (!this.pattern) return data
    const { out } = this.scan(data, true)
    return out ?? data
  }

  /** A scrubber for one byte stream: `push` returns what may go out now, `flush` the rest at the end. */
  stream(): { push(chunk: Uint8Array): Uint8Array; flush(): Uint8Array } {
    if (!this.pattern) return { push: (c) => c, flush: () => EMPTY }
    let held = EMPTY
    return {
      push: (chunk) => {
        const data = held.length === 0 ? chunk : concatBytes([held, chunk])
        const { out, keep } = this.scan(data)
        held = keep === 0 ? EMPTY : data.slice(data.length - keep)
        if (out === undefined) return keep === 0 ? data : data.subarray(0, data.length - keep)
        return out
      },
      flush: () => {
        const rest = held
        held = EMPTY
        return rest
      },
    }
  }

  /**
   * Finds keys in `data`. `out`: the masked bytes to send, if any key was
   * found (the held-back tail excluded); `keep`: how many final bytes may be
   * the start of a key.
   */
  private scan(data: Uint8Array, complete = false): { out?: Uint8Array; keep: number } {
    const parts: Uint8Array[] = []
    let sent = 0
    let keep = 0
    let i = this.nextCandidate(data, 0)
    while (i !== -1) {
      const hit = this.matchAt(data, i)
      if (hit === 'partial') {
        // In a complete body a partial key at the end is just text.
        if (complete) {
          i = this.nextCandidate(data, i + 1)
          continue
        }
        keep = data.length - i
        break
      }
      if (hit) {
        parts.push(data.subarray(sent, i), hit.mask)
        sent = i + hit.bytes.length
        i = this.nextCandidate(data, sent)
      } else i = this.nextCandidate(data, i + 1)
    }
    if (parts.length === 0) return { keep }
    parts.push(data.subarray(sent, data.length - keep))
    return { out: concatBytes(parts), keep }
  }

  /** The first position at or after `from` whose byte begins some key. */
  private nextCandidate(data: Uint8Array, from: number): number {
    let best = -1
    for (const first of this.byFirstByte.keys()) {
      const at = data.indexOf(first, from)
      if (at !== -1 && (best === -1 || at < best)) best = at
    }
    return best
  }

  /** A whole key at `i`, 'partial' when the data ends inside what could still be one, else undefined. */
  private matchAt(data: Uint8Array, i: number): Needle | 'partial' | undefined {
    let partial = false
    for (const needle of this.byFirstByte.get(data[i])!) {
      const n = needle.bytes.length
      const available = Math.min(n, data.length - i)
      let j = 1
      while (j < available && data[i + j] === needle.bytes[j]) j++
      if (j === n) return needle
      if (j === available) partial = true
    }
    return partial ? 'partial' : undefined
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
