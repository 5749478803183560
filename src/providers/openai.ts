/** OpenAI: Chat Completions and Responses, bearer keys, `x-ratelimit-*` headers (upstream/rate-limits.ts reads them). */
import type { Provider } from './provider'

/** The client headers an OpenAI-format upstream is given. */
export const OPENAI_FORWARDED = [
  'accept',
  'user-agent',
  'openai-beta',
  'http-referer',
  'x-title',
  'x-request-id',
  'idempotency-key',
] as const

export const BEARER = { header: 'authorization', prefix: 'Bearer ' }

export const openai: Provider = {
  name: 'openai',
  format: 'openai',
  baseUrl: 'https://api.openai.com/v1',
  apis: ['chat', 'responses'],
  auth: BEARER,
  forwarded: OPENAI_FORWARDED,
  // Its chat models, and its embedding, moderation, audio and image families.
  family: /^(gpt-|o1|o3|o4|chatgpt-|text-embedding-(?!0)|omni-moderation-|text-moderation-|whisper-|tts-|dall-e-)/,
  keyRules: [
    // A 429 that is no rate limit: the account has no credit left ("code": "insufficient_quota").
    { statuses: [429], match: 'insufficient_quota', action: 'disable', reason: 'no_credit' },
    { statuses: [401], match: 'account_deactivated', action: 'disable', reason: 'suspended' },
    { statuses: [401], match: 'deactivated account', action: 'disable', reason: 'suspended' },
  ],
}

/** `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`; resets as durations ("6m0s", "1s", "20ms"). */
export const OPENAI_RATE_LIMITS = {
  requests: { limit: 'x-ratelimit-limit-requests', remaining: 'x-ratelimit-remaining-requests', reset: 'x-ratelimit-reset-requests' },
  tokens: { limit: 'x-ratelimit-limit-tokens', remaining: 'x-ratelimit-remaining-tokens', reset: 'x-ratelimit-reset-tokens' },
}

/** Model facts by family: o-series and gpt-5 reason (they take `max_completion_tokens` and `reasoning_effort`, not `max_tokens`). */
export const OPENAI_MODELS = {
  reasoning: /^(o\d|gpt-5)/,
  outputLimits: [
    [/^gpt-5/, 128_000],
    [/^o\d/, 100_000],
    [/^gpt-4\.1/, 32_768],
    [/^gpt-4o/, 16_384],
    [/^(gpt-4-turbo|gpt-4-|gpt-4$|gpt-3\.5)/, 4_096],
  ] as [RegExp, number][],
}
