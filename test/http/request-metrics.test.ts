/**
 * A known mix of answers through lmlb (successes, a stream, a client's own
 * 400, a 429, a 500, a timeout), then every count of the request histograms
 * and the per-API counter asserted exactly, in /stats and in /metrics, and
 * the exposition checked by Prometheus' own linter (`promtool check
 * metrics`, from Debian's `prometheus` package; skipped without it).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { openaiCompletion, openaiStream } from '../helpers/canned'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

let up: FakeUpstream
let lmlb: RunningLmlb

/** The stand-in answers by what the user said. */
function scripted(r: { body: any }, request: Request): Response | Promise<Response> {
  const said = r.body.messages.at(-1).content
  if (said === 'ok') return r.body.stream ? openaiStream(r.body.model, ['a', 'b']) : openaiCompletion(r.body.model, 'fine')
  if (said === 'bad') return Response.json({ error: { message: 'bad request', type: 'invalid_request_error' } }, { status: 400 })
  // Retry-After: 0 keeps the key and endpoint usable for the next request.
  if (said === 'limit') return Response.json({ error: { message: 'slow down' } }, { status: 429, headers: { 'retry-after': '0' } })
  if (said === 'boom') return Response.json({ error: { message: 'boom' } }, { status: 500, headers: { 'retry-after': '0' } })
  // 'hang': no answer until lmlb gives up (LMLB_TOTAL_TIMEOUT_MS) and cancels.
  return new Promise<Response>((resolve) => request.signal.addEventListener('abort', () => resolve(new Response(null, { status: 499 }))))
}

const MIX = [
  ['ok', false, 200],
  ['ok', false, 200],
  ['ok', true, 200],
  ['bad', false, 400],
  ['limit', false, 429],
  ['boom', false, 500],
  ['hang', false, 504],
] as const

beforeAll(async () => {
  up = startUpstream('mix', scripted)
  lmlb = await startLmlb({
    env: {
      OPENAI_API_KEYS: 'sk-metrics-key-0001',
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }),
      LMLB_MAX_ATTEMPTS: '1',
      LMLB_TOTAL_TIMEOUT_MS: '300',
    },
  })
  for (const [said, stream, status] of MIX) {
    const res = await fetch(`${lmlb.url}/v1/chat/completions`, {
      method: 'POST',
      body: JSON.stringify({ model: 'gpt-4o', stream, messages: [{ role: 'user', content: said }] }),
    })
    await res.text()
    expect([said, res.status]).toEqual([said, status])
  }
  // lmlb's own refusals count too: an unknown model (404), before any upstream.
  expect(
    (
      await fetch(`${lmlb.url}/v1/chat/completions`, {
        method: 'POST',
        body: '{"model":"nope","messages":[{"role":"user","content":"x"}]}',
      })
    ).status,
  ).toBe(404)
  expect(
    (
      await fetch(`${lmlb.url}/v1/messages`, {
        method: 'POST',
        body: '{"model":"mock/echo","max_tokens":5,"messages":[{"role":"user","content":"x"}]}',
      })
    ).status,
  ).toBe(200)
})

afterAll(async () => {
  await lmlb.stop()
  await up.stop()
})

const byOutcome = (list: { service: string; model: string; outcome: string; histogram: { count: number } }[]) =>
  Object.fromEntries(list.filter((s) => s.service === 'openai').map((s) => [`${s.model} ${s.outcome}`, s.histogram.count]))

test('/stats: requests by API and status class, durations and first bytes by service, model and outcome, with percentiles', async () => {
  const stats = (await (await fetch(`${lmlb.url}/stats`)).json()) as any
  expect(stats.requests.by_api).toEqual({ openai: { '2xx': 3, '4xx': 3, '5xx': 2 }, anthropic: { '2xx': 1 } })
  // The 429 and the 500 are errors of the upstream's; the 400 the client's own; the timeout counts against what was tried.
  expect(byOutcome(stats.requests.duration)).toEqual({ 'gpt-4o success': 3, 'gpt-4o client_error': 1, 'gpt-4o error': 3 })
  expect(byOutcome(stats.requests.time_to_first_byte)).toEqual({ 'gpt-4o success': 3, 'gpt-4o client_error': 1, 'gpt-4o error': 3 })
  const success = stats.requests.duration.find((s: any) => s.outcome === 'success')
  expect(success.p50_ms).toBeGreaterThan(0)
  expect(success.p99_ms).toBeGreaterThanOrEqual(success.p50_ms)
  // The timeout took at least LMLB_TOTAL_TIMEOUT_MS: its bucket says so.
  const errors = stats.requests.duration.find((s: any) => s.outcome === 'error')
  expect(errors.histogram.sum).toBeGreaterThanOrEqual(0.3)
  // Per endpoint: the latency histogram counts every finished call, with percentiles beside it.
  const endpoint = stats.load_balancer_stats.openai.endpoint_stats[0]
  expect(endpoint.latency.count).toBe(endpoint.finished)
  expect(endpoint.latency_ms.p50).toBeGreaterThan(0)
})

test('/metrics: the same counts as Prometheus histograms and counters', async () => {
  const text = await (await fetch(`${lmlb.url}/metrics`)).text()
  const value = (line: string) => Number(new RegExp(`^${line.replace(/[{}."+]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1])
  expect(value('lmlb_requests_total{api="openai",status_class="2xx"}')).toBe(3)
  expect(value('lmlb_requests_total{api="openai",status_class="5xx"}')).toBe(2)
  expect(value('lmlb_request_duration_seconds_count{service="openai",model="gpt-4o",outcome="success"}')).toBe(3)
  expect(value('lmlb_request_duration_seconds_count{service="openai",model="gpt-4o",outcome="error"}')).toBe(3)
  expect(value('lmlb_request_duration_seconds_bucket{service="openai",model="gpt-4o",outcome="error",le="+Inf"}')).toBe(3)
  expect(value('lmlb_upstream_time_to_first_byte_seconds_count{service="openai",model="gpt-4o",outcome="client_error"}')).toBe(1)
  // The timeout is above 250 ms, so not in the 0.25 s bucket; it is in the 0.5 s one.
  const errorsBelow = (le: string) =>
    value(`lmlb_request_duration_seconds_bucket{service="openai",model="gpt-4o",outcome="error",le="${le}"}`)
  expect(errorsBelow('0.5') - errorsBelow('0.25')).toBe(1)
  expect(text).toContain('# TYPE lmlb_upstream_duration_seconds histogram')
  expect(text).not.toContain('duration_ms')
})

const promtool = Bun.which('promtool')
if (!promtool) console.warn('request-metrics.test.ts: promtool not found, the lint is skipped (Debian: apt-get install prometheus)')

test.skipIf(!promtool)('promtool check metrics accepts the exposition', async () => {
  const text = await (await fetch(`${lmlb.url}/metrics`)).text()
  const check = Bun.spawn([promtool!, 'check', 'metrics'], { stdin: new TextEncoder().encode(text), stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([new Response(check.stdout).text(), new Response(check.stderr).text(), check.exited])
  expect({ code, out, err }).toEqual({ code: 0, out: '', err: '' })
})
