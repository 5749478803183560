import { describe, expect, test } from 'bun:test'
import type { ServiceConfig, Strategy } from '../../src/config/schema'
import { ServicePool } from '../../src/balancer/service-pool'
import { readRateLimits } from '../../src/upstream/rate-limits'

const t0 = Date.parse('2026-01-01T00:00:00Z')

const service = (strategy: Strategy, keys = ['sk-aaaaaaaaaaaa', 'sk-bbbbbbbbbbbb'], endpoints = ['https://api.example.com/v1']) =>
  ({
    name: 'openai',
    format: 'openai',
    apis: ['chat'],
    endpoints: endpoints.map((url) => ({ url, weight: 1, priority: 0 })),
    keys: keys.map((value, i) => ({ value, weight: 1, priority: i })),
    strategy,
    headers: {},
    rename: {},
    keysRequired: true,
    keyVariables: 'OPENAI_API_KEYS',
  }) as unknown as ServiceConfig

const spent = (resetIn: string) =>
  readRateLimits(new Headers({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': resetIn }), t0)

describe('ServicePool and reported quotas', () => {
  test('a key reported spent is skipped until its reset, then picked again', () => {
    const pool = new ServicePool(service('round-robin'))
    const [a, b] = pool.keys.items
    a.quota.observe(spent('2s'), t0)
    for (let now = t0; now < t0 + 2000; now++) {
      const target = pool.pick(now)
      expect(target?.key).toBe(b)
      b.health.succeeded()
    }
    const back = [pool.pick(t0 + 2000)?.key, pool.pick(t0 + 2000)?.key]
    expect(back).toContain(a)
    expect(back).toContain(b)
  })

  test('with every key spent: no pick, and the pool recovers at the earliest reset', () => {
    const pool = new ServicePool(service('round-robin'))
    const [a, b] = pool.keys.items
    a.quota.observe(spent('5s'), t0)
    b.quota.observe(spent('3s'), t0)
    expect(pool.pick(t0)).toBeUndefined()
    expect(pool.recoversAt(t0)).toBe(t0 + 3000)
    // A cooldown longer than the reset still decides for that key.
    b.health.failed(t0, 10_000)
    expect(pool.recoversAt(t0)).toBe(t0 + 5000)
    expect(pool.pick(t0 + 5000)?.key).toBe(a)
  })

  test('tokensNeeded: a key with too few tokens left is skipped for that request only', () => {
    const pool = new ServicePool(service('round-robin'))
    const [a, b] = pool.keys.items
    a.quota.observe(readRateLimits(new Headers({ 'x-ratelimit-remaining-tokens': '100', 'x-ratelimit-reset-tokens': '1m0s' }), t0), t0)
    const big = [pool.pick(t0, undefined, 500)?.key, pool.pick(t0, undefined, 500)?.key]
    expect(big).toEqual([b, b])
    expect(pool.recoversAt(t0, 500)).toBe(0)
    b.quota.observe(readRateLimits(new Headers({ 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '30s' }), t0), t0)
    expect(pool.pick(t0, undefined, 500)).toBeUndefined()
    expect(pool.recoversAt(t0, 500)).toBe(t0 + 30_000)
    expect(pool.pick(t0, undefined, 50)?.key).toBe(a)
  })

  test('skip still applies alongside the quota', () => {
    const pool = new ServicePool(service('round-robin'))
    const [a, b] = pool.keys.items
    a.quota.observe(spent('2s'), t0)
    expect(pool.pick(t0, new Set([b]))).toBeUndefined()
  })

  test('a reload carries the quota over, like health', () => {
    const first = new ServicePool(service('round-robin'))
    first.keys.items[0].quota.observe(spent('2s'), t0)
    const second = new ServicePool(service('round-robin', ['sk-aaaaaaaaaaaa', 'sk-cccccccccccc']), first)
    expect(second.keys.items[0].quota).toBe(first.keys.items[0].quota)
    expect(second.keys.items[0].quota.allows(t0, 0)).toBe(false)
    expect(second.keys.items[1].quota.allows(t0, 0)).toBe(true)
  })

  test('most-remaining: the key with the largest share left, at the pick’s own time', () => {
    const pool = new ServicePool(
      service('most-remaining', ['sk-aaaaaaaaaaaa', 'sk-bbbbbbbbbbbb'], ['https://one.example.com', 'https://two.example.com']),
    )
    const [a, b] = pool.keys.items
    const left = (n: number, reset: string) =>
      readRateLimits(
        new Headers({
          'x-ratelimit-limit-requests': '100',
          'x-ratelimit-remaining-requests': String(n),
          'x-ratelimit-reset-requests': reset,
        }),
        t0,
      )
    a.quota.observe(left(90, '10s'), t0)
    b.quota.observe(left(20, '1s'), t0)
    const picks = [pool.pick(t0), pool.pick(t0), pool.pick(t0)]
    expect(picks.map((p) => p?.key)).toEqual([a, a, a])
    // Endpoints report no quota: they go in turn.
    const [one, two] = pool.endpoints.items
    expect(picks.map((p) => p?.endpoint)).toEqual([one, two, one])
    // Past b's reset its report says nothing: full share, so it leads.
    expect(pool.pick(t0 + 1000)?.key).toBe(b)
  })
})
