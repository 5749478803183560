/**
 * RequestMetrics: durations and first bytes per service, model and outcome,
 * answers by API and status class, and how workers' figures add up. The
 * label sets are bounded: a client can name any model, and past 500 series
 * new ones count as "other", so memory does not follow what clients send.
 */
import { expect, test } from 'bun:test'
import { mergeRequestFigures, RequestMetrics } from '../../src/observability/request-metrics'

test('answers are counted by API and status class', () => {
  const m = new RequestMetrics()
  m.answered('openai', 200)
  m.answered('openai', 201)
  m.answered('openai', 429)
  m.answered('anthropic', 529)
  expect(m.toJSON().by_api).toEqual({ openai: { '2xx': 2, '4xx': 1 }, anthropic: { '5xx': 1 } })
})

test('each series is a histogram with its percentiles; the two kinds are kept apart', () => {
  const m = new RequestMetrics()
  m.duration.observe('openai', 'gpt-x', 'success', 0.2)
  m.duration.observe('openai', 'gpt-x', 'success', 0.2)
  m.duration.observe('openai', 'gpt-x', 'error', 3)
  m.firstByte.observe('openai', 'gpt-x', 'success', 0.05)
  const { duration, time_to_first_byte } = m.toJSON()
  expect(duration.map((s) => [s.service, s.model, s.outcome, s.histogram.count])).toEqual([
    ['openai', 'gpt-x', 'success', 2],
    ['openai', 'gpt-x', 'error', 1],
  ])
  expect(duration[0].histogram.sum).toBe(0.4)
  // Both in the (0.1, 0.25] bucket: the median interpolated within it.
  expect(duration[0].p50_ms).toBe(175)
  expect(time_to_first_byte).toHaveLength(1)
  expect(time_to_first_byte[0].p99_ms).toBeLessThanOrEqual(50)
})

test('past 500 series, a new model counts as "other"; series already known keep their own', () => {
  const m = new RequestMetrics()
  for (let i = 0; i < 500; i++) m.duration.observe('svc', `model-${i}`, 'success', 1)
  m.duration.observe('svc', 'model-501', 'success', 1)
  m.duration.observe('svc', 'model-502', 'success', 1)
  m.duration.observe('svc', 'model-7', 'success', 1)
  const series = m.toJSON().duration
  expect(series).toHaveLength(501)
  expect(series.find((s) => s.model === 'other')!.histogram.count).toBe(2)
  expect(series.find((s) => s.model === 'model-7')!.histogram.count).toBe(2)
  expect(series.some((s) => s.model === 'model-501')).toBe(false)
  // However many more models come, no more series.
  for (let i = 0; i < 1_000; i++) m.duration.observe('svc', `flood-${i}`, 'error', 1)
  expect(m.toJSON().duration.length).toBeLessThanOrEqual(502)
})

test('toJSON is a copy: changing it changes nothing counted', () => {
  const m = new RequestMetrics()
  m.answered('openai', 200)
  m.toJSON().by_api.openai['2xx'] = 99
  expect(m.toJSON().by_api.openai['2xx']).toBe(1)
})

test("workers' figures add up: answers by class, and series with the same labels, percentiles read again", () => {
  const a = new RequestMetrics()
  const b = new RequestMetrics()
  a.answered('openai', 200)
  b.answered('openai', 200)
  b.answered('responses', 500)
  a.duration.observe('svc', 'm', 'success', 0.2)
  b.duration.observe('svc', 'm', 'success', 20)
  b.duration.observe('svc', 'other-model', 'success', 1)
  const merged = mergeRequestFigures([a.toJSON(), b.toJSON()])
  expect(merged.by_api).toEqual({ openai: { '2xx': 2 }, responses: { '5xx': 1 } })
  expect(merged.duration).toHaveLength(2)
  const same = merged.duration.find((s) => s.model === 'm')!
  expect(same.histogram.count).toBe(2)
  expect(same.histogram.sum).toBe(20.2)
  expect(same.p99_ms).toBeGreaterThan(10_000)
  expect(merged.time_to_first_byte).toEqual([])
})
