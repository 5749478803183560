/**
 * mergeStats: several workers' /stats documents as one. Counts add up per
 * key and endpoint, health is the worst any worker sees, request figures
 * and affinity hits add up while pinned sessions (held by every worker)
 * count once, and the seed's fields and Redis view come from the first
 * (the primary's).
 */
import { expect, test } from 'bun:test'
import { TargetCounters } from '../../src/observability/counters'
import { RequestMetrics } from '../../src/observability/request-metrics'
import { type HealthFigures, mergeStats, type Stats, withKeysLimited } from '../../src/observability/stats'

const HEALTHY: HealthFigures = { state: 'healthy', consecutive_failures: 0, cooldown_remaining_ms: 0 }
const NO_QUOTA = { remaining_requests: null, remaining_tokens: null, requests_reset_at: null, tokens_reset_at: null }

function worker(o: {
  requests: number
  health?: HealthFigures
  hits: number
  pinned: number
  repins?: Record<string, number>
  answered?: number
}): Stats {
  const counters = () => {
    const c = new TargetCounters()
    for (let i = 0; i < o.requests; i++) {
      c.start()
      c.finish(100)
    }
    c.fail('connect')
    return c.toJSON()
  }
  const metrics = new RequestMetrics()
  for (let i = 0; i < (o.answered ?? 1); i++) metrics.answered('openai', 200)
  metrics.duration.observe('openai', 'm', 'success', 1)
  return {
    workers: 1,
    requests: metrics.toJSON(),
    load_balancer_stats: {
      openai: {
        keys_count: 1,
        endpoints: ['http://a.test/v1'],
        strategy: 'round-robin',
        format: 'openai',
        keys: [
          {
            key: 'sk-...0001',
            id: 'aaaaaaaaaaaa',
            source: 'config',
            last_check: null,
            quota: NO_QUOTA,
            ...counters(),
            health: o.health ?? HEALTHY,
          },
        ],
        endpoint_stats: [{ url: 'http://a.test/v1', ...counters(), health: HEALTHY }],
        affinity: { mode: 'session', pinned_sessions: o.pinned, hits: o.hits, new_pins: 1, repins: o.repins ?? {} },
        key_states: { active: 1, cooling: 0, disabled: 0 },
        key_events: { disabled: { invalid_key: o.requests }, enabled: {}, checks: { passed: 1, failed: o.requests } },
      },
    },
  }
}

test('one worker: its document as it is', () => {
  const only = worker({ requests: 1, hits: 0, pinned: 0 })
  expect(mergeStats([only])).toBe(only)
})

test("workers' counts add up per key and endpoint; the seed's fields stay", () => {
  const merged = mergeStats([worker({ requests: 2, hits: 0, pinned: 0 }), worker({ requests: 3, hits: 0, pinned: 0 })])
  expect(merged.workers).toBe(2)
  const s = merged.load_balancer_stats.openai
  expect(s).toMatchObject({ keys_count: 1, endpoints: ['http://a.test/v1'], strategy: 'round-robin', format: 'openai' })
  expect(s.keys[0]).toMatchObject({ key: 'sk-...0001', requests: 5, finished: 5, avg_latency_ms: 100, errors: { connect: 2 } })
  expect(s.keys[0].latency.count).toBe(5)
  expect(s.endpoint_stats[0]).toMatchObject({ url: 'http://a.test/v1', requests: 5 })
})

test('health is the worst any worker sees, with the most failures and the longest cooldown', () => {
  const merged = mergeStats([
    worker({ requests: 1, hits: 0, pinned: 0, health: { state: 'probing', consecutive_failures: 3, cooldown_remaining_ms: 0 } }),
    worker({ requests: 1, hits: 0, pinned: 0, health: { state: 'cooling', consecutive_failures: 1, cooldown_remaining_ms: 4_000 } }),
    worker({ requests: 1, hits: 0, pinned: 0 }),
  ])
  expect(merged.load_balancer_stats.openai.keys[0].health).toEqual({
    state: 'cooling',
    consecutive_failures: 3,
    cooldown_remaining_ms: 4_000,
  })
})

test('request figures and affinity hits add up; pinned sessions, held by every worker, count once', () => {
  const merged = mergeStats([
    worker({ requests: 1, hits: 2, pinned: 7, repins: { 'key cooling': 1 }, answered: 2 }),
    worker({ requests: 1, hits: 3, pinned: 6, repins: { 'key cooling': 2, 'endpoint gone': 1 }, answered: 1 }),
  ])
  expect(merged.requests.by_api).toEqual({ openai: { '2xx': 3 } })
  expect(merged.requests.duration[0].histogram.count).toBe(2)
  expect(merged.load_balancer_stats.openai.affinity).toEqual({
    mode: 'session',
    pinned_sessions: 7,
    hits: 5,
    new_pins: 2,
    repins: { 'key cooling': 3, 'endpoint gone': 1 },
  })
})

test('key events add up across workers', () => {
  const merged = mergeStats([worker({ requests: 1, hits: 0, pinned: 0 }), worker({ requests: 2, hits: 0, pinned: 0 })])
  expect(merged.load_balancer_stats.openai.key_events).toEqual({
    disabled: { invalid_key: 3 },
    enabled: {},
    checks: { passed: 2, failed: 3 },
  })
})

test("Redis' view is the primary's (the first document's); none when it has none", () => {
  const a = { ...worker({ requests: 1, hits: 0, pinned: 0 }), shared: { redis: 'connected' as const, instances: 2 } }
  const b = { ...worker({ requests: 1, hits: 0, pinned: 0 }), shared: { redis: 'unreachable' as const, instances: null } }
  expect(mergeStats([a, b]).shared).toEqual({ redis: 'connected', instances: 2 })
  expect('shared' in mergeStats([worker({ requests: 1, hits: 0, pinned: 0 }), b])).toBe(false)
})

test('?keys=N: the N most notable keys of each service, disabled then cooling then the busiest; the count kept', () => {
  const doc = worker({ requests: 1, hits: 0, pinned: 0 })
  const svc = doc.load_balancer_stats.openai
  const key = (name: string, state: 'healthy' | 'cooling' | 'disabled', requests: number) => ({
    ...svc.keys[0],
    key: name,
    requests,
    health: { state, consecutive_failures: 0, cooldown_remaining_ms: 0 },
  })
  const many = {
    ...doc,
    load_balancer_stats: {
      openai: {
        ...svc,
        keys_count: 5,
        keys: [key('a', 'healthy', 9), key('b', 'cooling', 1), key('c', 'healthy', 50), key('d', 'disabled', 0), key('e', 'healthy', 2)],
      },
    },
  }
  const limited = withKeysLimited(many, 3).load_balancer_stats.openai
  expect(limited.keys.map((k) => k.key)).toEqual(['d', 'b', 'c'])
  expect([limited.keys_count, limited.keys_listed]).toEqual([5, 3])
  expect(withKeysLimited(many, 5).load_balancer_stats.openai.keys_listed).toBeUndefined()
})
