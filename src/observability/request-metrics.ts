/**
 * Figures per client request, beside the per-target ones: how long each
 * took and how soon its upstream's first byte came, by service, model and
 * outcome; and how many requests each inbound API answered, by status
 * class. Label sets are bounded: past MAX_SERIES, new models count as
 * "other" (a client can name any model; memory must not follow).
 */
import { addHistograms, Histogram, percentilesMs, type HistogramFigures } from './histogram'

export type Outcome = 'success' | 'client_error' | 'error'

export function outcomeOf(status: number): Outcome {
  return status < 400 ? 'success' : status < 500 && status !== 408 && status !== 429 ? 'client_error' : 'error'
}

const MAX_SERIES = 500

export interface SeriesFigures {
  service: string
  model: string
  outcome: Outcome
  histogram: HistogramFigures
  p50_ms: number | null
  p95_ms: number | null
  p99_ms: number | null
}

export interface RequestFigures {
  /** Inbound API → status class (`2xx`...) → requests answered. */
  by_api: Record<string, Record<string, number>>
  duration: SeriesFigures[]
  time_to_first_byte: SeriesFigures[]
}

class Series {
  private readonly series = new Map<string, { service: string; model: string; outcome: Outcome; histogram: Histogram }>()

  observe(service: string, model: string, outcome: Outcome, seconds: number): void {
    let id = `${service}\u0000${model}\u0000${outcome}`
    let entry = this.series.get(id)
    if (!entry) {
      if (this.series.size >= MAX_SERIES) model = 'other'
      id = `${service}\u0000${model}\u0000${outcome}`
      entry = this.series.get(id) ?? { service, model, outcome, histogram: new Histogram() }
      this.series.set(id, entry)
    }
    entry.histogram.observe(seconds)
  }

  toJSON(): SeriesFigures[] {
    return [...this.series.values()].map(({ service, model, outcome, histogram }) =>
      withPercentiles({ service, model, outcome, histogram: histogram.toJSON() }),
    )
  }
}

function withPercentiles(s: Omit<SeriesFigures, 'p50_ms' | 'p95_ms' | 'p99_ms'>): SeriesFigures {
  const p = percentilesMs(s.histogram)
  return { ...s, p50_ms: p.p50, p95_ms: p.p95, p99_ms: p.p99 }
}

export class RequestMetrics {
  readonly duration = new Series()
  readonly firstByte = new Series()
  private readonly byApi: Record<string, Record<string, number>> = {}

  answered(api: string, status: number): void {
    const classes = (this.byApi[api] ??= {})
    const statusClass = `${Math.floor(status / 100)}xx`
    classes[statusClass] = (classes[statusClass] ?? 0) + 1
  }

  toJSON(): RequestFigures {
    return { by_api: structuredClone(this.byApi), duration: this.duration.toJSON(), time_to_first_byte: this.firstByte.toJSON() }
  }
}

/** Several workers' request figures, added up series by series. */
export function mergeRequestFigures(all: readonly RequestFigures[]): RequestFigures {
  const byApi: Record<string, Record<string, number>> = {}
  for (const f of all)
    for (const [api, classes] of Object.entries(f.by_api))
      for (const [c, n] of Object.entries(classes)) (byApi[api] ??= {})[c] = (byApi[api][c] ?? 0) + n
  const merge = (lists: SeriesFigures[][]) => {
    const groups = new Map<string, SeriesFigures[]>()
    for (const s of lists.flat()) {
      const id = `${s.service}\u0000${s.model}\u0000${s.outcome}`
      groups.set(id, [...(groups.get(id) ?? []), s])
    }
    return [...groups.values()].map((g) =>
      withPercentiles({
        service: g[0].service,
        model: g[0].model,
        outcome: g[0].outcome,
        histogram: addHistograms(g.map((s) => s.histogram)),
      }),
    )
  }
  return { by_api: byApi, duration: merge(all.map((f) => f.duration)), time_to_first_byte: merge(all.map((f) => f.time_to_first_byte)) }
}

/**
 * One client request's duration: from its start to the end of the attempt
 * that answered it (for a stream, its last byte, which may come long after
 * the answer was chosen; for a whole answer, before).
 */
export class RequestTimer {
  private readonly start = performance.now()
  private readonly ended = new Map<object, { at: number; broken: boolean }>()
  private final?: { attempt: object; service: string; model: string; status: number }

  constructor(
    private readonly metrics: RequestMetrics,
    /** Called once, when the answer is over: its status, and whether its stream broke. */
    private readonly onDone?: (status: number, broken: boolean) => void,
  ) {}

  /** True once the answer is over (a whole answer ends before it is chosen; a stream after). */
  get done(): boolean {
    return this.finished
  }
  private finished = false

  attemptEnded(attempt: object, broken: boolean): void {
    const at = performance.now()
    if (this.final?.attempt === attempt) this.record(at, broken)
    else this.ended.set(attempt, { at, broken })
  }

  answered(attempt: object, service: string, model: string, status: number): void {
    this.final = { attempt, service, model, status }
    const ended = this.ended.get(attempt)
    if (ended) this.record(ended.at, ended.broken)
  }

  private record(at: number, broken: boolean): void {
    const { service, model, status } = this.final!
    this.finished = true
    this.metrics.duration.observe(service, model, broken ? 'error' : outcomeOf(status), (at - this.start) / 1000)
    this.onDone?.(status, broken)
  }
}
