import { describe, expect, test } from 'bun:test'
import { Quota } from '../../src/balancer/quota'
import { readRateLimits } from '../../src/upstream/rate-limits'

const t0 = 1_000_000

describe('Quota', () => {
  test('nothing known: allowed, full share, nothing to show', () => {
    const q = new Quota()
    expect(q.allows(t0, 1_000_000)).toBe(true)
    expect(q.recoversAt(t0)).toBe(0)
    expect(q.share(t0)).toBe(1)
    expect(q.toJSON(t0)).toEqual({ remaining_requests: null, remaining_tokens: null, requests_reset_at: null, tokens_reset_at: null })
  })

  test('no request left: skipped until the reset, then used again', () => {
    const q = new Quota()
    q.observe({ requests: { limit: 10, remaining: 0, resetAt: t0 + 2000 } }, t0)
    expect(q.allows(t0, 0)).toBe(false)
    expect(q.allows(t0 + 1999, 0)).toBe(false)
    expect(q.recoversAt(t0 + 500)).toBe(t0 + 2000)
    expect(q.share(t0)).toBe(0)
    expect(q.allows(t0 + 2000, 0)).toBe(true)
    expect(q.recoversAt(t0 + 2000)).toBe(0)
    expect(q.share(t0 + 2000)).toBe(1)
    expect(q.toJSON(t0 + 2000).remaining_requests).toBeNull()
  })

  test('tokens: refused when fewer are left than the request needs; none left refuses any', () => {
    const q = new Quota()
    q.observe(
      { requests: { limit: 10, remaining: 9, resetAt: t0 + 1000 }, tokens: { limit: 1000, remaining: 300, resetAt: t0 + 6000 } },
      t0,
    )
    expect(q.allows(t0, 0)).toBe(true)
    expect(q.allows(t0, 300)).toBe(true)
    expect(q.allows(t0, 301)).toBe(false)
    expect(q.recoversAt(t0, 301)).toBe(t0 + 6000)
    expect(q.recoversAt(t0, 300)).toBe(0)
    expect(q.allows(t0 + 6000, 301)).toBe(true)
    q.observe({ tokens: { limit: 1000, remaining: 0, resetAt: t0 + 6000 } }, t0)
    expect(q.allows(t0, 0)).toBe(false)
  })

  test('both spent: recovers when the later reset has passed', () => {
    const q = new Quota()
    q.observe({ requests: { remaining: 0, resetAt: t0 + 1000 }, tokens: { remaining: 0, resetAt: t0 + 5000 } }, t0)
    expect(q.recoversAt(t0)).toBe(t0 + 5000)
    expect(q.allows(t0 + 1000, 0)).toBe(false)
    expect(q.recoversAt(t0 + 1000)).toBe(t0 + 5000)
    expect(q.allows(t0 + 5000, 0)).toBe(true)
  })

  test('an output-tokens limit spent refuses too (Anthropic)', () => {
    const q = new Quota()
    q.observe({ outputTokens: { limit: 8000, remaining: 0, resetAt: t0 + 3000 } }, t0)
    expect(q.allows(t0, 0)).toBe(false)
    expect(q.recoversAt(t0)).toBe(t0 + 3000)
  })

  test('the latest report wins; a report of nothing keeps the previous one', () => {
    const q = new Quota()
    q.observe({ requests: { limit: 10, remaining: 0, resetAt: t0 + 60_000 } }, t0)
    q.observe(undefined, t0 + 10)
    expect(q.allows(t0 + 10, 0)).toBe(false)
    q.observe({ requests: { limit: 10, remaining: 10, resetAt: t0 + 60_000 } }, t0 + 20)
    expect(q.allows(t0 + 20, 0)).toBe(true)
  })

  test('share: the smaller of requests and tokens, relative to the limit', () => {
    const q = new Quota()
    q.observe(
      { requests: { limit: 100, remaining: 80, resetAt: t0 + 1000 }, tokens: { limit: 1000, remaining: 250, resetAt: t0 + 2000 } },
      t0,
    )
    expect(q.share(t0)).toBe(0.25)
    // Past the requests' reset, only tokens still count.
    expect(q.share(t0 + 1000)).toBe(0.25)
    // Past the tokens' reset, only requests.
    q.observe(
      { requests: { limit: 100, remaining: 80, resetAt: t0 + 10_000 }, tokens: { limit: 1000, remaining: 250, resetAt: t0 + 2000 } },
      t0,
    )
    expect(q.share(t0 + 2000)).toBe(0.8)
    expect(q.share(t0 + 10_000)).toBe(1)
  })

  test('share without a limit header: relative to the largest remaining seen for the key', () => {
    const q = new Quota()
    q.observe({ requests: { remaining: 40, resetAt: t0 + 1000 } }, t0)
    expect(q.share(t0)).toBe(1)
    q.observe({ requests: { remaining: 10, resetAt: t0 + 1000 } }, t0 + 1)
    expect(q.share(t0 + 1)).toBe(0.25)
  })

  test('toJSON: remaining and ISO resets while they last', () => {
    const q = new Quota()
    q.observe(
      readRateLimits(
        new Headers({
          'x-ratelimit-remaining-requests': '7',
          'x-ratelimit-reset-requests': '1s',
          'x-ratelimit-remaining-tokens': '900',
          'x-ratelimit-reset-tokens': '5s',
        }),
        t0,
      ),
      t0,
    )
    expect(q.toJSON(t0)).toEqual({
      remaining_requests: 7,
      remaining_tokens: 900,
      requests_reset_at: new Date(t0 + 1000).toISOString(),
      tokens_reset_at: new Date(t0 + 5000).toISOString(),
    })
    expect(q.toJSON(t0 + 1000)).toEqual({
      remaining_requests: null,
      remaining_tokens: 900,
      requests_reset_at: null,
      tokens_reset_at: new Date(t0 + 5000).toISOString(),
    })
  })
})
