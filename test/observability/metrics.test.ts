/**
 * prometheusText: the /stats document as Prometheus text (0.0.4). Each
 * family once with its HELP and TYPE, the labels that tell targets apart
 * (service, target, id: a masked key or an endpoint URL), values taken from
 * the figures, optional families only when there is something to say, and
 * label values escaped: model names come from clients and may hold
 * anything.
 */
import { expect, test } from 'bun:test'
import { TargetCounters } from '../../src/observability/counters'
import { prometheusText } from '../../src/observability/metrics'
import { RequestMetrics } from '../../src/observability/request-metrics'
import type { HealthFigures, Stats, TargetStats } from '../../src/observability/stats'

const HEALTHY: HealthFigures = { state: 'healthy', consecutive_failures: 0, cooldown_remaining_ms: 0 }
const NO_QUOTA = { remaining_requests: null, remaining_tokens: null, requests_reset_at: null, tokens_reset_at: null }

function target(fill: (c: TargetCounters) => void, health = HEALTHY): TargetStats {
  const c = new TargetCounters()
  fill(c)
  return { ...c.toJSON(), health }
}

function statsDoc(): Stats {
  const requests = new RequestMetrics()
  requests.answered('openai', 200)
  requests.answered('openai', 502)
  requests.duration.observe('openai', 'weird"model\\name\nx', 'success', 0.3)
  requests.firstByte.observe('openai', 'gpt-x', 'error', 0.02)
  return {
    workers: 2,
    requests: requests.toJSON(),
    load_balancer_stats: {
      openai: {
        keys_count: 2,
        endpoints: ['http://a.test/v1'],
        strategy: 'round-robin',
        format: 'openai',
        keys: [
          {
            key: 'sk-...0001',
            id: 'aaaaaaaaaaaa',
            source: 'config',
            last_check: null,
            quota: { ...NO_QUOTA, remaining_requests: 41, remaining_tokens: 9000 },
            ...target((c) => {
              c.start()
              c.start()
              c.finish(200)
              c.fail('status_500')
              c.addTokens({ input: 7, output: 3, cacheRead: 2, cacheWrite: 1 })
            }),
          },
          {
            key: 'sk-...0002',
            id: 'bbbbbbbbbbbb',
            source: 'config',
            last_check: null,
            quota: NO_QUOTA,
            ...target(() => {}, { state: 'cooling', consecutive_failures: 1, cooldown_remaining_ms: 900 }),
          },
        ],
        endpoint_stats: [{ url: 'http://a.test/v1', ...target((c) => c.start()) }],
        affinity: { mode: 'session', pinned_sessions: 3, hits: 5, new_pins: 2, repins: { 'key cooling': 1 } },
        key_states: { active: 1, cooling: 1, disabled: 0 },
        key_events: { disabled: { invalid_key: 2, operator: 1 }, enabled: { check: 1 }, checks: { passed: 1, failed: 3 } },
      },
    },
  }
}

const lines = (text: string, name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))

test('every family once, with HELP and TYPE before its lines; the text ends with a newline', () => {
  const text = prometheusText(statsDoc())
  expect(text.endsWith('\n')).toBe(true)
  const types = text
    .split('\n')
    .filter((l) => l.startsWith('# TYPE '))
    .map((l) => l.split(' ').slice(2).join(' '))
  expect(types).toEqual([
    'lmlb_workers gauge',
    'lmlb_keys_configured gauge',
    'lmlb_upstream_requests_total counter',
    'lmlb_upstream_errors_total counter',
    'lmlb_upstream_overflow_total counter',
    'lmlb_upstream_in_flight gauge',
    'lmlb_upstream_duration_seconds histogram',
    'lmlb_request_duration_seconds histogram',
    'lmlb_upstream_time_to_first_byte_seconds histogram',
    'lmlb_requests_total counter',
    'lmlb_cost_usd_total counter',
    'lmlb_usage_tokens_total counter',
    'lmlb_usage_requests_total counter',
    'lmlb_tokens_total counter',
    'lmlb_cache_tokens_total counter',
    'lmlb_ratelimit_remaining gauge',
    'lmlb_affinity_sessions_pinned gauge',
    'lmlb_affinity_requests_total counter',
    'lmlb_keys gauge',
    'lmlb_key_disables_total counter',
    'lmlb_key_enables_total counter',
    'lmlb_key_checks_total counter',
    'lmlb_target_available gauge',
  ])
  const all = text.split('\n')
  for (const type of types) {
    const name = type.split(' ')[0]
    expect(all.indexOf(`# TYPE ${type}`)).toBe(all.findIndex((l) => l.startsWith(`# HELP ${name} `)) + 1)
  }
})

test('per-target lines: service, target and id labels, values from the figures', () => {
  const text = prometheusText(statsDoc())
  expect(lines(text, 'lmlb_workers')).toEqual(['lmlb_workers 2'])
  expect(lines(text, 'lmlb_keys_configured')).toEqual(['lmlb_keys_configured{service="openai"} 2'])
  expect(lines(text, 'lmlb_upstream_requests_total')).toEqual([
    'lmlb_upstream_requests_total{service="openai",target="key",id="sk-...0001"} 2',
    'lmlb_upstream_requests_total{service="openai",target="key",id="sk-...0002"} 0',
    'lmlb_upstream_requests_total{service="openai",target="endpoint",id="http://a.test/v1"} 1',
  ])
  expect(lines(text, 'lmlb_upstream_errors_total')).toEqual([
    'lmlb_upstream_errors_total{service="openai",target="key",id="sk-...0001",kind="status_500"} 1',
  ])
  expect(lines(text, 'lmlb_upstream_in_flight')[0]).toBe('lmlb_upstream_in_flight{service="openai",target="key",id="sk-...0001"} 1')
  expect(lines(text, 'lmlb_tokens_total').slice(0, 1)).toEqual([
    'lmlb_tokens_total{direction="in",service="openai",target="key",id="sk-...0001"} 7',
  ])
  expect(text).toContain('lmlb_tokens_total{direction="out",service="openai",target="key",id="sk-...0001"} 3')
  expect(text).toContain('lmlb_cache_tokens_total{kind="write",service="openai",target="key",id="sk-...0001"} 1')
  expect(text).toContain('lmlb_upstream_duration_seconds_count{service="openai",target="key",id="sk-...0001"} 1')
  expect(lines(text, 'lmlb_target_available').map((l) => l.split(' ').at(-1))).toEqual(['1', '0', '1'])
})

test('rate limits only where the provider reported them; affinity by outcome and reason', () => {
  const text = prometheusText(statsDoc())
  expect(lines(text, 'lmlb_ratelimit_remaining')).toEqual([
    'lmlb_ratelimit_remaining{service="openai",id="sk-...0001",kind="requests"} 41',
    'lmlb_ratelimit_remaining{service="openai",id="sk-...0001",kind="tokens"} 9000',
  ])
  expect(lines(text, 'lmlb_affinity_sessions_pinned')).toEqual(['lmlb_affinity_sessions_pinned{service="openai"} 3'])
  expect(lines(text, 'lmlb_affinity_requests_total')).toEqual([
    'lmlb_affinity_requests_total{service="openai",outcome="hit",reason=""} 5',
    'lmlb_affinity_requests_total{service="openai",outcome="new",reason=""} 2',
    'lmlb_affinity_requests_total{service="openai",outcome="repin",reason="key cooling"} 1',
  ])
})

test('keys by state, disables by reason, enables by what brought them back, checks by result', () => {
  const text = prometheusText(statsDoc())
  expect(lines(text, 'lmlb_keys')).toEqual([
    'lmlb_keys{service="openai",state="active"} 1',
    'lmlb_keys{service="openai",state="cooling"} 1',
    'lmlb_keys{service="openai",state="disabled"} 0',
  ])
  expect(lines(text, 'lmlb_key_disables_total')).toEqual([
    'lmlb_key_disables_total{service="openai",reason="invalid_key"} 2',
    'lmlb_key_disables_total{service="openai",reason="operator"} 1',
  ])
  expect(lines(text, 'lmlb_key_enables_total')).toEqual(['lmlb_key_enables_total{service="openai",by="check"} 1'])
  expect(lines(text, 'lmlb_key_checks_total')).toEqual([
    'lmlb_key_checks_total{service="openai",result="passed"} 1',
    'lmlb_key_checks_total{service="openai",result="failed"} 3',
  ])
})

test('request figures: answers by API and class, and the request histograms with escaped model labels', () => {
  const text = prometheusText(statsDoc())
  expect(lines(text, 'lmlb_requests_total')).toEqual([
    'lmlb_requests_total{api="openai",status_class="2xx"} 1',
    'lmlb_requests_total{api="openai",status_class="5xx"} 1',
  ])
  expect(text).toContain('lmlb_request_duration_seconds_count{service="openai",model="weird\\"model\\\\name\\nx",outcome="success"} 1')
  expect(text).toContain('lmlb_upstream_time_to_first_byte_seconds_bucket{service="openai",model="gpt-x",outcome="error",le="0.025"} 1')
  // No raw line break inside a label: every line is a comment or a sample.
  for (const line of text.split('\n').filter((l) => l !== ''))
    expect(line).toMatch(/^(# (HELP|TYPE) lmlb_\w+ .+|lmlb_\w+(\{.*\})? -?[\d.e+]+)$/)
})

test('with Redis: connected and instances, the count left out while unknown; without, neither family', () => {
  const doc = statsDoc()
  expect(prometheusText(doc)).not.toContain('lmlb_redis_connected')
  const shared = prometheusText({ ...doc, shared: { redis: 'connected', instances: 3 } })
  expect(lines(shared, 'lmlb_redis_connected')).toEqual(['lmlb_redis_connected 1'])
  expect(lines(shared, 'lmlb_shared_instances')).toEqual(['lmlb_shared_instances 3'])
  const unknown = prometheusText({ ...doc, shared: { redis: 'unreachable', instances: null } })
  expect(lines(unknown, 'lmlb_redis_connected')).toEqual(['lmlb_redis_connected 0'])
  expect(unknown).not.toContain('lmlb_shared_instances')
})
