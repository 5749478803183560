/**
 * A Chat Completions stream carries its usage only when the client asks
 * (`stream_options.include_usage`). So that every request is counted, lmlb
 * asks for it anyway, and holds back from the client the usage-only chunk
 * (`"choices": []` with `usage`) it did not ask for: the one change lmlb
 * makes to such a stream (OpenAI then also sends `"usage": null` in each
 * chunk, which is left as it is). What goes by is read before it is held
 * back (the attempt's usage reader sees the upstream's bytes).
 */
import { holds } from '../observability/usage'
import type { ByteSource } from './byte-stream'

/** A Chat request body that streams without asking for usage: the same, asking. */
export function askingForUsage(body: Record<string, unknown>): Record<string, unknown> | undefined {
  if (body.stream !== true) return undefined
  const options = body.stream_options as { include_usage?: unknown } | null | undefined
  if (options?.include_usage === true) return undefined
  return { ...body, stream_options: { ...(options ?? {}), include_usage: true } }
}

const NEEDLES = ['"usage":{', '"usage": {'].map((s) => new TextEncoder().encode(s))
const BOUNDARY = /\r?\n\r?\n/g
const AFTER_BOUNDARY = /(?<=\r?\n\r?\n)/
const encoder = new TextEncoder()

/**
 * `source` without its usage-only events. A chunk that ends between two
 * events and holds no usage object goes on as it came; any other is read
 * as text, its whole events passed on but the usage-only one, the rest
 * held until the next chunk completes it.
 */
export function withoutUsageEvent(source: ByteSource): ByteSource {
  const decoder = new TextDecoder()
  let held = ''
  return {
    async next() {
      for (;;) {
        const chunk = await source.next()
        if (chunk === null) {
          const rest = held + decoder.decode()
          held = ''
          return rest === '' ? null : encoder.encode(rest)
        }
        if (held === '' && endsAnEvent(chunk) && !NEEDLES.some((n) => holds(chunk, n))) return chunk
        const text = held + decoder.decode(chunk, { stream: true })
        let end = 0
        for (const m of text.matchAll(BOUNDARY)) end = m.index + m[0].length
        held = text.slice(end)
        const kept = text
          .slice(0, end)
          .split(AFTER_BOUNDARY)
          .filter((event) => !usageOnly(event))
          .join('')
        if (kept !== '') return encoder.encode(kept)
      }
    },
    cancel: (reason) => source.cancel(reason),
  }
}

/** Ends with a blank line (`\n\n`, or `\r\n\r\n`). */
function endsAnEvent(bytes: Uint8Array): boolean {
  const n = bytes.length
  return n >= 2 && bytes[n - 1] === 10 && (bytes[n - 2] === 10 || (n >= 4 && bytes[n - 2] === 13 && bytes[n - 3] === 10))
}

/** An event whose data is a chunk with no choices and a usage object. */
function usageOnly(event: string): boolean {
  if (!/"usage":\s*\{/.test(event) || !/"choices":\s*\[\s*\]/.test(event)) return false
  try {
    const data = event.slice(event.indexOf('data:') + 5).trim()
    const chunk = JSON.parse(data) as { choices?: unknown[]; usage?: unknown }
    return Array.isArray(chunk.choices) && chunk.choices.length === 0 && typeof chunk.usage === 'object' && chunk.usage !== null
  } catch {
    return false
  }
}
