/**
 * RequestWatch and AttemptWatch: what a request's attempts make of lmlb's
 * figures. Each key's and endpoint's counters started and finished, the
 * first-byte and duration histograms fed (read back through
 * RequestMetrics.toJSON()), tokens read into the record, and the request's
 * log line written once, at the right moment: when the answer is chosen for
 * a whole answer, at its end for a stream; a request no attempt answered is
 * counted against the last deployment tried.
 */
import { expect, test } from 'bun:test'
import { type AttemptTarget, overflowed, RequestWatch } from '../../src/observability/attempt-record'
import { TargetCounters } from '../../src/observability/counters'
import { createLogger } from '../../src/observability/log'
import { RequestMetrics } from '../../src/observability/request-metrics'
import { RequestRecord } from '../../src/observability/request-record'

const USAGE = '{"usage":{"prompt_tokens":12,"completion_tokens":5}}'

function watchOf(bodies = false) {
  const record = new RequestRecord('req_1', 'openai', 'POST', '/v1/chat/completions', bodies)
  record.asked('gpt-x', false, () => 'the prompt')
  const metrics = new RequestMetrics()
  const lines: string[] = []
  const logger = createLogger('info', '', (line) => lines.push(line), 'json')
  const finished: number[] = []
  const watch = new RequestWatch(record, metrics, (status) => {
    finished.push(status)
    record.finish(status, logger, (t) => t)
  })
  return { watch, record, metrics, lines, finished }
}

function target(service: string, endpoint = `http://${service}.test/v1`): AttemptTarget {
  const billed = { service, model: 'm', upstreamModel: 'm', keyId: 'k1' }
  return {
    service,
    provider: 'openai',
    model: 'm',
    endpoint,
    key: 'sk-...0001',
    api: 'chat',
    counters: [new TargetCounters(), new TargetCounters()],
    billed,
  }
}

const series = (metrics: RequestMetrics, which: 'duration' | 'time_to_first_byte') =>
  metrics.toJSON()[which].map((s) => ({ service: s.service, model: s.model, outcome: s.outcome, count: s.histogram.count }))

test("an attempt starts the key's and the endpoint's counters, and its end finishes them", () => {
  const { watch } = watchOf()
  const t = target('a')
  const attempt = watch.attempt(t)
  for (const c of t.counters) expect(c.toJSON()).toMatchObject({ requests: 1, in_flight: 1, finished: 0 })
  attempt.answered(200)
  attempt.end('done')
  for (const c of t.counters) {
    expect(c.toJSON()).toMatchObject({ requests: 1, in_flight: 0, finished: 1, errors: {} })
    expect(c.toJSON().latency.count).toBe(1)
  }
})

test('the first byte feeds its histogram by outcome, and the attempt log says the status or how it failed', () => {
  const { watch, record, metrics } = watchOf()
  watch.attempt(target('a')).failed('timeout')
  watch.attempt(target('b')).answered(429)
  watch.attempt(target('c')).answered(404)
  watch.attempt(target('d')).answered(200)
  expect(series(metrics, 'time_to_first_byte')).toEqual([
    { service: 'a', model: 'm', outcome: 'error', count: 1 },
    { service: 'b', model: 'm', outcome: 'error', count: 1 },
    { service: 'c', model: 'm', outcome: 'client_error', count: 1 },
    { service: 'd', model: 'm', outcome: 'success', count: 1 },
  ])
  expect(record.attempts.map((a) => a.outcome)).toEqual(['timeout', '429', '404', '200'])
  expect(record.ttfbMs).toBeGreaterThanOrEqual(0)
  expect(series(metrics, 'duration')).toEqual([])
})

test('tokens read off what the attempt saw go into the record and both counters', () => {
  const { watch, record } = watchOf()
  const t = target('a')
  const attempt = watch.attempt(t)
  attempt.saw(new TextEncoder().encode(USAGE))
  attempt.end('done')
  expect(record.tokens).toEqual({ input: 12, output: 5, cacheRead: 0, cacheWrite: 0 })
  for (const c of t.counters) expect(c.toJSON()).toMatchObject({ tokens_in: 12, tokens_out: 5 })
})

test('a whole answer: the line is written once, when the answer is chosen, with its duration', () => {
  const { watch, record, metrics, lines, finished } = watchOf()
  const attempt = watch.attempt(target('a'))
  attempt.saw(USAGE)
  attempt.end('done')
  attempt.answered(200)
  expect(finished).toEqual([])
  watch.answered(attempt, 200)
  expect(finished).toEqual([200])
  expect(record.pending).toBe(false)
  expect(record.served).toBe('a/m')
  expect(series(metrics, 'duration')).toEqual([{ service: 'a', model: 'm', outcome: 'success', count: 1 }])
  expect(lines).toHaveLength(1)
  expect(JSON.parse(lines[0])).toMatchObject({ request_id: 'req_1', status: 200, served: 'a/m', tokens_in: 12, tokens_out: 5 })
  // The edge finishing the record too writes nothing more.
  record.finish(
    200,
    createLogger('info', '', (l) => lines.push(l)),
    (t) => t,
  )
  expect(lines).toHaveLength(1)
})

test("a stream: the line waits for the stream's end, then is written once with the tokens of its last chunks", () => {
  const { watch, record, metrics, lines, finished } = watchOf()
  const attempt = watch.attempt(target('a'))
  attempt.answered(200)
  watch.answered(attempt, 200)
  expect(record.pending).toBe(true)
  expect(finished).toEqual([])
  expect(series(metrics, 'duration')).toEqual([])
  attempt.saw(new TextEncoder().encode('data: {"choices":[{"delta":{"content":"hi"}}]}\n\n'))
  attempt.saw(new TextEncoder().encode(`data: ${USAGE}\n\n`))
  attempt.end('client_gone')
  expect(finished).toEqual([200])
  expect(lines).toHaveLength(1)
  expect(JSON.parse(lines[0])).toMatchObject({ status: 200, tokens_in: 12, tokens_out: 5 })
  expect(series(metrics, 'duration')).toEqual([{ service: 'a', model: 'm', outcome: 'success', count: 1 }])
})

test('a stream that breaks counts a stream error on its targets and an error duration, whatever its status', () => {
  const { watch, metrics, finished } = watchOf()
  const t = target('a')
  const attempt = watch.attempt(t)
  attempt.answered(200)
  watch.answered(attempt, 200)
  attempt.end('upstream_error')
  expect(finished).toEqual([200])
  for (const c of t.counters) expect(c.toJSON().errors).toEqual({ stream: 1 })
  expect(series(metrics, 'duration')).toEqual([{ service: 'a', model: 'm', outcome: 'error', count: 1 }])
})

test('a request no attempt answered counts against the last deployment tried, once', () => {
  const { watch, record, metrics, finished } = watchOf()
  const first = watch.attempt(target('a'))
  first.failed('connect')
  first.end('failed')
  const second = watch.attempt(target('b'))
  second.answered(503)
  second.end('done')
  watch.failed(503)
  expect(record.served).toBe('b/m')
  expect(finished).toEqual([503])
  expect(series(metrics, 'duration')).toEqual([{ service: 'b', model: 'm', outcome: 'error', count: 1 }])
})

test('a deployment whose request could not be made is still the one named; no duration is made up for it', () => {
  const { watch, record, metrics, finished } = watchOf()
  watch.trying('a', 'm')
  const attempt = watch.attempt(target('a'))
  attempt.failed('connect')
  attempt.end('failed')
  watch.trying('b', 'm2')
  watch.failed(502)
  expect(record.served).toBe('b/m2')
  expect(finished).toEqual([])
  expect(record.pending).toBe(false)
  expect(series(metrics, 'duration')).toEqual([])
})

test('with LOG_BODIES the completion is what the attempts saw', () => {
  const { watch, record } = watchOf(true)
  const attempt = watch.attempt(target('a'))
  attempt.saw('data: one\n\n')
  attempt.saw(new TextEncoder().encode('data: two\n\n'))
  expect(record.completion).toBe('data: one\n\ndata: two\n\n')
  // A new attempt starts its completion afresh: the failed one's text is not the answer.
  watch.attempt(target('b'))
  expect(record.completion).toBe('')
})

test('a call refused before it went out counts as overflow only, never as a request', () => {
  const counters = [new TargetCounters(), new TargetCounters()]
  overflowed(counters)
  for (const c of counters) expect(c.toJSON()).toMatchObject({ overflow: 1, requests: 0, in_flight: 0 })
})
