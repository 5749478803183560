/**
 * Token counts read off upstream answers as they pass, for /stats and
 * /metrics: either API's usage fields, in a whole body or in stream
 * chunks. Streams repeat counts (Anthropic's message_start, then
 * message_delta): the largest seen of each field is the total.
 */
const FIELDS = /"(prompt_tokens|completion_tokens|input_tokens|output_tokens|cache_read_input_tokens|cache_creation_input_tokens)":\s*(\d+)/g
const NEEDLE = new TextEncoder().encode('_tokens"')
const decoder = new TextDecoder()

export class UsageReader {
  private readonly seen: Record<string, number> = {}

  /** Reads a whole body, or one stream chunk (bytes are decoded only when they hold a usage field). */
  read(text: string | Uint8Array): void {
    if (typeof text !== 'string') {
      if (!holds(text, NEEDLE)) return
      text = decoder.decode(text)
    }
    for (const [, field, n] of text.matchAll(FIELDS)) this.seen[field] = Math.max(this.seen[field] ?? 0, Number(n))
  }

  /** Input (cached included) and output tokens. */
  totals(): { input: number; output: number } {
    const s = this.seen
    return {
      input: (s.prompt_tokens ?? 0) + (s.input_tokens ?? 0) + (s.cache_read_input_tokens ?? 0) + (s.cache_creation_input_tokens ?? 0),
      output: (s.completion_tokens ?? 0) + (s.output_tokens ?? 0),
    }
  }
}

function holds(bytes: Uint8Array, needle: Uint8Array): boolean {
  for (let i = bytes.indexOf(needle[0]); i !== -1 && i <= bytes.length - needle.length; i = bytes.indexOf(needle[0], i + 1)) {
    let j = 1
    while (j < needle.length && bytes[i + j] === needle[j]) j++
    if (j === needle.length) return true
  }
  return false
}
