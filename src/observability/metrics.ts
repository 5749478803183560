/** The /stats figures in Prometheus text format (version 0.0.4). */
import type { Stats, TargetStats } from './stats'

interface Row {
  labels: string
  t: TargetStats
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

export function prometheusText(stats: Stats): string {
  const rows: Row[] = []
  const keyCounts: string[] = []
  for (const [name, s] of Object.entries(stats.load_balancer_stats)) {
    const service = escape(name)
    keyCounts.push(`lmlb_keys_configured{service="${service}"} ${s.keys_count}`)
    for (const k of s.keys) rows.push({ labels: `service="${service}",target="key",id="${escape(k.key)}"`, t: k })
    for (const e of s.endpoint_stats) rows.push({ labels: `service="${service}",target="endpoint",id="${escape(e.url)}"`, t: e })
  }
  const family = (name: string, type: string, help: string, lines: string[]) => [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines]
  const each = (name: string, value: (t: TargetStats) => number, extra = '') => rows.map((r) => `${name}{${extra}${r.labels}} ${value(r.t)}`)
  return [
    ...family('lmlb_workers', 'gauge', 'Processes these figures add up.', [`lmlb_workers ${stats.workers}`]),
    ...family('lmlb_keys_configured', 'gauge', 'API keys configured per service.', keyCounts),
    ...family('lmlb_upstream_requests_total', 'counter', 'Upstream attempts per key and per endpoint.', each('lmlb_upstream_requests_total', (t) => t.requests)),
    ...family(
      'lmlb_upstream_errors_total',
      'counter',
      'Failed upstream attempts by kind.',
      rows.flatMap((r) => Object.entries(r.t.errors).map(([kind, n]) => `lmlb_upstream_errors_total{${r.labels},kind="${escape(kind)}"} ${n}`)),
    ),
    ...family('lmlb_upstream_overflow_total', 'counter', 'Calls refused with 503 overloaded: lmlb\'s bound on upstream calls in flight (LMLB_MAX_UPSTREAM_CALLS) was reached.', each('lmlb_upstream_overflow_total', (t) => t.overflow ?? 0)),
    ...family('lmlb_upstream_in_flight', 'gauge', 'Upstream calls under way.', each('lmlb_upstream_in_flight', (t) => t.in_flight)),
    ...family('lmlb_upstream_duration_ms_sum', 'counter', 'Total time of finished upstream calls, head to last byte.', each('lmlb_upstream_duration_ms_sum', (t) => Math.round(t.duration_ms_total))),
    ...family('lmlb_upstream_duration_ms_count', 'counter', 'Finished upstream calls.', each('lmlb_upstream_duration_ms_count', (t) => t.finished)),
    ...family('lmlb_tokens_total', 'counter', 'Tokens reported by upstreams, by direction.', [
      ...each('lmlb_tokens_total', (t) => t.tokens_in, 'direction="in",'),
      ...each('lmlb_tokens_total', (t) => t.tokens_out, 'direction="out",'),
    ]),
    ...family('lmlb_target_available', 'gauge', '1 when the key or endpoint may take a request now.', each('lmlb_target_available', (t) => (t.health.state === 'healthy' ? 1 : 0))),
    '',
  ].join('\n')
}
