/**
 * Durations as Prometheus histograms: fixed buckets fit for LLM calls (10 ms
 * to 10 min), counts that add up across workers, and quantiles estimated
 * from the buckets as Prometheus' histogram_quantile does.
 */
export const DURATION_BUCKETS_S = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600] as const

/** Counts per bucket (not cumulative; the last is above the largest bound), their sum in seconds, and how many. */
export interface HistogramFigures {
  counts: number[]
  sum: number
  count: number
}

export class Histogram {
  private readonly counts = new Array<number>(DURATION_BUCKETS_S.length + 1).fill(0)
  private sum = 0
  private count = 0

  observe(seconds: number): void {
    let i = 0
    while (i < DURATION_BUCKETS_S.length && seconds > DURATION_BUCKETS_S[i]) i++
    this.counts[i]++
    this.sum += seconds
    this.count++
  }

  toJSON(): HistogramFigures {
    return { counts: [...this.counts], sum: Math.round(this.sum * 1e6) / 1e6, count: this.count }
  }
}

export function emptyHistogram(): HistogramFigures {
  return { counts: new Array<number>(DURATION_BUCKETS_S.length + 1).fill(0), sum: 0, count: 0 }
}

export function addHistograms(all: readonly HistogramFigures[]): HistogramFigures {
  const out = emptyHistogram()
  for (const h of all) {
    h.counts.forEach((n, i) => (out.counts[i] += n))
    out.sum += h.sum
    out.count += h.count
  }
  out.sum = Math.round(out.sum * 1e6) / 1e6
  return out
}

/** The q-quantile in milliseconds, interpolated within its bucket; null with nothing observed. */
export function quantileMs(h: HistogramFigures, q: number): number | null {
  if (h.count === 0) return null
  const rank = q * h.count
  let seen = 0
  for (let i = 0; i < h.counts.length; i++) {
    if (seen + h.counts[i] >= rank && h.counts[i] > 0) {
      const lower = i === 0 ? 0 : DURATION_BUCKETS_S[i - 1]
      // Above the largest bound there is no upper edge: the largest bound is the estimate, as Prometheus gives.
      if (i === DURATION_BUCKETS_S.length) return lower * 1000
      const upper = DURATION_BUCKETS_S[i]
      return Math.round((lower + (upper - lower) * ((rank - seen) / h.counts[i])) * 1e6) / 1e3
    }
    seen += h.counts[i]
  }
  return null
}

/** p50, p95 and p99 in milliseconds. */
export function percentilesMs(h: HistogramFigures): { p50: number | null; p95: number | null; p99: number | null } {
  return { p50: quantileMs(h, 0.5), p95: quantileMs(h, 0.95), p99: quantileMs(h, 0.99) }
}

/** Prometheus text for one histogram series: cumulative `_bucket` lines with `le`, then `_sum` and `_count`. */
export function histogramLines(name: string, labels: string, h: HistogramFigures): string[] {
  const sep = labels === '' ? '' : `${labels},`
  const lines: string[] = []
  let cumulative = 0
  DURATION_BUCKETS_S.forEach((bound, i) => {
    cumulative += h.counts[i]
    lines.push(`${name}_bucket{${sep}le="${bound}"} ${cumulative}`)
  })
  lines.push(`${name}_bucket{${sep}le="+Inf"} ${h.count}`)
  lines.push(`${name}_sum{${labels}} ${h.sum}`, `${name}_count{${labels}} ${h.count}`)
  return lines
}
