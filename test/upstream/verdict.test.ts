/** The one status table: what each answer means for a retry, for blame, and for the figures; 503 and 529 as each API says "overloaded". */
import { expect, test } from 'bun:test'
import { KINDS, kindOf, outcomeOf, statusIn } from '../../src/upstream/verdict'

test('each status finds its kind', () => {
  const kinds = Object.fromEntries(
    [200, 204, 301, 400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 503, 504, 529].map((s) => [s, kindOf(s)]),
  )
  expect(kinds).toEqual({
    200: 'success',
    204: 'success',
    301: 'success',
    400: 'client_fault',
    401: 'key_refused',
    403: 'key_refused',
    404: 'client_fault',
    408: 'transient',
    413: 'client_fault',
    422: 'client_fault',
    429: 'rate_limited',
    500: 'transient',
    502: 'transient',
    503: 'transient',
    504: 'transient',
    529: 'transient',
  })
})

test('what each kind does: the client’s own answers are never retried; a key is disabled for a refusal, cooled for a limit', () => {
  expect(
    Object.entries(KINDS)
      .filter(([, k]) => k.retry)
      .map(([name]) => name),
  ).toEqual(['key_refused', 'rate_limited', 'transient'])
  expect(kindOf(402)).toBe('key_refused')
  expect(KINDS.key_refused.action).toBe('disable')
  expect(KINDS.rate_limited.action).toBe('cooldown')
  expect(KINDS.transient.action).toBe('ignore')
})

test('the figures: a client’s mistake is not an error of the service; limits, timeouts and 5xx are', () => {
  expect([200, 400, 401, 404, 408, 429, 500].map(outcomeOf)).toEqual([
    'success',
    'client_error',
    'client_error',
    'client_error',
    'error',
    'error',
    'error',
  ])
})

test('overloaded: 529 to an Anthropic client, 503 to an OpenAI one; any other status as it is', () => {
  expect([
    statusIn('messages', 503),
    statusIn('messages', 529),
    statusIn('chat', 529),
    statusIn('responses', 529),
    statusIn('chat', 503),
  ]).toEqual([529, 529, 503, 503, 503])
  expect(statusIn('messages', 500)).toBe(500)
})
