import { addHistograms, Histogram, percentilesMs, type HistogramFigures } from './histogram'

/** What /stats and /metrics report for one key or endpoint. */
export class TargetCounters {
  requests = 0
  inFlight = 0
  /** Failed attempts by kind: `connect`, `status_4xx`, `status_5xx`... */
  errors: Record<string, number> = {}
  latencyMsTotal = 0
  latencyCount = 0
  /** Each finished call's duration, head to last byte. */
  readonly latency = new Histogram()
  tokensIn = 0
  tokensOut = 0
  /** Of tokensIn: read from the provider's prompt cache, and written to it. */
  cacheRead = 0
  cacheWrite = 0
  /** Calls refused before they went out: lmlb's bound on upstream calls was reached (never the target's fault). */
  overflow = 0
  /** The latest failure, for an operator (the admin API). */
  lastError: { at: number; kind: string } | undefined

  start(): void {
    this.requests++
    this.inFlight++
  }

  /** Closes one attempt begun with start(), once its answer has been relayed or abandoned. */
  finish(durationMs: number): void {
    this.inFlight--
    this.latencyMsTotal += durationMs
    this.latencyCount++
    this.latency.observe(durationMs / 1000)
  }

  /** Counts a failed attempt by kind: `status_500`, `timeout`, `connect`, `stream`... */
  fail(kind: string, at = Date.now()): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1
    this.lastError = { at, kind }
  }

  addTokens(t: { input: number; output: number; cacheRead: number; cacheWrite: number }): void {
    this.tokensIn += t.input
    this.tokensOut += t.output
    this.cacheRead += t.cacheRead
    this.cacheWrite += t.cacheWrite
  }

  toJSON(): CounterFigures {
    return withAverage({
      requests: this.requests,
      in_flight: this.inFlight,
      errors: { ...this.errors },
      duration_ms_total: Math.round(this.latencyMsTotal * 100) / 100,
      finished: this.latencyCount,
      tokens_in: this.tokensIn,
      tokens_out: this.tokensOut,
      cache_read_tokens: this.cacheRead,
      cache_write_tokens: this.cacheWrite,
      overflow: this.overflow,
      latency: this.latency.toJSON(),
    })
  }
}

/** One target's figures as /stats shows them; sums, so workers' figures add up. */
export interface CounterFigures {
  requests: number
  in_flight: number
  errors: Record<string, number>
  avg_latency_ms: number
  duration_ms_total: number
  finished: number
  tokens_in: number
  tokens_out: number
  cache_read_tokens: number
  cache_write_tokens: number
  overflow: number
  /** Durations of finished calls, as a histogram (adds up across workers), and the percentiles read from it. */
  latency: HistogramFigures
  latency_ms: { p50: number | null; p95: number | null; p99: number | null }
}

export function withAverage(f: Omit<CounterFigures, 'avg_latency_ms' | 'latency_ms'>): CounterFigures {
  return {
    ...f,
    avg_latency_ms: f.finished === 0 ? 0 : Math.round((f.duration_ms_total / f.finished) * 100) / 100,
    latency_ms: percentilesMs(f.latency),
  }
}

/** Several workers' figures for the same target, added up. */
export function addFigures(all: CounterFigures[]): CounterFigures {
  const errors: Record<string, number> = {}
  for (const f of all) for (const [kind, n] of Object.entries(f.errors)) errors[kind] = (errors[kind] ?? 0) + n
  const sum = (
    field:
      | 'requests'
      | 'in_flight'
      | 'duration_ms_total'
      | 'finished'
      | 'tokens_in'
      | 'tokens_out'
      | 'cache_read_tokens'
      | 'cache_write_tokens'
      | 'overflow',
  ) => all.reduce((n, f) => n + (f[field] ?? 0), 0)
  return withAverage({
    requests: sum('requests'),
    in_flight: sum('in_flight'),
    errors,
    duration_ms_total: Math.round(sum('duration_ms_total') * 100) / 100,
    finished: sum('finished'),
    tokens_in: sum('tokens_in'),
    tokens_out: sum('tokens_out'),
    cache_read_tokens: sum('cache_read_tokens'),
    cache_write_tokens: sum('cache_write_tokens'),
    overflow: sum('overflow'),
    latency: addHistograms(all.map((f) => f.latency)),
  })
}
