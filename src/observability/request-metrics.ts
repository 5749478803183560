/**
 * Figures per client request, beside the per-target ones: how long each
 * took and how soon its upstream's first byte came, by service, model and
 * outcome; and how many requests each inbound API answered, by status
 * class. Label sets are bounded: past MAX_SERIES, new models count as
 * "other" (a client can name any model; memory must not follow).
 */
import { addHistograms, Histogram, percentilesMs, type HistogramFigures } from './histogram'

import type { Outcome } from '../upstream/verdict'
import { mergeSpend, SpendTotals, type SpendFigures } from './spend'

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
  /** `asked → served`: requests a fallback served (CONTRACT `fallbacks`). */
  fallbacks: Record<string, number>
  duration: SeriesFigures[]
  time_to_first_byte: SeriesFigures[]
  /** Tokens and cost by service, model and client key (observability/spend.ts). */
  spend: SpendFigures[]
}

type Entry = { service: string; model: string; outcome: Outcome; histogram: Histogram }

class Series {
  /** Service → model → outcome → its histogram: found with no key built per request. */
  private readonly byService = new Map<string, Map<string, Map<Outcome, Entry>>>()
  private size = 0

  observe(service: string, model: string, outcome: Outcome, seconds: number): void {
    let models = this.byService.get(service)
    if (!models) this.byService.set(service, (models = new Map()))
    let outcomes = models.get(model)
    if (!outcomes) {
      if (this.size >= MAX_SERIES && model !== 'other') return this.observe(service, 'other', outcome, seconds)
      models.set(model, (outcomes = new Map()))
    }
    let entry = outcomes.get(outcome)
    if (!entry) {
      if (this.size >= MAX_SERIES && model !== 'other') return this.observe(service, 'other', outcome, seconds)
      outcomes.set(outcome, (entry = { service, model, outcome, histogram: new Histogram() }))
      this.size++
    }
    entry.histogram.observe(seconds)
  }

  toJSON(): SeriesFigures[] {
    const out: SeriesFigures[] = []
    for (const models of this.byService.values())
      for (const outcomes of models.values())
        for (const { service, model, outcome, histogram } of outcomes.values())
          out.push(withPercentiles({ service, model, outcome, histogram: histogram.toJSON() }))
    return out
  }
}

function withPercentiles(s: Omit<SeriesFigures, 'p50_ms' | 'p95_ms' | 'p99_ms'>): SeriesFigures {
  const p = percentilesMs(s.histogram)
  return { ...s, p50_ms: p.p50, p95_ms: p.p95, p99_ms: p.p99 }
}

export class RequestMetrics {
  readonly duration = new Series()
  readonly firstByte = new Series()
  readonly spend = new SpendTotals()
  private readonly byApi: Record<string, Record<string, number>> = {}
  /** `asked → served` → how many requests a fallback served. */
  private readonly fellBack: Record<string, number> = {}

  fallback(asked: string, served: string): void {
    const pair = `${asked} → ${served}`
    this.fellBack[pair] = (this.fellBack[pair] ?? 0) + 1
  }

  answered(api: string, status: number): void {
    const classes = (this.byApi[api] ??= {})
    const statusClass = `${Math.floor(status / 100)}xx`
    classes[statusClass] = (classes[statusClass] ?? 0) + 1
  }

  toJSON(): RequestFigures {
    return {
      by_api: structuredClone(this.byApi),
      fallbacks: { ...this.fellBack },
      duration: this.duration.toJSON(),
      time_to_first_byte: this.firstByte.toJSON(),
      spend: this.spend.toJSON(),
    }
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
  const fallbacks: Record<string, number> = {}
  for (const f of all) for (const [pair, n] of Object.entries(f.fallbacks ?? {})) fallbacks[pair] = (fallbacks[pair] ?? 0) + n
  return {
    by_api: byApi,
    fallbacks,
    duration: merge(all.map((f) => f.duration)),
    time_to_first_byte: merge(all.map((f) => f.time_to_first_byte)),
    spend: mergeSpend(all.map((f) => f.spend ?? [])),
  }
}
