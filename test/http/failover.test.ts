/**
 * Failures cost the client nothing while another target can serve: which
 * targets the upstreams saw, and what the client got.
 */
import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { createServer } from 'node:net'
import { startLmlb } from '../helpers/lmlb'
import { chat } from '../helpers/requests'
import { defaultReply, startUpstream, type FakeUpstream, type UpstreamHandler } from '../helpers/upstream'
import { openaiStreamEvents, pacedStream } from '../helpers/canned'

const KEYS = ['sk-test-key-aaaa0001', 'sk-test-key-bbbb0002', 'sk-test-key-cccc0003']
const started: { stop(): Promise<void> }[] = []

afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()))
})

async function setup(upstreams: number, env: Record<string, string> = {}, keys = KEYS) {
  const ups = Array.from({ length: upstreams }, (_, i) => startUpstream(`up${i}`))
  const lmlb = await startLmlb({
    env: { OPENAI_API_KEYS: keys.join(','), SERVICE_ENDPOINTS: JSON.stringify({ openai: ups.map((u) => u.base) }), ...env },
  })
  started.push(...ups, lmlb)
  return { ups, lmlb }
}

const status =
  (code: number, headers: Record<string, string> = {}, message = `status ${code}`): UpstreamHandler =>
  () =>
    Response.json({ error: { message, type: 'x', code: null } }, { status: code, headers })

/** Never answers; `arrived` resolves when a request comes in, `gone` when lmlb drops it. */
function hang(): { handler: UpstreamHandler; arrived: Promise<void>; gone: Promise<void> } {
  let came!: () => void
  let seen!: () => void
  const arrived = new Promise<void>((r) => (came = r))
  const gone = new Promise<void>((r) => (seen = r))
  return {
    arrived,
    gone,
    handler: (_, request) => {
      came()
      return new Promise<Response>((resolve) =>
        request.signal.addEventListener('abort', () => {
          seen()
          resolve(new Response('late'))
        }),
      )
    },
  }
}

const keysSeen = (ups: FakeUpstream[]) => ups.flatMap((u) => u.received.map((r) => r.headers.authorization.slice(7)))

describe('retry elsewhere', () => {
  test('a 500 is retried on the next endpoint; the failed one cools and is skipped', async () => {
    const { ups, lmlb } = await setup(2)
    ups[0].handle(status(500))
    for (let i = 0; i < 4; i++) expect((await chat(lmlb.url)).status).toBe(200)
    // First request: endpoint 0 fails, endpoint 1 serves. Then endpoint 0 is cooling: all go to 1.
    expect(ups.map((u) => u.received.length)).toEqual([1, 4])
    const stats = await (await fetch(`${lmlb.url}/stats`)).json()
    expect(stats.load_balancer_stats.openai.endpoint_stats[0].health.state).toBe('cooling')
    expect(stats.load_balancer_stats.openai.endpoint_stats[0].errors).toEqual({ status_500: 1 })
  })

  test('a refused connection is retried on the next endpoint', async () => {
    const { ups } = await setup(1)
    // Port 9 (discard): nothing listens on it here. (A port freed by a stopped stand-in could be handed to lmlb itself.)
    const deadBase = 'http://127.0.0.1:9/v1'
    const lmlb = await startLmlb({
      env: { OPENAI_API_KEYS: KEYS[0], SERVICE_ENDPOINTS: JSON.stringify({ openai: [deadBase, ups[0].base] }) },
    })
    started.push(lmlb)
    const res = await chat(lmlb.url)
    expect(res.status).toBe(200)
    expect(ups[0].received).toHaveLength(1)
    expect(lmlb.log()).toContain('failed (connect)')
  })

  test('429 with Retry-After: the key cools for that long, the next key serves, no attempt is spent', async () => {
    const { ups, lmlb } = await setup(1, { LMLB_MAX_ATTEMPTS: '1' })
    const ok = ups[0].received
    ups[0].handle((r, req) =>
      r.headers.authorization === `Bearer ${KEYS[0]}` ? status(429, { 'retry-after': '30' })(r, req) : Response.json({ ok: true }),
    )
    for (let i = 0; i < 3; i++) expect((await chat(lmlb.url)).status).toBe(200)
    expect(keysSeen(ups)).toEqual([KEYS[0], KEYS[1], KEYS[2], KEYS[1]])
    const stats = await (await fetch(`${lmlb.url}/stats`)).json()
    const key0 = stats.load_balancer_stats.openai.keys[0]
    expect(key0.health.state).toBe('cooling')
    expect(key0.health.cooldown_remaining_ms).toBeGreaterThan(25_000)
    expect(ok).toHaveLength(4)
  })

  test('401: the key is disabled, logged once masked, and the walk goes on for free', async () => {
    const { ups, lmlb } = await setup(1, { LMLB_MAX_ATTEMPTS: '1' })
    ups[0].handle((r, req) => (r.headers.authorization === `Bearer ${KEYS[2]}` ? Response.json({ ok: true }) : status(401)(r, req)))
    expect((await chat(lmlb.url)).status).toBe(200)
    expect(keysSeen(ups)).toEqual(KEYS)
    for (let i = 0; i < 3; i++) expect((await chat(lmlb.url)).status).toBe(200)
    expect(keysSeen(ups).slice(3)).toEqual([KEYS[2], KEYS[2], KEYS[2]])
    const log = lmlb.log()
    expect(log.match(/key sk-\.\.\.0001 disabled \(401 invalid_key\)/g)).toHaveLength(1)
    for (const key of KEYS) expect(log).not.toContain(key)
  })

  test('every key refused alike: the last 401 as it came, no key disabled, then a clear 401 naming the endpoint and the variables', async () => {
    const { ups, lmlb } = await setup(1)
    ups[0].handle(status(401, {}, 'Incorrect API key provided'))
    const first = await chat(lmlb.url)
    expect(first.status).toBe(401)
    expect((await first.json()).error.message).toBe('Incorrect API key provided')
    const next = await chat(lmlb.url)
    expect(next.status).toBe(401)
    expect(next.headers.get('retry-after')).toMatch(/^\d+$/)
    expect((await next.json()).error).toMatchObject({
      code: 'upstream_keys_refused',
      message: expect.stringContaining('OPENAI_API_KEYS or OPENAI_API_KEY'),
    })
    expect(ups[0].received).toHaveLength(3)
    const stats = await (await fetch(`${lmlb.url}/stats`)).json()
    expect(stats.load_balancer_stats.openai.keys.map((k: { health: { state: string } }) => k.health.state)).not.toContain('disabled')
    expect(lmlb.log()).toContain('the endpoint is to blame')
  })

  test('every key refused with 403 at one of two endpoints (a WAF): 24 requests all served, no key disabled, the endpoint blamed once', async () => {
    const { ups, lmlb } = await setup(2)
    ups[0].handle(status(403, {}, 'Forbidden: your IP is blocked'))
    const statuses: number[] = []
    for (let i = 0; i < 24; i++) statuses.push((await chat(lmlb.url)).status)
    expect(statuses).toEqual(Array(24).fill(200))
    const stats = await (await fetch(`${lmlb.url}/stats`)).json()
    expect(stats.load_balancer_stats.openai.keys.map((k: { health: { state: string } }) => k.health.state)).not.toContain('disabled')
    expect(stats.load_balancer_stats.openai.endpoint_stats[0].health.state).toBe('cooling')
    expect(lmlb.log().match(/refused one key after another \(403 permission_denied\): the endpoint is to blame/g)).toHaveLength(1)
  })

  test('an endpoint that hangs while the other answers: a client giving up on it counts against it, and traffic goes to the other', async () => {
    const { ups, lmlb } = await setup(2)
    for (let i = 0; i < 12; i++) expect((await chat(lmlb.url)).status).toBe(200) // each answers six, in a few ms
    const { handler, arrived, gone } = hang()
    ups[1].handle(handler)
    expect((await chat(lmlb.url)).status).toBe(200) // endpoint 0's turn
    // Endpoint 1's turn: it hangs, and the client's SDK gives up after 600 ms (its usual answer: a few ms).
    const abandoned = fetch(`${lmlb.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      signal: AbortSignal.timeout(600),
    }).catch((e: Error) => e.name)
    await arrived
    expect(await abandoned).toBe('TimeoutError')
    await gone
    await lmlb.waitForLog('had not answered after')
    const stats = await (await fetch(`${lmlb.url}/stats`)).json()
    const hung = stats.load_balancer_stats.openai.endpoint_stats[1]
    expect(hung.errors).toEqual({ abandoned: 1 })
    expect(hung.health.state).toBe('cooling')
    const before = ups[1].received.length
    for (let i = 0; i < 6; i++) expect((await chat(lmlb.url)).status).toBe(200)
    expect(ups[1].received.length).toBe(before)
  })

  test('a kept-alive connection the upstream closed under the next request is sent again on a new one: served, nothing cooled', async () => {
    // An upstream that answers the first request of a connection and resets the connection when a second comes on it.
    let connections = 0
    const server = createServer((socket) => {
      connections++
      let served = 0
      let buffered = ''
      socket.on('data', (data) => {
        buffered += data.toString('latin1')
        const head = buffered.indexOf('\r\n\r\n')
        if (head < 0 || buffered.length - head - 4 < Number(/content-length: (\d+)/i.exec(buffered)?.[1] ?? 0)) return
        buffered = ''
        if (served++ > 0) return void socket.resetAndDestroy()
        const body = JSON.stringify({
          id: 'c',
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content: 'ok' } }],
        })
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`)
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`
    const lmlb = await startLmlb({ env: { OPENAI_API_KEYS: KEYS[0], SERVICE_ENDPOINTS: JSON.stringify({ openai: [base] }) } })
    started.push(lmlb, { stop: async () => void server.close() })
    // Before: the second request met the reset, the only endpoint cooled, and the client got 502 ECONNRESET.
    for (let i = 0; i < 3; i++) expect((await chat(lmlb.url)).status).toBe(200)
    expect(connections).toBe(3)
    const stats = await (await fetch(`${lmlb.url}/stats`)).json()
    expect(stats.load_balancer_stats.openai.endpoint_stats[0]).toMatchObject({ errors: {}, health: { state: 'healthy' } })
  })

  test("key_policy: a service's rule (403 is its WAF's: ignore) cools the endpoint, not the key; a body that says no credit disables the key", async () => {
    const ups = [startUpstream('up0'), startUpstream('up1')]
    const yaml = `services:\n  openai:\n    endpoints: ["${ups[0].base}", "${ups[1].base}"]\n    key_policy: { rules: [{ status: 403, action: ignore }] }\n`
    const lmlb = await startLmlb({
      env: { OPENAI_API_KEYS: KEYS.join(',') },
      files: { 'lmlb.yaml': yaml },
      args: ['--config', 'lmlb.yaml'],
    })
    started.push(...ups, lmlb)
    ups[0].handle(status(403, {}, 'Forbidden by the firewall'))
    expect((await chat(lmlb.url)).status).toBe(200)
    let stats = await (await fetch(`${lmlb.url}/stats`)).json()
    expect(stats.load_balancer_stats.openai.endpoint_stats[0].health.state).toBe('cooling')
    expect(stats.load_balancer_stats.openai.key_states.disabled).toBe(0)

    ups[1].handle((r, req) =>
      r.headers.authorization === `Bearer ${KEYS[1]}`
        ? Response.json({ error: { message: 'You exceeded your current quota', code: 'insufficient_quota' } }, { status: 429 })
        : defaultReply('up1')(r, req),
    )
    for (let i = 0; i < 3; i++) expect((await chat(lmlb.url)).status).toBe(200)
    stats = await (await fetch(`${lmlb.url}/stats`)).json()
    const key = stats.load_balancer_stats.openai.keys.find((k: { key: string }) => k.key === 'sk-...0002')
    expect(key.health).toMatchObject({ state: 'disabled', disabled: { reason: 'no_credit', by: 'lmlb' } })
  })

  test('the attempt limit bounds transient failures, and the last answer comes back as it came', async () => {
    const { ups, lmlb } = await setup(5)
    for (const u of ups) u.handle(status(503, {}, 'busy'))
    const res = await chat(lmlb.url)
    expect(res.status).toBe(503)
    expect((await res.json()).error.message).toBe('busy')
    expect(ups.map((u) => u.received.length)).toEqual([1, 1, 1, 0, 0])
  })

  test('every target cooling: 503 in the API shape with Retry-After', async () => {
    const { ups, lmlb } = await setup(1, {}, [KEYS[0]])
    ups[0].handle(status(429, { 'retry-after': '20' }))
    expect((await chat(lmlb.url)).status).toBe(429)
    const again = await chat(lmlb.url)
    expect(again.status).toBe(503)
    const retryAfter = Number(again.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(19)
    expect(retryAfter).toBeLessThanOrEqual(20)
    expect((await again.json()).error).toMatchObject({ type: 'server_error', code: 'all_targets_cooling' })
    expect(ups[0].received).toHaveLength(1)
  })

  test("the client's own mistakes (400, 404, 413, 422) are not retried", async () => {
    const { ups, lmlb } = await setup(2)
    for (const code of [400, 404, 413, 422]) {
      for (const u of ups) u.reset()
      for (const u of ups) u.handle(status(code))
      const res = await chat(lmlb.url)
      expect(res.status).toBe(code)
      expect(ups[0].received.length + ups[1].received.length).toBe(1)
    }
  })
})

describe('timeouts', () => {
  test('an upstream that never answers times out (first byte) and the next one serves', async () => {
    const { ups, lmlb } = await setup(2, { LMLB_FIRST_BYTE_TIMEOUT_MS: '300' })
    const { handler, gone } = hang()
    ups[0].handle(handler)
    const res = await chat(lmlb.url)
    expect(res.status).toBe(200)
    await gone // lmlb hung up on the silent upstream
    expect(lmlb.log()).toContain('LMLB_FIRST_BYTE_TIMEOUT_MS')
  })

  test('every upstream silent: 504 in the API shape, naming the timeout', async () => {
    const { ups, lmlb } = await setup(1, { LMLB_FIRST_BYTE_TIMEOUT_MS: '200', LMLB_MAX_ATTEMPTS: '1' })
    ups[0].handle(hang().handler)
    const res = await chat(lmlb.url)
    expect(res.status).toBe(504)
    expect((await res.json()).error).toMatchObject({
      code: 'upstream_timeout',
      message: expect.stringContaining('within 200 ms (LMLB_FIRST_BYTE_TIMEOUT_MS)'),
    })
  })

  test('streaming: no response head in time (LMLB_CONNECT_TIMEOUT_MS)', async () => {
    const { ups, lmlb } = await setup(1, { LMLB_CONNECT_TIMEOUT_MS: '200', LMLB_MAX_ATTEMPTS: '1' })
    ups[0].handle(hang().handler)
    const res = await chat(lmlb.url, 'gpt-4o', { stream: true })
    expect(res.status).toBe(504)
    expect((await res.json()).error.message).toContain('LMLB_CONNECT_TIMEOUT_MS')
  })

  test('a stream silent past LMLB_IDLE_TIMEOUT_MS ends with an error event, not a silent cut', async () => {
    const { ups, lmlb } = await setup(1, { LMLB_IDLE_TIMEOUT_MS: '300' })
    const events = openaiStreamEvents('gpt-4o', ['a', 'b'])
    const stall = new Promise<void>(() => {})
    ups[0].handle(() => pacedStream(events, (i) => (i < 2 ? Promise.resolve() : stall)))
    const res = await chat(lmlb.url, 'gpt-4o', { stream: true })
    expect(res.status).toBe(200)
    const text = await res.text()
    expect(text.startsWith(events[0] + events[1])).toBe(true)
    const last = text.trim().split('\n\n').at(-1)!
    expect(JSON.parse(last.slice('data: '.length)).error).toMatchObject({
      code: 'upstream_stream_error',
      message: expect.stringContaining('LMLB_IDLE_TIMEOUT_MS'),
    })
  })

  test('a slow stream that never falls silent for LMLB_IDLE_TIMEOUT_MS runs to its end, however long', async () => {
    const { ups, lmlb } = await setup(1, { LMLB_IDLE_TIMEOUT_MS: '300' })
    // 7 gaps of 100 ms: the stream outlives the idle timeout twice over, so the watchdog must look again.
    const events = openaiStreamEvents('gpt-4o', ['a', 'b', 'c', 'd', 'e'])
    ups[0].handle(() => pacedStream(events, (i) => (i === 0 ? Promise.resolve() : Bun.sleep(100))))
    const res = await chat(lmlb.url, 'gpt-4o', { stream: true })
    expect(await res.text()).toBe(events.join(''))
  })
})

describe('broken streams', () => {
  test('a stream that breaks before its first byte is retried elsewhere', async () => {
    const { ups, lmlb } = await setup(2)
    ups[0].handle(
      () =>
        new Response(new ReadableStream({ pull: (c) => c.error(new Error('boom')) }), { headers: { 'content-type': 'text/event-stream' } }),
    )
    const res = await chat(lmlb.url, 'gpt-4o', { stream: true })
    expect(res.status).toBe(200)
    expect(await res.text()).toContain('[DONE]')
    expect(ups.map((u) => u.received.length)).toEqual([1, 1])
  })

  test('a 200 whose stream ends before any event (or with comments only) is a failure: retried elsewhere, the endpoint cooled', async () => {
    const sse = (body: string) => new Response(body, { headers: { 'content-type': 'text/event-stream' } })
    for (const body of ['', ': waiting\n\n: still waiting\n\n']) {
      const { ups, lmlb } = await setup(2)
      ups[0].handle(() => sse(body))
      const res = await chat(lmlb.url, 'gpt-4o', { stream: true })
      expect(res.status).toBe(200)
      const text = await res.text()
      expect(text).toContain('reply from up1')
      expect(text).toContain('[DONE]')
      expect(ups.map((u) => u.received.length)).toEqual([1, 1])
      const stats = await (await fetch(`${lmlb.url}/stats`)).json()
      expect(stats.load_balancer_stats.openai.endpoint_stats[0]).toMatchObject({ errors: { empty: 1 }, health: { state: 'cooling' } })
      expect(lmlb.log()).toContain('ended before its first event')
    }
  })

  test('comments before the first event are held and go with it: the stream is served, nothing cooled', async () => {
    const { ups, lmlb } = await setup(1)
    const events = openaiStreamEvents('gpt-4o', ['hi'])
    ups[0].handle(() => new Response([': processing\n\n', ...events].join(''), { headers: { 'content-type': 'text/event-stream' } }))
    const text = await (await chat(lmlb.url, 'gpt-4o', { stream: true })).text()
    expect(text).toBe([': processing\n\n', ...events].join(''))
  })

  test('a stream reset midway ends with an error event in the Anthropic shape', async () => {
    const up = startUpstream('ant')
    started.push(up)
    const lmlb = await startLmlb({ env: { ANTHROPIC_API_KEYS: KEYS[0], SERVICE_ENDPOINTS: JSON.stringify({ anthropic: [up.base] }) } })
    started.push(lmlb)
    const enc = new TextEncoder()
    let firstArrived!: () => void
    const arrived = new Promise<void>((r) => (firstArrived = r))
    let sent = 0
    up.handle(
      () =>
        new Response(
          new ReadableStream({
            async pull(c) {
              if (sent++ === 0) return c.enqueue(enc.encode('event: ping\ndata: {"type":"ping"}\n\n'))
              await arrived // reset only once the client holds the first event
              c.error(new Error('reset'))
            },
          }),
          { headers: { 'content-type': 'text/event-stream' } },
        ),
    )
    const res = await fetch(`${lmlb.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'anthropic/claude-x', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'x' }] }),
    })
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
    let text = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      text += value
      if (text.includes('"ping"}\n\n')) firstArrived()
    }
    expect(text.startsWith('event: ping\n')).toBe(true)
    expect(text).toContain('event: error\ndata: {"type":"error","error":{"type":"api_error","message":"upstream stream failed')
  })
})

describe('client disconnect', () => {
  test('a client that goes away cancels the upstream call', async () => {
    const { ups, lmlb } = await setup(1)
    const { handler, arrived, gone } = hang()
    ups[0].handle(handler)
    const abort = new AbortController()
    const req = fetch(`${lmlb.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
      signal: abort.signal,
    }).catch(() => 'aborted')
    await arrived // the upstream has the request: now leave
    abort.abort()
    expect(await req).toBe('aborted')
    await gone
    // Said once, plainly: not an internal error.
    await lmlb.waitForLog('the client left before the answer')
    expect(lmlb.log()).not.toContain('ERROR')
    // Nothing learnt about the endpoint: not cooled, no failure counted.
    const endpoint = (await (await fetch(`${lmlb.url}/stats`)).json()).load_balancer_stats.openai.endpoint_stats[0]
    expect(endpoint.health.state).not.toBe('cooling')
    expect(endpoint.errors).toEqual({})
  })
})

describe('secrets', () => {
  test('a key echoed back by the upstream is masked, in bodies, headers and streams', async () => {
    const { ups, lmlb } = await setup(1, {}, [KEYS[0]])
    ups[0].handle(({ body }) =>
      body.stream
        ? new Response(`data: {"echo":"${KEYS[0]}"}\n\ndata: [DONE]\n\n`, {
            headers: { 'content-type': 'text/event-stream', 'x-echo': KEYS[0] },
          })
        : Response.json({ error: { message: `Incorrect API key provided: ${KEYS[0]}` } }, { status: 400, headers: { 'x-echo': KEYS[0] } }),
    )
    const plain = await chat(lmlb.url)
    expect(plain.headers.get('x-echo')).toBe('sk-...0001')
    expect((await plain.json()).error.message).toBe('Incorrect API key provided: sk-...0001')
    const streamed = await chat(lmlb.url, 'gpt-4o', { stream: true })
    expect(await streamed.text()).toBe('data: {"echo":"sk-...0001"}\n\ndata: [DONE]\n\n')
  })
})
