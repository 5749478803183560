/**
 * TargetCounters: one key's or endpoint's figures for /stats and /metrics
 * (requests, in flight, errors by kind, durations, tokens, overflow), and
 * how several workers' figures for the same target add up.
 */
import { expect, test } from 'bun:test'
import { addFigures, TargetCounters } from '../../src/observability/counters'

test('a call is counted at its start, in flight until it finishes, its duration kept as total, average and histogram', () => {
  const c = new TargetCounters()
  c.start()
  c.start()
  expect(c.toJSON()).toMatchObject({ requests: 2, in_flight: 2, finished: 0, avg_latency_ms: 0 })
  c.finish(100)
  c.finish(300.123)
  const f = c.toJSON()
  expect(f).toMatchObject({ requests: 2, in_flight: 0, finished: 2, duration_ms_total: 400.12, avg_latency_ms: 200.06 })
  expect(f.latency.count).toBe(2)
  expect(f.latency_ms.p50).not.toBeNull()
})

test('failures by kind, tokens and overflow add up', () => {
  const c = new TargetCounters()
  c.fail('status_500')
  c.fail('status_500')
  c.fail('timeout')
  c.addTokens({ input: 10, output: 3, cacheRead: 4, cacheWrite: 2 })
  c.addTokens({ input: 1, output: 1, cacheRead: 0, cacheWrite: 0 })
  c.overflow++
  expect(c.toJSON()).toMatchObject({
    errors: { status_500: 2, timeout: 1 },
    tokens_in: 11,
    tokens_out: 4,
    cache_read_tokens: 4,
    cache_write_tokens: 2,
    overflow: 1,
  })
})

test('toJSON is a copy', () => {
  const c = new TargetCounters()
  c.fail('connect')
  c.toJSON().errors.connect = 9
  expect(c.toJSON().errors).toEqual({ connect: 1 })
})

test("workers' figures add up, the average and percentiles read again from the sums", () => {
  const a = new TargetCounters()
  const b = new TargetCounters()
  a.start()
  a.finish(100)
  a.fail('connect')
  b.start()
  b.start()
  b.finish(400)
  b.fail('connect')
  b.fail('stream')
  b.addTokens({ input: 5, output: 2, cacheRead: 1, cacheWrite: 0 })
  const sum = addFigures([a.toJSON(), b.toJSON()])
  expect(sum).toMatchObject({
    requests: 3,
    in_flight: 1,
    finished: 2,
    duration_ms_total: 500,
    avg_latency_ms: 250,
    errors: { connect: 2, stream: 1 },
    tokens_in: 5,
    tokens_out: 2,
    cache_read_tokens: 1,
  })
  expect(sum.latency.count).toBe(2)
})

test('figures from a worker that does not report a newer field count it as 0', () => {
  const a = new TargetCounters()
  a.overflow = 2
  const { overflow: _, cache_read_tokens: __, ...older } = new TargetCounters().toJSON()
  const sum = addFigures([a.toJSON(), older as ReturnType<TargetCounters['toJSON']>])
  expect(sum.overflow).toBe(2)
  expect(sum.cache_read_tokens).toBe(0)
})
