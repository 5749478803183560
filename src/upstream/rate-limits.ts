/**
 * What an upstream's answer says is left of a key's rate limits (pure):
 * OpenAI's `x-ratelimit-{limit,remaining,reset}-{requests,tokens}` (resets
 * as durations: "6m0s", "1s", "20ms", "0.5s") and Anthropic's
 * `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`
 * (resets as RFC 3339 timestamps). Every answer carries them, not only a
 * 429, so a key can be set aside before it is refused. The header names
 * are the providers' (providers/openai.ts, providers/anthropic.ts).
 */
import { ANTHROPIC_RATE_LIMITS } from '../providers/anthropic'
import { OPENAI_RATE_LIMITS } from '../providers/openai'

/** One limit as last reported: `resetAt` is absolute (ms since the epoch). */
export interface RateLimit {
  limit?: number
  remaining: number
  resetAt: number
}

export interface RateLimits {
  requests?: RateLimit
  /** What limits sending input: for Anthropic the smaller remaining of `tokens` and `input-tokens`. */
  tokens?: RateLimit
  /** Anthropic's output-tokens limit (it, too, refuses a request once spent). */
  outputTokens?: RateLimit
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }

/**
 * A reset header's wait in ms from `now`: a duration ("6m0s", "1s", "20ms",
 * "0.5s") or a date (RFC 3339 / HTTP date; one already past gives 0).
 * Undefined when unreadable.
 */
export function parseReset(value: string, now: number): number | undefined {
  const text = value.trim()
  if (/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(text)) {
    let ms = 0
    for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(n) * UNIT_MS[unit]
    return boundedWait(ms)
  }
  const at = Date.parse(value)
  return Number.isFinite(at) ? boundedWait(at - now) : undefined
}

/**
 * The longest wait an upstream may impose: a day (daily limits reset within
 * one). More would be a broken header, and past year 275760 no date can be written.
 */
export const MAX_WAIT_MS = 86_400_000

export function boundedWait(ms: number): number {
  return Math.min(MAX_WAIT_MS, Math.max(0, ms))
}

/** A non-negative count, or undefined (missing, empty, garbage). */
function count(value: string | null): number | undefined {
  if (value === null || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined
  const n = Number(value)
  return Number.isFinite(n) ? n : undefined
}

/** One limit from its three headers; it needs a remaining and a readable reset (without a reset it would never lift). */
function readLimit(headers: Headers, names: { limit: string; remaining: string; reset: string }, now: number): RateLimit | undefined {
  const remaining = count(headers.get(names.remaining))
  const resetText = headers.get(names.reset)
  if (remaining === undefined || resetText === null) return undefined
  const wait = parseReset(resetText, now)
  if (wait === undefined) return undefined
  const limit = count(headers.get(names.limit))
  return limit !== undefined && limit > 0 ? { limit, remaining, resetAt: now + wait } : { remaining, resetAt: now + wait }
}

/** The smaller remaining of two reports of one kind of limit. */
function tighter(a: RateLimit | undefined, b: RateLimit | undefined): RateLimit | undefined {
  if (!a || !b) return a ?? b
  return b.remaining < a.remaining ? b : a
}

const NAMES = {
  openaiRequests: OPENAI_RATE_LIMITS.requests,
  openaiTokens: OPENAI_RATE_LIMITS.tokens,
  anthropicRequests: ANTHROPIC_RATE_LIMITS.requests,
  anthropicTokens: ANTHROPIC_RATE_LIMITS.tokens,
  anthropicInput: ANTHROPIC_RATE_LIMITS.inputTokens,
  anthropicOutput: ANTHROPIC_RATE_LIMITS.outputTokens,
}
/** Every answer passes here: one look says whether either vendor's headers are there at all. */
const PRESENT = Object.values(NAMES).map((n) => n.remaining)

/** The limits an answer reports, undefined when it carries none (readable). Never throws. */
export function readRateLimits(headers: Headers, now: number): RateLimits | undefined {
  if (!PRESENT.some((name) => headers.has(name))) return undefined
  const out: RateLimits = {}
  const requests = readLimit(headers, NAMES.openaiRequests, now) ?? readLimit(headers, NAMES.anthropicRequests, now)
  const tokens =
    readLimit(headers, NAMES.openaiTokens, now) ??
    tighter(readLimit(headers, NAMES.anthropicTokens, now), readLimit(headers, NAMES.anthropicInput, now))
  const outputTokens = readLimit(headers, NAMES.anthropicOutput, now)
  if (requests) out.requests = requests
  if (tokens) out.tokens = tokens
  if (outputTokens) out.outputTokens = outputTokens
  return requests || tokens || outputTokens ? out : undefined
}
