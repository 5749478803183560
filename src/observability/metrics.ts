/** The /stats figures in Prometheus text format (version 0.0.4). */
import type { ServicePool } from '../balancer/service-pool'
import type { TargetCounters } from './counters'
import type { Health } from '../balancer/health'

interface Row {
  labels: string
  counters: TargetCounters
  health: Health
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

export function prometheusText(pools: Iterable<ServicePool>, now: number): string {
  const rows: Row[] = []
  const keyCounts: string[] = []
  for (const pool of pools) {
    const service = escape(pool.service.name)
    keyCounts.push(`lmlb_keys_configured{service="${service}"} ${pool.service.keys.length}`)
    for (const k of pool.keys.items) rows.push({ labels: `service="${service}",target="key",id="${escape(k.masked)}"`, counters: k.counters, health: k.health })
    for (const e of pool.endpoints.items) rows.push({ labels: `service="${service}",target="endpoint",id="${escape(e.url)}"`, counters: e.counters, health: e.health })
  }
  const family = (name: string, type: string, help: string, lines: string[]) => [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines]
  const each = (name: string, value: (r: Row) => number) => rows.map((r) => `${name}{${r.labels}} ${value(r)}`)
  return [
    ...family('lmlb_keys_configured', 'gauge', 'API keys configured per service.', keyCounts),
    ...family('lmlb_upstream_requests_total', 'counter', 'Upstream attempts per key and per endpoint.', each('lmlb_upstream_requests_total', (r) => r.counters.requests)),
    ...family(
      'lmlb_upstream_errors_total',
      'counter',
      'Failed upstream attempts by kind.',
      rows.flatMap((r) => Object.entries(r.counters.errors).map(([kind, n]) => `lmlb_upstream_errors_total{${r.labels},kind="${escape(kind)}"} ${n}`)),
    ),
    ...family('lmlb_upstream_in_flight', 'gauge', 'Upstream calls under way.', each('lmlb_upstream_in_flight', (r) => r.counters.inFlight)),
    ...family('lmlb_upstream_duration_ms_sum', 'counter', 'Total time of finished upstream calls, head to last byte.', each('lmlb_upstream_duration_ms_sum', (r) => Math.round(r.counters.latencyMsTotal))),
    ...family('lmlb_upstream_duration_ms_count', 'counter', 'Finished upstream calls.', each('lmlb_upstream_duration_ms_count', (r) => r.counters.latencyCount)),
    ...family('lmlb_tokens_total', 'counter', 'Tokens reported by upstreams, by direction.', [
      ...each('lmlb_tokens_total', (r) => r.counters.tokensIn).map((l) => l.replace('{', '{direction="in",')),
      ...each('lmlb_tokens_total', (r) => r.counters.tokensOut).map((l) => l.replace('{', '{direction="out",')),
    ]),
    ...family('lmlb_target_available', 'gauge', '1 when the key or endpoint may take a request now.', each('lmlb_target_available', (r) => (r.health.available(now) ? 1 : 0))),
    '',
  ].join('\n')
}
