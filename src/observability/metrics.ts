/** The /stats figures in Prometheus text format (version 0.0.4). */
import { histogramLines } from './histogram'
import type { SeriesFigures } from './request-metrics'
import type { Stats, TargetStats } from './stats'

interface Row {
  labels: string
  t: TargetStats
}

const escape = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')

/** One metric family: its help and type lines, then its samples. */
const family = (name: string, type: string, help: string, lines: string[]) => [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...lines]

export function prometheusText(stats: Stats): string {
  const services = Object.entries(stats.load_balancer_stats).map(([name, s]) => ({ service: escape(name), s }))
  const rows: Row[] = services.flatMap(({ service, s }) => [
    ...s.keys.map((k) => ({ labels: `service="${service}",target="key",id="${escape(k.key)}"`, t: k })),
    ...s.endpoint_stats.map((e) => ({ labels: `service="${service}",target="endpoint",id="${escape(e.url)}"`, t: e })),
  ])
  return [
    ...family('lmlb_workers', 'gauge', 'Processes these figures add up.', [`lmlb_workers ${stats.workers}`]),
    ...sharedFamilies(stats),
    ...family(
      'lmlb_keys_configured',
      'gauge',
      'API keys configured per service.',
      services.map(({ service, s }) => `lmlb_keys_configured{service="${service}"} ${s.keys_count}`),
    ),
    ...targetFamilies(rows),
    ...requestFamilies(stats),
    ...spendFamilies(stats),
    ...family('lmlb_tokens_total', 'counter', 'Tokens reported by upstreams, by direction.', [
      ...each(rows, 'lmlb_tokens_total', (t) => t.tokens_in, 'direction="in",'),
      ...each(rows, 'lmlb_tokens_total', (t) => t.tokens_out, 'direction="out",'),
    ]),
    ...family('lmlb_cache_tokens_total', 'counter', "Input tokens read from the provider's prompt cache, and written to it.", [
      ...each(rows, 'lmlb_cache_tokens_total', (t) => t.cache_read_tokens ?? 0, 'kind="read",'),
      ...each(rows, 'lmlb_cache_tokens_total', (t) => t.cache_write_tokens ?? 0, 'kind="write",'),
    ]),
    ...family('lmlb_ratelimit_remaining', 'gauge', 'What the provider last reported left for a key until its reset.', quotaLines(services)),
    ...affinityFamilies(services),
    ...keyFamilies(services),
    ...family(
      'lmlb_target_available',
      'gauge',
      '1 when the key or endpoint may take a request now.',
      each(rows, 'lmlb_target_available', (t) => (t.health.state === 'healthy' ? 1 : 0)),
    ),
    '',
  ].join('\n')
}

type Services = { service: string; s: Stats['load_balancer_stats'][string] }[]

const each = (rows: Row[], name: string, value: (t: TargetStats) => number, extra = '') =>
  rows.map((r) => `${name}{${extra}${r.labels}} ${value(r.t)}`)

/** With Redis: whether it answers, and how many instances share through it. */
function sharedFamilies({ shared }: Stats): string[] {
  if (!shared) return []
  return [
    ...family('lmlb_redis_connected', 'gauge', 'Whether Redis, where instances share state, answers (1) or not (0).', [
      `lmlb_redis_connected ${shared.redis === 'connected' ? 1 : 0}`,
    ]),
    ...(shared.instances === null
      ? []
      : family('lmlb_shared_instances', 'gauge', 'Instances sharing state through Redis, as this one last counted.', [
          `lmlb_shared_instances ${shared.instances}`,
        ])),
  ]
}

/** Per key and per endpoint: attempts, errors, overflow, in flight, durations. */
function targetFamilies(rows: Row[]): string[] {
  return [
    ...family(
      'lmlb_upstream_requests_total',
      'counter',
      'Upstream attempts per key and per endpoint.',
      each(rows, 'lmlb_upstream_requests_total', (t) => t.requests),
    ),
    ...family(
      'lmlb_upstream_errors_total',
      'counter',
      'Failed upstream attempts by kind.',
      rows.flatMap((r) =>
        Object.entries(r.t.errors).map(([kind, n]) => `lmlb_upstream_errors_total{${r.labels},kind="${escape(kind)}"} ${n}`),
      ),
    ),
    ...family(
      'lmlb_upstream_overflow_total',
      'counter',
      "Calls refused with 503 overloaded: lmlb's bound on upstream calls in flight (LMLB_MAX_UPSTREAM_CALLS) was reached.",
      each(rows, 'lmlb_upstream_overflow_total', (t) => t.overflow ?? 0),
    ),
    ...family(
      'lmlb_upstream_in_flight',
      'gauge',
      'Upstream calls under way.',
      each(rows, 'lmlb_upstream_in_flight', (t) => t.in_flight),
    ),
    ...family(
      'lmlb_upstream_duration_seconds',
      'histogram',
      'Finished upstream calls per key and endpoint, head to last byte.',
      rows.flatMap((r) => histogramLines('lmlb_upstream_duration_seconds', r.labels, r.t.latency)),
    ),
  ]
}

/** Per client request: durations, first bytes, answers by API. */
function requestFamilies({ requests }: Stats): string[] {
  return [
    ...family(
      'lmlb_request_duration_seconds',
      'histogram',
      'Client requests served by an upstream, from arrival to the last byte of the answer.',
      series('lmlb_request_duration_seconds', requests.duration),
    ),
    ...family(
      'lmlb_upstream_time_to_first_byte_seconds',
      'histogram',
      "Upstream attempts, from sending to the answer's head (a stream: its first event).",
      series('lmlb_upstream_time_to_first_byte_seconds', requests.time_to_first_byte),
    ),
    ...family(
      'lmlb_requests_total',
      'counter',
      "Requests answered, by inbound API and status class (lmlb's own refusals included).",
      Object.entries(requests.by_api).flatMap(([api, classes]) =>
        Object.entries(classes).map(([c, n]) => `lmlb_requests_total{api="${escape(api)}",status_class="${escape(c)}"} ${n}`),
      ),
    ),
  ]
}

/** What requests spent, by service, model and client key (its id): cost in US dollars, tokens by kind. */
function spendFamilies({ requests }: Stats): string[] {
  const spend = requests.spend ?? []
  const labels = (s: (typeof spend)[number]) =>
    `service="${escape(s.service)}",model="${escape(s.model)}",client_key="${escape(s.client_key)}"`
  const kinds = [
    ['input', 'input_tokens'],
    ['output', 'output_tokens'],
    ['cache_read', 'cache_read_tokens'],
    ['cache_write', 'cache_write_tokens'],
  ] as const
  return [
    ...family(
      'lmlb_cost_usd_total',
      'counter',
      'US dollars spent at list (or configured) prices, by service, model and client key; unpriced models count nothing here.',
      spend.map((s) => `lmlb_cost_usd_total{${labels(s)}} ${s.cost_usd}`),
    ),
    ...family(
      'lmlb_usage_tokens_total',
      'counter',
      'Tokens by kind (input counts every input token, cached ones included), by service, model and client key.',
      spend.flatMap((s) => kinds.map(([kind, field]) => `lmlb_usage_tokens_total{kind="${kind}",${labels(s)}} ${s[field]}`)),
    ),
    ...family(
      'lmlb_usage_requests_total',
      'counter',
      'Requests that reached an upstream, by service, model and client key; `priced` says whether the model had a price.',
      spend.flatMap((s) => [
        `lmlb_usage_requests_total{priced="true",${labels(s)}} ${s.requests - s.unpriced_requests}`,
        `lmlb_usage_requests_total{priced="false",${labels(s)}} ${s.unpriced_requests}`,
      ]),
    ),
  ]
}

function quotaLines(services: Services): string[] {
  return services.flatMap(({ service, s }) =>
    s.keys.flatMap((k) => {
      const labels = `service="${service}",id="${escape(k.key)}"`
      return [
        ...(k.quota.remaining_requests !== null
          ? [`lmlb_ratelimit_remaining{${labels},kind="requests"} ${k.quota.remaining_requests}`]
          : []),
        ...(k.quota.remaining_tokens !== null ? [`lmlb_ratelimit_remaining{${labels},kind="tokens"} ${k.quota.remaining_tokens}`] : []),
      ]
    }),
  )
}

/** Keys by state now; disables by reason, enables by what brought the key back, checks by outcome. */
function keyFamilies(services: Services): string[] {
  const counts = (name: string, label: string, of: (s: Services[number]['s']) => Record<string, number>) =>
    services.flatMap(({ service, s }) =>
      Object.entries(of(s)).map(([k, n]) => `${name}{service="${service}",${label}="${escape(k)}"} ${n}`),
    )
  return [
    ...family(
      'lmlb_keys',
      'gauge',
      'Keys per service by state: active, cooling, disabled.',
      counts('lmlb_keys', 'state', (s) => s.key_states),
    ),
    ...family(
      'lmlb_key_disables_total',
      'counter',
      'Keys disabled, by reason (invalid_key, no_credit, operator...).',
      counts('lmlb_key_disables_total', 'reason', (s) => s.key_events.disabled),
    ),
    ...family(
      'lmlb_key_enables_total',
      'counter',
      'Disabled keys brought back, by what did it: check, operator, lmlb (the endpoint was to blame).',
      counts('lmlb_key_enables_total', 'by', (s) => s.key_events.enabled),
    ),
    ...family(
      'lmlb_key_checks_total',
      'counter',
      'Background and on-demand key checks, by result.',
      counts('lmlb_key_checks_total', 'result', (s) => s.key_events.checks),
    ),
  ]
}

function affinityFamilies(services: Services): string[] {
  const affinity = services.flatMap(({ service, s }) => [
    `lmlb_affinity_requests_total{service="${service}",outcome="hit",reason=""} ${s.affinity.hits}`,
    `lmlb_affinity_requests_total{service="${service}",outcome="new",reason=""} ${s.affinity.new_pins}`,
    ...Object.entries(s.affinity.repins).map(
      ([why, n]) => `lmlb_affinity_requests_total{service="${service}",outcome="repin",reason="${escape(why)}"} ${n}`,
    ),
  ])
  return [
    ...family(
      'lmlb_affinity_sessions_pinned',
      'gauge',
      'Sessions pinned to a key and endpoint.',
      services.map(({ service, s }) => `lmlb_affinity_sessions_pinned{service="${service}"} ${s.affinity.pinned_sessions}`),
    ),
    ...family(
      'lmlb_affinity_requests_total',
      'counter',
      'Requests with a session: on their pin (hit), newly pinned (new), or moved (repin, with why).',
      affinity,
    ),
  ]
}

function series(name: string, list: readonly SeriesFigures[]): string[] {
  return list.flatMap((s) =>
    histogramLines(name, `service="${escape(s.service)}",model="${escape(s.model)}",outcome="${s.outcome}"`, s.histogram),
  )
}
