/**
 * Many long streams at once: more than Bun's default 256 fetch calls in
 * flight, and lmlb's own bound (LMLB_MAX_UPSTREAM_CALLS) answered with an
 * immediate 503 `overloaded` that cools no endpoint.
 * The client side uses bare sockets: the test process's own fetch has Bun's 256 cap.
 */
import { afterAll, expect, test } from 'bun:test'
import { connect } from 'node:net'
import { openaiStreamEvents } from '../helpers/canned'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

const SSE = { 'content-type': 'text/event-stream' }

/** An upstream whose streams send their first event, then hold until release(). */
function holdingUpstream(): { up: FakeUpstream; held: () => number; reached: (n: number) => Promise<void>; release: () => void } {
  let held = 0
  let release!: () => void
  const released = new Promise<void>((r) => (release = r))
  const waiters: { n: number; resolve: () => void }[] = []
  const events = openaiStreamEvents('gpt-4o-mini', ['held ', 'then done'])
  const up = startUpstream('holding', () => {
    held++
    for (const w of waiters.splice(0)) (held >= w.n ? w.resolve : () => waiters.push(w))()
    const encoder = new TextEncoder()
    return new Response(
      new ReadableStream({
        async start(controller) {
          controller.enqueue(encoder.encode(events[0]))
          await released
          for (const e of events.slice(1)) controller.enqueue(encoder.encode(e))
          controller.close()
        },
      }),
      { headers: SSE },
    )
  })
  return {
    up,
    held: () => held,
    reached: (n) => (held >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
    release,
  }
}

interface RawStream {
  /** Resolves with the status once the head and (for a 200) the first event have arrived. */
  first: Promise<number>
  /** The whole answer, once the server closes. */
  done: Promise<string>
}

function rawStream(url: string, body: object): RawStream {
  const { port } = new URL(url)
  const json = JSON.stringify(body)
  let text = ''
  let firstSeen: (status: number) => void
  const first = new Promise<number>((r) => (firstSeen = r))
  const done = new Promise<string>((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1')
    socket.setEncoding('latin1')
    socket.on('data', (chunk: string) => {
      text += chunk
      const status = Number(text.slice(9, 12))
      if (status !== 200 && text.includes('\r\n\r\n')) firstSeen(status)
      else if (text.includes('data: ')) firstSeen(status)
    })
    socket.on('error', reject)
    socket.on('end', () => resolve(text))
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
    )
  })
  return { first, done }
}

const streamBody = { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] }
const running: { lmlb: RunningLmlb; up: FakeUpstream }[] = []

afterAll(async () => {
  for (const r of running) await Promise.all([r.lmlb.stop(), r.up.stop()])
})

async function start(env: Record<string, string> = {}) {
  const holding = holdingUpstream()
  const lmlb = await startLmlb({
    process: true,
    env: { OPENAI_API_KEYS: 'sk-many-streams-1111', SERVICE_ENDPOINTS: JSON.stringify({ openai: [holding.up.base] }), ...env },
  })
  running.push({ lmlb, up: holding.up })
  return { ...holding, lmlb }
}

const statsOf = async (lmlb: RunningLmlb) =>
  ((await (await fetch(`${lmlb.url}/stats`)).json()) as any).load_balancer_stats.openai.endpoint_stats[0]

test("400 concurrent held streams all reach the upstream at once (past Bun fetch's default 256) and all finish", async () => {
  // A stream queued behind Bun's cap would hit this as a 504 instead of reaching the upstream.
  // Started without BUN_CONFIG_MAX_HTTP_REQUESTS, as the binary or plain `bun src/main.ts` is: lmlb raises it itself.
  const { lmlb, reached, release, held } = await start({ LMLB_CONNECT_TIMEOUT_MS: '5000', BUN_CONFIG_MAX_HTTP_REQUESTS: '' })
  expect(lmlb.log()).toMatch(/open files: \d+ → up to \d+ concurrent streams/)
  const streams = Array.from({ length: 400 }, () => rawStream(lmlb.url, streamBody))
  const statuses = await Promise.all(streams.map((s) => s.first))
  expect(statuses.filter((s) => s !== 200).length).toBe(0)
  await reached(400)
  expect(held()).toBe(400)
  release()
  const answers = await Promise.all(streams.map((s) => s.done))
  expect(answers.filter((a) => !a.includes('then done') || !a.includes('[DONE]')).length).toBe(0)
  const endpoint = await statsOf(lmlb)
  expect(endpoint.errors).toEqual({})
  expect(endpoint.health.state).toBe('healthy')
  expect(endpoint.in_flight).toBe(0)
}, 30_000)

test('past LMLB_MAX_UPSTREAM_CALLS a call is an immediate 503 overloaded, counted as overflow, no endpoint cooled', async () => {
  const { lmlb, reached, release } = await start({ LMLB_MAX_UPSTREAM_CALLS: '2' })
  const streams = [rawStream(lmlb.url, streamBody), rawStream(lmlb.url, streamBody)]
  expect(await Promise.all(streams.map((s) => s.first))).toEqual([200, 200])
  await reached(2)
  const over = await fetch(`${lmlb.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(streamBody),
  })
  expect(over.status).toBe(503)
  const error = ((await over.json()) as any).error
  expect(error.code).toBe('overloaded')
  expect(error.message).toContain('LMLB_MAX_UPSTREAM_CALLS')
  let endpoint = await statsOf(lmlb)
  expect(endpoint.overflow).toBe(1)
  expect(endpoint.errors).toEqual({})
  expect(endpoint.health.state).toBe('healthy')
  const metrics = await (await fetch(`${lmlb.url}/metrics`)).text()
  expect(metrics).toMatch(/lmlb_upstream_overflow_total\{service="openai",target="endpoint",[^}]*\} 1/)
  release()
  await Promise.all(streams.map((s) => s.done))
  // The slots are back: the next call goes through.
  const after = await fetch(`${lmlb.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...streamBody, stream: false }),
  })
  expect(after.status).toBe(200)
  endpoint = await statsOf(lmlb)
  expect(endpoint.health.state).toBe('healthy')
}, 30_000)

test('a call slot comes back however the call ended: a 400 passed on, a stream cut after its first event, a stream read to its end', async () => {
  const events = openaiStreamEvents('gpt-4o-mini', ['part ', 'rest'])
  let n = 0
  const up = startUpstream('ending', () => {
    n++
    if (n <= 3) return Response.json({ error: { message: 'bad', type: 'invalid_request_error', param: null, code: null } }, { status: 400 })
    if (n <= 5) {
      // The first event goes out (the stream is committed), then the connection breaks.
      const stream = new ReadableStream({
        start: (c) => (c.enqueue(new TextEncoder().encode(events[0])), void setTimeout(() => c.error(new Error('cut')), 20)),
      })
      return new Response(stream, { headers: SSE })
    }
    return new Response(events.join(''), { headers: SSE })
  })
  const lmlb = await startLmlb({
    process: true,
    env: {
      OPENAI_API_KEYS: 'sk-many-streams-2222',
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }),
      LMLB_MAX_UPSTREAM_CALLS: '1',
    },
  })
  running.push({ lmlb, up })
  const statuses: number[] = []
  for (let i = 0; i < 7; i++) {
    const res = await fetch(`${lmlb.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(streamBody),
    })
    await res.text()
    statuses.push(res.status)
  }
  // One slot in all: a call that kept it would make every later one a 503.
  expect(statuses).toEqual([400, 400, 400, 200, 200, 200, 200])
  expect((await statsOf(lmlb)).overflow).toBe(0)
})
