/**
 * Histogram: fixed buckets as Prometheus counts them (a value on a bound is
 * in that bucket), counts that add up across workers, quantiles estimated
 * as histogram_quantile does, and the Prometheus lines of one series.
 */
import { expect, test } from 'bun:test'
import {
  addHistograms,
  DURATION_BUCKETS_S,
  emptyHistogram,
  Histogram,
  histogramLines,
  percentilesMs,
  quantileMs,
} from '../../src/observability/histogram'

const BUCKETS = DURATION_BUCKETS_S.length + 1

test('a value on a bound falls in that bucket; above the largest, in the last', () => {
  const h = new Histogram()
  h.observe(0)
  h.observe(0.01)
  h.observe(0.0100001)
  h.observe(600)
  h.observe(601)
  const { counts, count, sum } = h.toJSON()
  expect(counts).toHaveLength(BUCKETS)
  expect(counts[0]).toBe(2)
  expect(counts[1]).toBe(1)
  expect(counts[DURATION_BUCKETS_S.length - 1]).toBe(1)
  expect(counts[DURATION_BUCKETS_S.length]).toBe(1)
  expect(count).toBe(5)
  expect(sum).toBe(1201.02)
})

test('toJSON is a copy', () => {
  const h = new Histogram()
  h.toJSON().counts[0] = 5
  expect(h.toJSON().counts[0]).toBe(0)
})

test('histograms add up bucket by bucket', () => {
  const a = new Histogram()
  const b = new Histogram()
  a.observe(0.3)
  b.observe(0.3)
  b.observe(50)
  const sum = addHistograms([a.toJSON(), b.toJSON(), emptyHistogram()])
  expect(sum.count).toBe(3)
  expect(sum.sum).toBe(50.6)
  expect(sum.counts[DURATION_BUCKETS_S.indexOf(0.5)]).toBe(2)
  expect(sum.counts[DURATION_BUCKETS_S.indexOf(60)]).toBe(1)
  expect(addHistograms([])).toEqual(emptyHistogram())
})

test('quantiles: none without values, interpolated within the bucket, the largest bound above it', () => {
  expect(quantileMs(emptyHistogram(), 0.5)).toBeNull()
  expect(percentilesMs(emptyHistogram())).toEqual({ p50: null, p95: null, p99: null })
  const h = new Histogram()
  for (let i = 0; i < 4; i++) h.observe(0.7) // (0.5, 1]
  expect(quantileMs(h.toJSON(), 0.5)).toBe(750)
  expect(quantileMs(h.toJSON(), 1)).toBe(1000)
  const slow = new Histogram()
  slow.observe(5_000)
  expect(quantileMs(slow.toJSON(), 0.99)).toBe(600_000)
})

test('Prometheus lines: cumulative buckets with le, +Inf as the count, then sum and count', () => {
  const h = new Histogram()
  h.observe(0.005)
  h.observe(0.2)
  h.observe(1_000)
  const lines = histogramLines('x_seconds', 'service="a"', h.toJSON())
  expect(lines).toHaveLength(DURATION_BUCKETS_S.length + 3)
  expect(lines[0]).toBe('x_seconds_bucket{service="a",le="0.01"} 1')
  expect(lines[DURATION_BUCKETS_S.indexOf(0.25)]).toBe('x_seconds_bucket{service="a",le="0.25"} 2')
  expect(lines[DURATION_BUCKETS_S.length - 1]).toBe('x_seconds_bucket{service="a",le="600"} 2')
  expect(lines.slice(-3)).toEqual([
    'x_seconds_bucket{service="a",le="+Inf"} 3',
    'x_seconds_sum{service="a"} 1000.205',
    'x_seconds_count{service="a"} 3',
  ])
  expect(histogramLines('y', '', emptyHistogram())[0]).toBe('y_bucket{le="0.01"} 0')
})
