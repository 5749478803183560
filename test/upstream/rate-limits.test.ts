import { describe, expect, test } from 'bun:test'
import { parseReset, readRateLimits } from '../../src/upstream/rate-limits'

const now = Date.parse('2026-01-01T00:00:00Z')
const h = (init: Record<string, string>) => new Headers(init)

describe('parseReset', () => {
  test('durations as OpenAI writes them', () => {
    expect(parseReset('6m0s', now)).toBe(360_000)
    expect(parseReset('1s', now)).toBe(1000)
    expect(parseReset('20ms', now)).toBe(20)
    expect(parseReset('0.5s', now)).toBe(500)
    expect(parseReset('1h2m3.5s', now)).toBe(3_723_500)
  })

  test('RFC 3339 timestamps; one already past gives 0', () => {
    expect(parseReset('2026-01-01T00:00:12Z', now)).toBe(12_000)
    expect(parseReset('2026-01-01T00:00:01.250Z', now)).toBe(1250)
    expect(parseReset('2025-12-31T23:59:00Z', now)).toBe(0)
  })

  test('garbage: undefined', () => {
    expect(parseReset('soon', now)).toBeUndefined()
    expect(parseReset('', now)).toBeUndefined()
  })
})

describe('readRateLimits', () => {
  test("OpenAI's x-ratelimit-*: limits, remaining, resets made absolute", () => {
    const limits = readRateLimits(
      h({
        'x-ratelimit-limit-requests': '500',
        'x-ratelimit-remaining-requests': '499',
        'x-ratelimit-reset-requests': '120ms',
        'x-ratelimit-limit-tokens': '30000',
        'x-ratelimit-remaining-tokens': '29000',
        'x-ratelimit-reset-tokens': '2s',
      }),
      now,
    )
    expect(limits).toEqual({
      requests: { limit: 500, remaining: 499, resetAt: now + 120 },
      tokens: { limit: 30_000, remaining: 29_000, resetAt: now + 2000 },
    })
  })

  test('OpenAI: no limit header, the rest still counts', () => {
    expect(readRateLimits(h({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6m0s' }), now)).toEqual({
      requests: { remaining: 0, resetAt: now + 360_000 },
    })
  })

  test("Anthropic's anthropic-ratelimit-*: RFC 3339 resets; tokens = the tighter of tokens and input-tokens", () => {
    const limits = readRateLimits(
      h({
        'anthropic-ratelimit-requests-limit': '50',
        'anthropic-ratelimit-requests-remaining': '49',
        'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:01Z',
        'anthropic-ratelimit-tokens-limit': '100000',
        'anthropic-ratelimit-tokens-remaining': '90000',
        'anthropic-ratelimit-tokens-reset': '2026-01-01T00:00:30Z',
        'anthropic-ratelimit-input-tokens-limit': '80000',
        'anthropic-ratelimit-input-tokens-remaining': '1000',
        'anthropic-ratelimit-input-tokens-reset': '2026-01-01T00:00:20Z',
        'anthropic-ratelimit-output-tokens-limit': '16000',
        'anthropic-ratelimit-output-tokens-remaining': '16000',
        'anthropic-ratelimit-output-tokens-reset': '2026-01-01T00:00:10Z',
      }),
      now,
    )
    expect(limits).toEqual({
      requests: { limit: 50, remaining: 49, resetAt: now + 1000 },
      tokens: { limit: 80_000, remaining: 1000, resetAt: now + 20_000 },
      outputTokens: { limit: 16_000, remaining: 16_000, resetAt: now + 10_000 },
    })
  })

  test('Anthropic: tokens alone, or input-tokens alone', () => {
    const tokens = { 'anthropic-ratelimit-tokens-remaining': '5', 'anthropic-ratelimit-tokens-reset': '2026-01-01T00:00:05Z' }
    expect(readRateLimits(h(tokens), now)?.tokens).toEqual({ remaining: 5, resetAt: now + 5000 })
    const input = { 'anthropic-ratelimit-input-tokens-remaining': '7', 'anthropic-ratelimit-input-tokens-reset': '2026-01-01T00:00:07Z' }
    expect(readRateLimits(h(input), now)?.tokens).toEqual({ remaining: 7, resetAt: now + 7000 })
  })

  test('none: undefined', () => {
    expect(readRateLimits(h({}), now)).toBeUndefined()
    expect(readRateLimits(h({ 'content-type': 'application/json', 'retry-after': '5' }), now)).toBeUndefined()
  })

  test('missing or garbage values never throw; an unreadable limit is left out', () => {
    const garbage: Record<string, string>[] = [
      { 'x-ratelimit-remaining-requests': 'lots', 'x-ratelimit-reset-requests': '1s' },
      { 'x-ratelimit-remaining-requests': '-1', 'x-ratelimit-reset-requests': '1s' },
      { 'x-ratelimit-remaining-requests': '', 'x-ratelimit-reset-requests': '1s' },
      { 'x-ratelimit-remaining-requests': '3', 'x-ratelimit-reset-requests': 'whenever' },
      { 'x-ratelimit-remaining-requests': '3' },
      { 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-limit-requests': '10' },
      { 'anthropic-ratelimit-tokens-remaining': 'NaN', 'anthropic-ratelimit-tokens-reset': 'not a date' },
      { 'anthropic-ratelimit-requests-remaining': 'Infinity', 'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:05Z' },
    ]
    for (const headers of garbage) expect(readRateLimits(h(headers), now)).toBeUndefined()
    // A garbage limit drops only the limit; the remaining and reset still count.
    expect(
      readRateLimits(
        h({
          'x-ratelimit-limit-requests': 'many',
          'x-ratelimit-remaining-requests': '3',
          'x-ratelimit-reset-requests': '1s',
          'x-ratelimit-remaining-tokens': 'x',
        }),
        now,
      ),
    ).toEqual({ requests: { remaining: 3, resetAt: now + 1000 } })
  })
})
