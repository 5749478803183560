/**
 * send(): one outbound call against a stand-in upstream on 127.0.0.1. What
 * it resolves to (a whole answer, cleaned and masked; a stream's first chunk
 * then a byte source), what it throws (UpstreamFailure 'connect' or
 * 'timeout', naming the variable), and how onEnd is told, once, for each way
 * an attempt ends: these are what dispatch, retries and the request log rely on.
 */
import { afterEach, expect, test } from 'bun:test'
import { loadConfig } from '../../src/config/load'
import type { Limits } from '../../src/config/schema'
import { Scrubber } from '../../src/observability/scrub'
import { UsageReader } from '../../src/observability/usage'
import type { ByteSource } from '../../src/upstream/byte-stream'
import { send, UpstreamFailure, type SendOptions } from '../../src/upstream/send'
import { type FakeUpstream, startUpstream } from '../helpers/upstream'

const KEY = 'sk-test-0123456789abcdef'
const MASKED = 'sk-...cdef'
const SSE = { 'content-type': 'text/event-stream' }
const enc = new TextEncoder()
const dec = new TextDecoder()

function limits(overrides: Partial<Limits> = {}): Limits {
  const loaded = loadConfig({ env: {} })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  return { ...loaded.config.limits, ...overrides }
}

const stops: (() => unknown)[] = []
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop()
})

function upstream(handler: Parameters<typeof startUpstream>[1]): FakeUpstream {
  const u = startUpstream('send', handler)
  stops.push(() => u.stop())
  return u
}

/** Options for one call, with every onEnd and observe recorded. */
function options(url: string, over: Partial<SendOptions> = {}) {
  const ends: string[] = []
  const seen: (string | Uint8Array)[] = []
  const o: SendOptions = {
    url,
    headers: { 'content-type': 'application/json' },
    body: '{"model":"m"}',
    streaming: false,
    limits: limits(),
    clientSignal: new AbortController().signal,
    scrubber: new Scrubber([KEY]),
    errorEvent: (message) => `event: error\ndata: ${JSON.stringify({ message })}\n\n`,
    onEnd: (how) => ends.push(how),
    observe: (body) => seen.push(body),
    ...over,
  }
  return { o, ends, seen }
}

async function readAll(source: ByteSource): Promise<string> {
  let text = ''
  for (let bytes = await source.next(); bytes !== null; bytes = await source.next()) text += dec.decode(bytes, { stream: true })
  return text
}

/** A response body whose chunks go out one at a time, each when its gate opens. */
function gated(chunks: string[], gates: Promise<unknown>[], onCancel?: (reason: unknown) => void): ReadableStream<Uint8Array> {
  let i = 0
  return new ReadableStream({
    async pull(controller) {
      if (i === chunks.length) return controller.close()
      await gates[i]
      controller.enqueue(enc.encode(chunks[i++]))
    },
    cancel: onCancel,
  })
}

function deferred<T = void>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

test('a whole answer: status, headers cleaned of hop-by-hop, encoding and cookies, the key masked in bytes and headers, onEnd done once', async () => {
  const body = JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}` } })
  const u = upstream(
    () =>
      new Response(Bun.gzipSync(enc.encode(body)), {
        status: 401,
        statusText: 'Unauthorized',
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          'set-cookie': 'session=upstream-secret',
          'keep-alive': 'timeout=5',
          'x-request-id': 'req_1',
          'x-echo-key': `key=${KEY}`,
        },
      }),
  )
  const { o, ends, seen } = options(`${u.base}/chat/completions`)
  const answer = await send(o)
  expect(answer.status).toBe(401)
  expect(answer.statusText).toBe('Unauthorized')
  expect(answer.source).toBeUndefined()
  const names = [...answer.headers.keys()]
  for (const gone of ['content-encoding', 'set-cookie', 'keep-alive', 'connection', 'transfer-encoding', 'content-length'])
    expect(names).not.toContain(gone)
  expect(answer.headers.get('x-request-id')).toBe('req_1')
  expect(answer.headers.get('x-echo-key')).toBe(`key=${MASKED}`)
  // The body arrives decoded, with the key masked; observe saw it as it came.
  expect(dec.decode(answer.bytes)).toBe(body.replace(KEY, MASKED))
  expect(seen).toEqual([body])
  expect(ends).toEqual(['done'])
  expect(u.received[0].raw).toBe('{"model":"m"}')
  expect(u.received[0].method).toBe('POST')
})

test('a 204 resolves with no bytes', async () => {
  const u = upstream(() => new Response(null, { status: 204 }))
  const { o, ends } = options(`${u.base}/x`)
  const answer = await send(o)
  expect(answer.status).toBe(204)
  expect(answer.bytes).toBeUndefined()
  expect(ends).toEqual(['done'])
})

test('a stream resolves after its first chunk; the source yields the rest, a key split across two chunks masked, usage read per chunk, onEnd done at the end', async () => {
  const second = deferred()
  const splitSeen = deferred()
  const chunks = [
    'data: {"choices":[{"delta":{"content":"hi"}}]}\n\n',
    `data: {"choices":[{"delta":{"content":"your key is ${KEY.slice(0, 10)}`,
    `${KEY.slice(10)}"}}]}\n\n`,
    'data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3}}\n\ndata: [DONE]\n\n',
  ]
  // The third chunk goes only once the second has been seen: the key really is split across two reads.
  const u = upstream(() => new Response(gated(chunks, [Promise.resolve(), second.promise, splitSeen.promise]), { headers: SSE }))
  const usage = new UsageReader()
  const { o, ends, seen } = options(`${u.base}/chat/completions`, {
    streaming: true,
    observe: (chunk) => {
      seen.push(chunk)
      usage.read(chunk)
      if (dec.decode(chunk as Uint8Array).endsWith(KEY.slice(0, 10))) splitSeen.resolve()
    },
  })
  const answer = await send(o)
  // Resolved while the upstream is still holding its second chunk back.
  expect(answer.status).toBe(200)
  expect(answer.bytes).toBeUndefined()
  expect(answer.headers.get('content-type')).toBe('text/event-stream')
  expect(ends).toEqual([])
  second.resolve()
  const text = await readAll(answer.source!)
  expect(text).toBe(chunks.join('').replace(KEY, MASKED))
  expect(text).not.toContain(KEY)
  // observe saw the chunks as they came, unmasked, each split chunk on its own.
  expect(seen.map((c) => dec.decode(c as Uint8Array)).join('')).toBe(chunks.join(''))
  expect(seen.some((c) => dec.decode(c as Uint8Array).endsWith(KEY.slice(0, 10)))).toBe(true)
  expect(usage.totals()).toMatchObject({ input: 7, output: 3 })
  expect(ends).toEqual(['done'])
  expect(await answer.source!.next()).toBeNull()
  expect(ends).toEqual(['done'])
})

test('an error status with an SSE content type is read whole, not relayed', async () => {
  const u = upstream(() => new Response('data: overloaded\n\n', { status: 529, headers: SSE }))
  const { o, ends } = options(`${u.base}/messages`, { streaming: true })
  const answer = await send(o)
  expect(answer.status).toBe(529)
  expect(answer.source).toBeUndefined()
  expect(dec.decode(answer.bytes)).toBe('data: overloaded\n\n')
  expect(ends).toEqual(['done'])
})

test('a stream that breaks mid-way ends with the error event and onEnd upstream_error', async () => {
  // A raw server: a chunked head and one event; the connection is cut, without the last chunk, once send has it.
  const event = 'data: {"n":1}\n\n'
  let cut = () => {}
  const server = Bun.listen({
    hostname: '127.0.0.1',
    port: 0,
    socket: {
      data(socket) {
        cut = () => socket.end()
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n`)
        socket.write(`${event.length.toString(16)}\r\n${event}\r\n`)
      },
    },
  })
  stops.push(() => server.stop(true))
  const { o, ends } = options(`http://127.0.0.1:${server.port}/v1/chat/completions`, { streaming: true })
  const answer = await send(o)
  expect(dec.decode((await answer.source!.next())!)).toBe(event)
  cut()
  const last = dec.decode((await answer.source!.next())!)
  expect(last).toStartWith('event: error\ndata: ')
  expect(JSON.parse(last.slice('event: error\ndata: '.length)).message).toStartWith('upstream stream failed: ')
  expect(ends).toEqual(['upstream_error'])
  expect(await answer.source!.next()).toBeNull()
  expect(ends).toEqual(['upstream_error'])
})

test('a stream silent past LMLB_IDLE_TIMEOUT_MS ends with an error event naming it', async () => {
  const never = new Promise(() => {})
  const u = upstream(() => new Response(gated(['data: 1\n\n', 'data: 2\n\n'], [Promise.resolve(), never]), { headers: SSE }))
  const { o, ends } = options(`${u.base}/chat/completions`, { streaming: true, limits: limits({ idleTimeoutMs: 60 }) })
  const answer = await send(o)
  const text = await readAll(answer.source!)
  expect(text).toStartWith('data: 1\n\nevent: error\n')
  expect(text).toContain('upstream silent for 60 ms (LMLB_IDLE_TIMEOUT_MS)')
  expect(ends).toEqual(['upstream_error'])
})

test('an unreachable upstream throws UpstreamFailure connect, onEnd failed', async () => {
  // A port that was just free: nothing listens there any more.
  const gone = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
  const port = gone.port
  await gone.stop(true)
  const { o, ends } = options(`http://127.0.0.1:${port}/v1/chat/completions`)
  const error = await send(o).catch((e) => e)
  expect(error).toBeInstanceOf(UpstreamFailure)
  expect(error.kind).toBe('connect')
  expect(error.message).toContain(`could not reach http://127.0.0.1:${port}/v1/chat/completions`)
  expect(ends).toEqual(['failed'])
})

test('a stream with no response head within LMLB_CONNECT_TIMEOUT_MS throws UpstreamFailure timeout naming it', async () => {
  const release = deferred()
  stops.unshift(() => release.resolve())
  const u = upstream(async () => {
    await release.promise
    return new Response('late')
  })
  const { o, ends } = options(`${u.base}/chat/completions`, {
    streaming: true,
    limits: limits({ connectTimeoutMs: 60, firstByteTimeoutMs: 60_000 }),
  })
  const started = Date.now()
  const error = await send(o).catch((e) => e)
  expect(error).toBeInstanceOf(UpstreamFailure)
  expect(error.kind).toBe('timeout')
  expect(error.message).toContain('no response head')
  expect(error.message).toContain('within 60 ms (LMLB_CONNECT_TIMEOUT_MS)')
  expect(Date.now() - started).toBeLessThan(5_000)
  expect(ends).toEqual(['failed'])
})

test('a whole answer not given within LMLB_FIRST_BYTE_TIMEOUT_MS throws UpstreamFailure timeout naming it', async () => {
  const release = deferred()
  stops.unshift(() => release.resolve())
  const u = upstream(async () => {
    await release.promise
    return new Response('late')
  })
  // The connect limit is for streams only: a whole answer waits for its first byte.
  const { o, ends } = options(`${u.base}/chat/completions`, { limits: limits({ connectTimeoutMs: 1, firstByteTimeoutMs: 80 }) })
  const error = await send(o).catch((e) => e)
  expect(error).toBeInstanceOf(UpstreamFailure)
  expect(error.kind).toBe('timeout')
  expect(error.message).toContain('within 80 ms (LMLB_FIRST_BYTE_TIMEOUT_MS)')
  expect(ends).toEqual(['failed'])
})

test("the client's signal aborting cancels the upstream call", async () => {
  const arrived = deferred()
  const upstreamAborted = deferred()
  const release = deferred()
  stops.unshift(() => release.resolve())
  const u = upstream(async (_, request) => {
    request.signal.addEventListener('abort', () => upstreamAborted.resolve())
    arrived.resolve()
    await release.promise
    return new Response('late')
  })
  const client = new AbortController()
  const { o, ends } = options(`${u.base}/chat/completions`, { clientSignal: client.signal })
  const pending = send(o).catch((e) => e)
  await arrived.promise
  const reason = new Error('client went away')
  client.abort(reason)
  expect(await pending).toBe(reason)
  expect(ends).toEqual(['failed'])
  await upstreamAborted.promise
})

test('a signal already aborted never reaches the upstream as a call', async () => {
  const u = upstream(() => new Response('{}'))
  const client = new AbortController()
  client.abort(new Error('gone before'))
  const { o, ends } = options(`${u.base}/chat/completions`, { clientSignal: client.signal })
  const error = await send(o).catch((e) => e)
  expect(error.message).toBe('gone before')
  expect(ends).toEqual(['failed'])
  expect(u.received).toHaveLength(0)
})

test('a stream cancelled by its consumer: onEnd client_gone, and the upstream sees the cancel', async () => {
  const upstreamCancelled = deferred<unknown>()
  const never = new Promise(() => {})
  const u = upstream(
    () =>
      new Response(
        gated(['data: 1\n\n', 'data: 2\n\n'], [Promise.resolve(), never], (reason) => upstreamCancelled.resolve(reason)),
        { headers: SSE },
      ),
  )
  const { o, ends } = options(`${u.base}/chat/completions`, { streaming: true })
  const answer = await send(o)
  expect(dec.decode((await answer.source!.next())!)).toBe('data: 1\n\n')
  await answer.source!.cancel(new Error('client left'))
  expect(ends).toEqual(['client_gone'])
  await upstreamCancelled.promise
  expect(await answer.source!.next()).toBeNull()
  expect(ends).toEqual(['client_gone'])
})
