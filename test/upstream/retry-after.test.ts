import { describe, expect, test } from 'bun:test'
import { readRateLimits } from '../../src/upstream/rate-limits'
import { retryAfterMs } from '../../src/upstream/retry-after'

const now = Date.parse('2026-01-01T00:00:00Z')
const h = (init: Record<string, string>) => new Headers(init)

describe('retryAfterMs', () => {
  test('Retry-After in seconds or as an HTTP date', () => {
    expect(retryAfterMs(h({ 'retry-after': '7' }), now)).toBe(7000)
    expect(retryAfterMs(h({ 'retry-after': '1.5' }), now)).toBe(1500)
    expect(retryAfterMs(h({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }), now)).toBe(30_000)
    expect(retryAfterMs(h({ 'retry-after': 'Wed, 31 Dec 2025 00:00:00 GMT' }), now)).toBe(0)
  })

  test("OpenAI's x-ratelimit-reset-*: the exhausted limit decides", () => {
    expect(
      retryAfterMs(
        h({
          'x-ratelimit-reset-requests': '20ms',
          'x-ratelimit-reset-tokens': '6m0s',
          'x-ratelimit-remaining-tokens': '0',
          'x-ratelimit-remaining-requests': '5',
        }),
        now,
      ),
    ).toBe(360_000)
    expect(retryAfterMs(h({ 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '2m3.5s' }), now)).toBe(1000)
  })

  test("Anthropic's anthropic-ratelimit-*-reset timestamps", () => {
    expect(
      retryAfterMs(h({ 'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:12Z', 'anthropic-ratelimit-requests-remaining': '0' }), now),
    ).toBe(12_000)
  })

  test('a wait past a day is a day: no header can cool a key for ever (or past the last date a Date can write)', () => {
    for (const value of ['10000000000000', '9'.repeat(400), 'Sat, 01 Jan 2050 00:00:00 GMT'])
      expect(retryAfterMs(h({ 'retry-after': value }), now)).toBe(86_400_000)
    expect(retryAfterMs(h({ 'x-ratelimit-reset-requests': `${'9'.repeat(400)}h`, 'x-ratelimit-remaining-requests': '0' }), now)).toBe(
      86_400_000,
    )
    expect(
      readRateLimits(h({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '99999999h' }), now)?.requests?.resetAt,
    ).toBe(now + 86_400_000)
  })

  test('nothing usable: undefined (the backoff decides)', () => {
    expect(retryAfterMs(h({}), now)).toBeUndefined()
    expect(retryAfterMs(h({ 'retry-after': 'soon' }), now)).toBeUndefined()
  })
})
