/**
 * How long an upstream asked us to wait, from its headers: `Retry-After`
 * (seconds or an HTTP date), else OpenAI's `x-ratelimit-reset-*` ("1s",
 * "6m0s", "20ms") or Anthropic's `anthropic-ratelimit-*-reset` (RFC 3339).
 * Where several limits are named, the exhausted ones decide. Gemini says it
 * in its 429's body only (retryDelayMs).
 */
import { ANTHROPIC_RATE_LIMITS } from '../providers/anthropic'
import { OPENAI_RATE_LIMITS } from '../providers/openai'
import { boundedWait, parseReset } from './rate-limits'

/** Every limit whose reset may say how long to wait, and the header saying whether it is spent. */
const RESET_HEADERS: [reset: string, remaining: string][] = [
  ...Object.values(OPENAI_RATE_LIMITS),
  ...Object.values(ANTHROPIC_RATE_LIMITS),
].map((names) => [names.reset, names.remaining])

export function retryAfterMs(headers: Headers, now: number): number | undefined {
  const retryAfter = headers.get('retry-after')
  if (retryAfter !== null) {
    const ms = /^\s*\d+(\.\d+)?\s*$/.test(retryAfter) ? Number(retryAfter) * 1000 : Date.parse(retryAfter) - now
    if (!Number.isNaN(ms)) return boundedWait(ms)
  }
  const resets: { ms: number; exhausted: boolean }[] = []
  for (const [reset, remaining] of RESET_HEADERS) {
    const value = headers.get(reset)
    if (value === null) continue
    const ms = parseReset(value, now)
    if (ms !== undefined) resets.push({ ms, exhausted: headers.get(remaining)?.trim() === '0' })
  }
  if (resets.length === 0) return undefined
  const exhausted = resets.filter((r) => r.exhausted)
  return exhausted.length > 0 ? Math.max(...exhausted.map((r) => r.ms)) : Math.min(...resets.map((r) => r.ms))
}

/** Gemini's 429 RESOURCE_EXHAUSTED: `RetryInfo` in the error's details, `"retryDelay": "30s"` (or `"1.5s"`). */
export function retryDelayMs(body: string): number | undefined {
  const m = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(body)
  return m ? boundedWait(Number(m[1]) * 1000) : undefined
}
