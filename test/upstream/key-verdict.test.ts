/** What a failed answer says of its key: the service's rules, then the provider's phrasing, then common phrases, then the status. */
import { expect, test } from 'bun:test'
import { anthropic } from '../../src/providers/anthropic'
import { gemini } from '../../src/providers/gemini'
import { openai } from '../../src/providers/openai'
import { COMMON_KEY_RULES, judgeAnswer, type KeyRule } from '../../src/upstream/key-verdict'

const lower = (body: object) => JSON.stringify(body).toLowerCase()

test('each provider’s way of saying a key is dead, as the providers answer it', () => {
  const cases: [number, object, readonly KeyRule[] | undefined, string, string][] = [
    [
      401,
      { error: { message: 'Incorrect API key provided: sk-...', code: 'invalid_api_key' } },
      openai.keyRules,
      'key_refused',
      'invalid_key',
    ],
    [
      429,
      { error: { message: 'You exceeded your current quota', type: 'insufficient_quota' } },
      openai.keyRules,
      'key_refused',
      'no_credit',
    ],
    [429, { error: { message: 'Rate limit reached for gpt-4o', type: 'requests' } }, openai.keyRules, 'rate_limited', 'rate_limited'],
    [
      400,
      { type: 'error', error: { type: 'invalid_request_error', message: 'Your credit balance is too low to access the Anthropic API.' } },
      anthropic.keyRules,
      'key_refused',
      'no_credit',
    ],
    [
      400,
      { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: field required' } },
      anthropic.keyRules,
      'client_fault',
      'status_400',
    ],
    [
      401,
      { type: 'error', error: { type: 'authentication_error', message: 'invalid x-api-key' } },
      anthropic.keyRules,
      'key_refused',
      'invalid_key',
    ],
    [
      400,
      {
        error: {
          code: 400,
          message: 'API key not valid. Please pass a valid API key.',
          status: 'INVALID_ARGUMENT',
          details: [{ reason: 'API_KEY_INVALID' }],
        },
      },
      gemini.keyRules,
      'key_refused',
      'invalid_key',
    ],
    [
      403,
      { error: { code: 403, message: "Permission denied: Consumer 'api_key:x' has been suspended.", status: 'PERMISSION_DENIED' } },
      gemini.keyRules,
      'key_refused',
      'suspended',
    ],
    // Gemini's per-minute limit says "exceeded your current quota" too: a 429 to wait out, not a key to disable.
    [
      429,
      {
        error: {
          code: 429,
          message: 'You exceeded your current quota, please check your plan and billing details.',
          status: 'RESOURCE_EXHAUSTED',
        },
      },
      gemini.keyRules,
      'rate_limited',
      'rate_limited',
    ],
    [503, { error: { message: 'overloaded' } }, openai.keyRules, 'transient', 'status_503'],
  ]
  const found = cases.map(([status, body, rules]) => {
    const v = judgeAnswer(status, lower(body), rules, COMMON_KEY_RULES)
    return [v.kind, v.reason]
  })
  expect(found).toEqual(cases.map(([, , , kind, reason]) => [kind, reason]))
})

test('the service’s rules win, first match first; a status list, a phrase, and a cooldown of their own', () => {
  const rules: KeyRule[] = [
    { statuses: [403], action: 'ignore' },
    { statuses: [400], match: 'daily limit', action: 'cooldown', cooldownMs: 3_600_000 },
    { match: 'maintenance', action: 'ignore', reason: 'maintenance' },
  ]
  expect(judgeAnswer(403, 'forbidden', rules, COMMON_KEY_RULES)).toEqual({ kind: 'transient', reason: 'permission_denied' })
  expect(judgeAnswer(400, '{"error":"daily limit"}', rules)).toEqual({ kind: 'rate_limited', reason: 'status_400', cooldownMs: 3_600_000 })
  expect(judgeAnswer(401, 'down for maintenance', rules)).toEqual({ kind: 'transient', reason: 'maintenance' })
  // A phrase for other statuses does not apply.
  expect(judgeAnswer(400, 'weekly limit', rules).kind).toBe('client_fault')
})

test('a success is a success, whatever its body says', () => {
  expect(judgeAnswer(200, 'invalid api key', COMMON_KEY_RULES)).toEqual({ kind: 'success', reason: 'ok' })
})
