/**
 * relay(): how an upstream stream is handed on after its first chunk. The
 * idle watchdog (a silent upstream must not hold a client for ever), key
 * tails held back by the scrubber and flushed at the end (no byte lost),
 * and onEnd told exactly once however the stream ends: the request log and
 * the endpoint's health both count on that one call.
 */
import { expect, test } from 'bun:test'
import { Scrubber } from '../../src/observability/scrub'
import { after } from '../../src/upstream/deadlines'
import type { ByteSource } from '../../src/upstream/byte-stream'
import { relay, type RelayOptions } from '../../src/upstream/relay'

const KEY = 'sk-test-0123456789abcdef'
const enc = new TextEncoder()
const dec = new TextDecoder()
const IDLE_NEVER = 60_000

/** A reader over a stream of the given chunks; `open` leaves it without an end, to be errored or cancelled. */
function upstream(chunks: string[], open = false) {
  let controller!: ReadableStreamDefaultController<Uint8Array>
  let cancelled: unknown = 'not cancelled'
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c
      for (const chunk of chunks) c.enqueue(enc.encode(chunk))
      if (!open) c.close()
    },
    cancel(reason) {
      cancelled = reason
    },
  })
  return { reader: stream.getReader(), controller, cancelled: () => cancelled }
}

async function start(reader: ReadableStreamDefaultReader<Uint8Array>, over: Partial<RelayOptions> = {}) {
  const ends: string[] = []
  const observed: string[] = []
  const source = relay(reader, await reader.read(), {
    idleMs: IDLE_NEVER,
    onIdle: () => {},
    scrub: new Scrubber([KEY]).stream(),
    observe: (chunk) => observed.push(dec.decode(chunk)),
    errorEvent: (error) => `event: error\ndata: ${(error as Error).message}\n\n`,
    onEnd: (how) => ends.push(how),
    ...over,
  })
  return { source, ends, observed }
}

async function readAll(source: ByteSource): Promise<string[]> {
  const out: string[] = []
  for (let bytes = await source.next(); bytes !== null; bytes = await source.next()) out.push(dec.decode(bytes))
  return out
}

test('the first chunk read goes out first, then the rest; observe sees every chunk; onEnd done once', async () => {
  const { reader } = upstream(['data: 1\n\n', 'data: 2\n\n', 'data: 3\n\n'])
  const { source, ends, observed } = await start(reader)
  expect(ends).toEqual([])
  expect(await readAll(source)).toEqual(['data: 1\n\n', 'data: 2\n\n', 'data: 3\n\n'])
  expect(observed).toEqual(['data: 1\n\n', 'data: 2\n\n', 'data: 3\n\n'])
  expect(ends).toEqual(['done'])
  expect(await source.next()).toBeNull()
  await source.cancel('late')
  expect(ends).toEqual(['done'])
})

test('a tail that may begin a key is held back, then flushed whole at the end when no key came', async () => {
  // Ends with the key's first 12 characters: held until the end decides it is not a key.
  const { reader } = upstream(['data: a\n\n', `data: ${KEY.slice(0, 12)}`])
  const { source, ends } = await start(reader)
  const out = await readAll(source)
  expect(out.join('')).toBe(`data: a\n\ndata: ${KEY.slice(0, 12)}`)
  expect(out.at(-1)).toBe(KEY.slice(0, 12))
  expect(ends).toEqual(['done'])
})

test('a chunk held back entirely is not handed on empty: the next read carries it, masked with the rest of the key', async () => {
  const { reader } = upstream(['data: x\n\n', KEY.slice(0, 8), `${KEY.slice(8)} end\n\n`])
  const { source, ends } = await start(reader)
  const out = await readAll(source)
  expect(out).toEqual(['data: x\n\n', 'sk-...cdef end\n\n'])
  expect(ends).toEqual(['done'])
})

test('an upstream silent for idleMs calls onIdle; aborting there ends the stream with the error event, upstream_error', async () => {
  const { reader, controller } = upstream(['data: 1\n\n'], true)
  let idleAt = 0
  const began = Date.now()
  const { source, ends } = await start(reader, {
    idleMs: 50,
    onIdle: () => {
      idleAt = Date.now()
      controller.error(new Error('silent too long'))
    },
  })
  expect(dec.decode((await source.next())!)).toBe('data: 1\n\n')
  expect(dec.decode((await source.next())!)).toBe('event: error\ndata: silent too long\n\n')
  expect(idleAt - began).toBeGreaterThanOrEqual(45)
  expect(ends).toEqual(['upstream_error'])
  expect(await source.next()).toBeNull()
  expect(ends).toEqual(['upstream_error'])
})

test('the watchdog is stopped at the end: a stream over before idleMs never calls onIdle', async () => {
  const { reader } = upstream(['data: 1\n\n'])
  let idle = 0
  const { source, ends } = await start(reader, { idleMs: 30, onIdle: () => idle++ })
  await readAll(source)
  expect(ends).toEqual(['done'])
  // A negative: wait past several idle periods for a call that must not come.
  await new Promise<void>((resolve) => after(120, resolve))
  expect(idle).toBe(0)
})

test('a stream that errors mid-way ends with errorEvent of that error and onEnd upstream_error, once', async () => {
  const { reader, controller } = upstream(['data: 1\n\n'], true)
  const { source, ends } = await start(reader)
  expect(dec.decode((await source.next())!)).toBe('data: 1\n\n')
  controller.error(new Error('connection reset'))
  expect(dec.decode((await source.next())!)).toBe('event: error\ndata: connection reset\n\n')
  expect(await source.next()).toBeNull()
  expect(ends).toEqual(['upstream_error'])
})

test('cancel passes the reason to the upstream and ends with client_gone; nothing is read after', async () => {
  const { reader, cancelled } = upstream(['data: 1\n\n', 'data: 2\n\n'], true)
  const { source, ends } = await start(reader)
  expect(dec.decode((await source.next())!)).toBe('data: 1\n\n')
  await source.cancel('client left')
  expect(cancelled()).toBe('client left')
  expect(ends).toEqual(['client_gone'])
  expect(await source.next()).toBeNull()
  expect(ends).toEqual(['client_gone'])
})
