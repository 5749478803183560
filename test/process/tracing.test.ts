/**
 * OpenTelemetry traces, as a collector sees them: a stub OTLP/HTTP collector
 * on 127.0.0.1 receives what lmlb exports (JSON, POST /v1/traces). One trace
 * per request; the request span continues the client's `traceparent`; one
 * child span per upstream attempt; GenAI attributes. With the variable
 * unset, nothing is sent and nothing of OpenTelemetry is started.
 * lmlb runs as a process of its own here: OpenTelemetry is process-wide,
 * and what is buffered is sent at SIGTERM.
 */
import { afterEach, expect, test } from 'bun:test'
import { startLmlb } from '../helpers/lmlb'
import { post } from '../helpers/requests'
import { startUpstream } from '../helpers/upstream'

const KEYS = ['sk-trace-test-key-aaaa1111', 'sk-trace-test-key-bbbb2222']
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
const PARENT_ID = 'b7ad6b7169203331'
const SERVER = 2
const CLIENT = 3
const ERROR = 2

interface ExportedSpan {
  traceId: string
  spanId: string
  parentSpanId: string
  traceState: string
  name: string
  kind: number
  status: number
  attributes: Record<string, string | number | boolean>
  resource: Record<string, string | number | boolean>
}

interface Collector {
  url: string
  /** While set, every post is answered 400 (the exporter does not retry that). */
  refusing: boolean
  posts: { path: string; contentType: string; auth: string | null }[]
  spans: ExportedSpan[]
  /** Resolves with the spans once `ready(spans)` holds; fails after `ms`. */
  waitFor(ready: (spans: ExportedSpan[]) => boolean, ms?: number): Promise<ExportedSpan[]>
  stop(): Promise<void>
}

/** An OTLP `AnyValue` as a plain value (JSON encodes 64-bit ints as strings). */
function plain(value: any): string | number | boolean {
  if ('stringValue' in value) return value.stringValue
  if ('intValue' in value) return Number(value.intValue)
  if ('doubleValue' in value) return value.doubleValue
  if ('boolValue' in value) return value.boolValue
  return JSON.stringify(value)
}

const attributesOf = (list: any[] = []) => Object.fromEntries(list.map((a) => [a.key, plain(a.value)]))

function startCollector(): Collector {
  const posts: Collector['posts'] = []
  const spans: ExportedSpan[] = []
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    async fetch(request) {
      const path = new URL(request.url).pathname
      posts.push({ path, contentType: request.headers.get('content-type') ?? '', auth: request.headers.get('authorization') })
      const body: any = await request.json()
      if (collector.refusing) return Response.json({ error: 'not now' }, { status: 400 })
      for (const rs of body.resourceSpans ?? []) {
        const resource = attributesOf(rs.resource?.attributes)
        for (const ss of rs.scopeSpans ?? [])
          for (const s of ss.spans ?? [])
            spans.push({
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              traceState: s.traceState ?? '',
              name: s.name,
              kind: s.kind,
              status: s.status?.code ?? 0,
              attributes: attributesOf(s.attributes),
              resource,
            })
      }
      return Response.json({})
    },
  })
  const collector: Collector = {
    url: `http://127.0.0.1:${server.port}`,
    refusing: false,
    posts,
    spans,
    async waitFor(ready, ms = 5000) {
      const deadline = Date.now() + ms
      while (!ready(spans)) {
        if (Date.now() > deadline)
          throw new Error(`the collector did not get the spans in ${ms} ms; it has: ${JSON.stringify(spans, null, 1)}`)
        await Bun.sleep(25)
      }
      return spans
    },
    stop: () => server.stop(true),
  }
  return collector
}

const running: { stop(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()))
})

async function setup(env: Record<string, string>) {
  const [a, b] = [startUpstream('a'), startUpstream('b')]
  const lmlb = await startLmlb({
    process: true,
    env: { OPENAI_API_KEYS: KEYS.join(','), SERVICE_ENDPOINTS: JSON.stringify({ openai: [a.base, b.base] }), ...env },
  })
  running.push(a, b, lmlb)
  return { a, b, lmlb }
}

const messages = [{ role: 'user', content: 'hi' }]

test('one trace per request: the client trace continued, a child span per attempt, GenAI attributes', async () => {
  const collector = startCollector()
  running.push(collector)
  const { a, lmlb } = await setup({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '50' })
  await lmlb.waitForLog('tracing: spans go to')
  expect(lmlb.log()).toContain(`tracing: spans go to ${collector.url}`)
  // Endpoint a fails once: the first request is tried on a (500), then on b (200).
  let failures = 1
  a.handle(() =>
    failures-- > 0
      ? Response.json({ error: { message: 'boom' } }, { status: 500 })
      : Response.json({ error: { message: 'unexpected' } }, { status: 418 }),
  )

  const first = await post(
    lmlb.url,
    '/v1/chat/completions',
    { model: 'gpt-4o', messages },
    { traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`, tracestate: 'vendor=1' },
  )
  expect(first.status).toBe(200)
  await first.json()
  const second = await post(lmlb.url, '/v1/chat/completions', { model: 'openai/gpt-4o-mini', stream: true, messages })
  expect(second.status).toBe(200)
  expect(await second.text()).toContain('[DONE]')
  const third = await post(lmlb.url, '/v1/messages', { model: 'gpt-4o', max_tokens: 100, messages }, { 'anthropic-version': '2023-06-01' })
  expect(third.status).toBe(200)
  expect(await third.json()).toMatchObject({ type: 'message', usage: { input_tokens: 5, output_tokens: 3 } })

  const servers = (spans: ExportedSpan[]) => spans.filter((s) => s.kind === SERVER)
  const spans = await collector.waitFor((spans) => servers(spans).length >= 3 && spans.filter((s) => s.kind === CLIENT).length >= 4)
  // JSON over POST <endpoint>/v1/traces.
  expect(collector.posts.length).toBeGreaterThan(0)
  for (const p of collector.posts)
    expect({ ...p }).toMatchObject({ path: '/v1/traces', contentType: expect.stringContaining('application/json') })

  // One trace per request, one server span in each.
  const requestSpans = servers(spans)
  expect(requestSpans).toHaveLength(3)
  expect(new Set(requestSpans.map((s) => s.traceId)).size).toBe(3)
  for (const s of spans) expect(requestSpans.map((r) => r.traceId)).toContain(s.traceId)
  expect(requestSpans[0].resource).toMatchObject({ 'service.name': 'lmlb', 'service.version': expect.any(String) })

  // 1: the client's trace continued, under the client's span; two attempts as its children.
  const r1 = requestSpans.find((s) => s.traceId === TRACE_ID)!
  expect(r1).toBeDefined()
  expect(r1.parentSpanId).toBe(PARENT_ID)
  expect(r1.traceState).toBe('vendor=1')
  expect(r1.name).toBe('chat gpt-4o')
  expect(r1.status).not.toBe(ERROR)
  expect(r1.attributes).toMatchObject({
    'http.request.method': 'POST',
    'url.path': '/v1/chat/completions',
    'http.response.status_code': 200,
    'gen_ai.operation.name': 'chat',
    'gen_ai.request.model': 'gpt-4o',
    'gen_ai.response.model': 'gpt-4o',
    'gen_ai.usage.input_tokens': 5,
    'gen_ai.usage.output_tokens': 3,
    'lmlb.api': 'openai',
    'lmlb.served': 'openai/gpt-4o',
  })
  const attempts1 = spans.filter((s) => s.traceId === TRACE_ID && s.kind === CLIENT)
  expect(attempts1).toHaveLength(2)
  for (const s of attempts1) {
    expect(s.parentSpanId).toBe(r1.spanId)
    expect(s.name).toBe('chat gpt-4o')
    // A copy: Bun's toMatchObject writes its asymmetric matchers into the object it checks.
    expect({ ...s.attributes }).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o',
      'server.address': '127.0.0.1',
      'server.port': expect.any(Number),
      'lmlb.service': 'openai',
      'lmlb.key': expect.stringMatching(/^sk-\.\.\.\d{4}$/),
    })
  }
  const byOutcome = Object.fromEntries(attempts1.map((s) => [s.attributes['lmlb.outcome'], s]))
  expect(Object.keys(byOutcome).sort()).toEqual(['200', '500'])
  expect(byOutcome['500']).toMatchObject({ status: ERROR, attributes: { 'http.response.status_code': 500 } })
  expect(byOutcome['200'].status).not.toBe(ERROR)
  expect(byOutcome['200'].attributes['http.response.status_code']).toBe(200)
  expect(byOutcome['500'].attributes['server.port']).toBe(Number(new URL(a.base).port))

  // 2: a stream, a new trace (no traceparent), ended at its last byte.
  const r2 = requestSpans.find((s) => s.attributes['gen_ai.request.model'] === 'openai/gpt-4o-mini')!
  expect(r2).toBeDefined()
  expect(r2.traceId).not.toBe(TRACE_ID)
  expect(r2.parentSpanId).toBe('')
  expect(r2).toMatchObject({
    name: 'chat openai/gpt-4o-mini',
    attributes: { 'http.response.status_code': 200, 'gen_ai.response.model': 'gpt-4o-mini', 'lmlb.served': 'openai/gpt-4o-mini' },
  })
  const attempts2 = spans.filter((s) => s.traceId === r2.traceId && s.kind === CLIENT)
  expect(attempts2.length).toBeGreaterThanOrEqual(1)
  for (const s of attempts2) expect(s.parentSpanId).toBe(r2.spanId)
  expect(attempts2.at(-1)!.attributes).toMatchObject({ 'lmlb.outcome': '200', 'gen_ai.request.model': 'gpt-4o-mini' })

  // 3: Anthropic format, translated to the OpenAI-format upstream.
  const r3 = requestSpans.find((s) => s.attributes['url.path'] === '/v1/messages')!
  expect(r3).toMatchObject({
    name: 'chat gpt-4o',
    attributes: {
      'lmlb.api': 'anthropic',
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'gpt-4o',
      'gen_ai.response.model': 'gpt-4o',
      'gen_ai.usage.input_tokens': 5,
      'gen_ai.usage.output_tokens': 3,
      'http.response.status_code': 200,
    },
  })
  const attempts3 = spans.filter((s) => s.traceId === r3.traceId && s.kind === CLIENT)
  expect(attempts3.length).toBeGreaterThanOrEqual(1)
  expect(attempts3.at(-1)!.attributes).toMatchObject({ 'gen_ai.provider.name': 'openai', 'lmlb.outcome': '200' })
})

test('a request lmlb answers with an error: the span says so', async () => {
  const collector = startCollector()
  running.push(collector)
  const { a, b, lmlb } = await setup({
    OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.url}/`,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    LMLB_MAX_ATTEMPTS: '2',
  })
  await lmlb.waitForLog('tracing: spans go to')
  for (const u of [a, b]) u.handle(() => Response.json({ error: { message: 'down' } }, { status: 503 }))
  const response = await post(lmlb.url, '/v1/chat/completions', { model: 'gpt-4o', messages })
  expect(response.status).toBeGreaterThanOrEqual(500)
  await response.text()
  const spans = await collector.waitFor(
    (spans) => spans.some((s) => s.kind === SERVER) && spans.filter((s) => s.kind === CLIENT).length >= 2,
  )
  const request = spans.find((s) => s.kind === SERVER)!
  expect(request).toMatchObject({
    status: ERROR,
    attributes: { 'http.response.status_code': response.status, 'gen_ai.request.model': 'gpt-4o' },
  })
  const attempts = spans.filter((s) => s.kind === CLIENT)
  expect(attempts).toHaveLength(2)
  for (const s of attempts)
    expect(s).toMatchObject({
      parentSpanId: request.spanId,
      status: ERROR,
      attributes: { 'lmlb.outcome': '503', 'http.response.status_code': 503 },
    })
  expect(collector.posts.every((p) => p.path === '/v1/traces')).toBe(true)
})

test('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, _HEADERS and OTEL_SERVICE_NAME; what is buffered is sent at SIGTERM', async () => {
  const collector = startCollector()
  running.push(collector)
  // A long batch delay: the spans leave only when lmlb flushes at shutdown.
  const { lmlb } = await setup({
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/custom/traces`,
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20collector-token',
    OTEL_SERVICE_NAME: 'gateway',
    OTEL_BSP_SCHEDULE_DELAY: '60000',
  })
  await lmlb.waitForLog('tracing: spans go to')
  const response = await post(lmlb.url, '/v1/embeddings', { model: 'text-embedding-3-small', input: 'hi' })
  await response.text()
  expect(collector.posts).toHaveLength(0)
  await lmlb.stop()
  const spans = await collector.waitFor((spans) => spans.some((s) => s.kind === SERVER), 1000)
  expect(collector.posts.map((p) => p.path)).toContain('/custom/traces')
  expect(collector.posts.every((p) => p.auth === 'Bearer collector-token')).toBe(true)
  const request = spans.find((s) => s.kind === SERVER)!
  expect(request.resource['service.name']).toBe('gateway')
  expect(request.attributes).toMatchObject({
    'url.path': '/v1/embeddings',
    'gen_ai.operation.name': 'embeddings',
    'gen_ai.request.model': 'text-embedding-3-small',
  })
})

test('with OTEL_EXPORTER_OTLP_ENDPOINT unset nothing is traced or sent', async () => {
  const collector = startCollector()
  running.push(collector)
  // The batch delay and the collector's headers are set, the endpoint is empty: tracing stays off.
  const { lmlb } = await setup({ OTEL_EXPORTER_OTLP_ENDPOINT: '', OTEL_EXPORTER_OTLP_HEADERS: 'x-test=1', OTEL_BSP_SCHEDULE_DELAY: '50' })
  const traceparent = `00-${TRACE_ID}-${PARENT_ID}-01`
  const plainResponse = await post(lmlb.url, '/v1/chat/completions', { model: 'gpt-4o', messages }, { traceparent })
  expect(plainResponse.status).toBe(200)
  await plainResponse.json()
  const streamed = await post(lmlb.url, '/v1/chat/completions', { model: 'gpt-4o', stream: true, messages }, { traceparent })
  await streamed.text()
  // Waiting for an absence: bounded.
  await Bun.sleep(1000)
  expect(collector.posts).toHaveLength(0)
  expect(lmlb.log()).not.toContain('tracing:')
})

test('a collector that refuses spans is said once, and again once when it takes them back', async () => {
  const collector = startCollector()
  collector.refusing = true
  running.push(collector)
  const { lmlb } = await setup({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '20' })
  await lmlb.waitForLog('tracing: spans go to')
  for (let n = 0; n < 3; n++)
    expect((await post(lmlb.url, '/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })).status).toBe(200)
  await lmlb.waitForLog(`tracing: the collector at ${collector.url}/v1/traces refused spans`)
  collector.refusing = false
  expect((await post(lmlb.url, '/v1/chat/completions', { model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] })).status).toBe(200)
  await lmlb.waitForLog('takes spans again')
  expect(lmlb.log().split('refused spans').length - 1).toBe(1)
}, 20_000)
