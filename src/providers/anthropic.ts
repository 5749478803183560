/** Anthropic: the Messages API, keys in `x-api-key`, an `anthropic-version`, `anthropic-ratelimit-*` headers. */
import type { Provider } from './provider'

export const anthropic: Provider = {
  name: 'anthropic',
  format: 'anthropic',
  baseUrl: 'https://api.anthropic.com/v1',
  apis: ['messages'],
  auth: { header: 'x-api-key', prefix: '' },
  forwarded: ['accept', 'user-agent', 'anthropic-version', 'anthropic-beta', 'x-request-id', 'idempotency-key'],
  defaults: { 'anthropic-version': '2023-06-01' },
  family: /^claude-/,
  keyRules: [
    // Out of credit comes as a 400 invalid_request_error.
    { statuses: [400], match: 'credit balance is too low', action: 'disable', reason: 'no_credit' },
    { statuses: [400, 401, 403], match: 'organization has been disabled', action: 'disable', reason: 'suspended' },
  ],
}

/** `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`; resets as RFC 3339 timestamps. */
const limit = (what: string) => ({
  limit: `anthropic-ratelimit-${what}-limit`,
  remaining: `anthropic-ratelimit-${what}-remaining`,
  reset: `anthropic-ratelimit-${what}-reset`,
})
export const ANTHROPIC_RATE_LIMITS = {
  requests: limit('requests'),
  tokens: limit('tokens'),
  inputTokens: limit('input-tokens'),
  outputTokens: limit('output-tokens'),
}
