/**
 * readBody and readInbound (http/read-body.ts), on in-process requests with
 * small limits: the media type, the size (declared or not), the time a
 * body may take, and its UTF-8, each refused with its own status and code;
 * what is accepted comes back as sent. test/http/request-body.test.ts
 * covers the same on real sockets, with real clients.
 */
import { expect, test } from 'bun:test'
import { endpointAt } from '../../src/apis/endpoints'
import { ProxyError } from '../../src/errors'
import { BodyRefused, readBody, readInbound } from '../../src/http/read-body'

const LIMITS = { maxBytes: 64, timeoutMs: 100 }

function post(body: BodyInit | null, headers: Record<string, string> = {}) {
  return new Request('http://localhost/v1/chat/completions', { method: 'POST', body, headers })
}

/** A body that sends `chunks`, then stays open (or ends, with `end`); `pulls` counts how often it was asked for more. */
function trickle(chunks: Uint8Array[], end = false) {
  const state = { pulls: 0 }
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        state.pulls++
        const next = chunks.shift()
        if (next) controller.enqueue(next)
        else if (end) controller.close()
      },
    },
    { highWaterMark: 0 },
  )
  return { stream, state }
}

async function refusal(promise: Promise<unknown>): Promise<ProxyError> {
  const error = await promise.then(
    () => undefined,
    (e) => e,
  )
  if (!(error instanceof ProxyError)) throw new Error(`expected a ProxyError, got ${error}`)
  return error
}

test('JSON and its variants are read; no content type is tolerated', async () => {
  const body = '{"model":"m","messages":[]}'
  for (const type of ['application/json', 'application/json; charset=utf-8', 'Application/JSON', 'application/vnd.api+json']) {
    expect(await readBody(post(body, { 'content-type': type }), LIMITS)).toBe(body)
  }
  expect(await readBody(post(body), LIMITS)).toBe(body)
})

test('another media type: 415 naming what came', async () => {
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp']) {
    const error = await refusal(readBody(post('{}', { 'content-type': type }), LIMITS))
    expect([error.status, error.code]).toEqual([415, 'unsupported_media_type'])
    expect(error.message).toContain(`"${type}"`)
  }
})

test('bytes that are not UTF-8: 400 invalid_utf8; every valid width comes back unchanged', async () => {
  const bad = new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d]) // {"\xc3("}
  const error = await refusal(readBody(post(bad, { 'content-type': 'application/json' }), LIMITS))
  expect([error.status, error.code]).toEqual([400, 'invalid_utf8'])
  const widths = '{"t":"aé€😀"}'
  expect(await readBody(post(new TextEncoder().encode(widths)), LIMITS)).toBe(widths)
})

test('a body declared over the limit: 413 with Connection: close, before a byte of it is read', async () => {
  const { stream, state } = trickle([new Uint8Array(200)])
  const error = await refusal(readBody(post(stream, { 'content-length': '200' }), LIMITS))
  expect(error).toBeInstanceOf(BodyRefused)
  expect([error.status, error.code, error.headers.connection]).toEqual([413, 'request_too_large', 'close'])
  expect(error.message).toContain('64 bytes')
  expect(state.pulls).toBe(0)
  await (error as BodyRefused).rest.cancel()
})

test('a body of undeclared length: refused as it crosses the limit, the rest left unread; at the limit it is read', async () => {
  const { stream, state } = trickle([new Uint8Array(40).fill(32), new Uint8Array(40).fill(32), new Uint8Array(40).fill(32)])
  const error = await refusal(readBody(post(stream), LIMITS))
  expect([error.status, error.code]).toEqual([413, 'request_too_large'])
  expect(state.pulls).toBeLessThan(3) // the third chunk never asked for
  await (error as BodyRefused).rest.cancel()
  const atLimit = trickle([new TextEncoder().encode(`"${'x'.repeat(30)}`), new TextEncoder().encode(`${'y'.repeat(32)}"`)], true)
  expect(await readBody(post(atLimit.stream), LIMITS)).toHaveLength(64)
})

test('a body that stops arriving: 408 body_timeout with Connection: close, declared or not', async () => {
  const chunked = trickle([new TextEncoder().encode('{"model"')])
  const silent = await refusal(readBody(post(chunked.stream), LIMITS))
  expect([silent.status, silent.code, silent.headers.connection]).toEqual([408, 'body_timeout', 'close'])
  expect(silent.message).toContain('100 ms')
  const declared = trickle([new TextEncoder().encode('{"model"')])
  const partial = await refusal(readBody(post(declared.stream, { 'content-length': '30' }), LIMITS))
  expect([partial.status, partial.code]).toEqual([408, 'body_timeout'])
})

test('no body at all reads as empty text (the flow then names it empty)', async () => {
  expect(await readBody(new Request('http://localhost/', { method: 'POST' }), LIMITS)).toBe('')
})

test('an upload endpoint takes multipart with a boundary only, and keeps its bytes as they came', async () => {
  const transcriptions = endpointAt('/v1/audio/transcriptions')!
  const json = await refusal(readInbound(transcriptions, post('{}', { 'content-type': 'application/json' }), LIMITS))
  expect([json.status, json.code]).toEqual([415, 'unsupported_media_type'])
  const noBoundary = await refusal(readInbound(transcriptions, post('x', { 'content-type': 'multipart/form-data' }), LIMITS))
  expect(noBoundary.status).toBe(415)
  const bytes = new Uint8Array([0x2d, 0x2d, 0x62, 0xff, 0x00])
  const raw = await readInbound(transcriptions, post(bytes, { 'content-type': 'multipart/form-data; boundary=b' }), LIMITS)
  expect(raw).toEqual({ upload: bytes, contentType: 'multipart/form-data; boundary=b' })
  // A JSON endpoint through the same door: its text.
  expect(await readInbound(endpointAt('/v1/chat/completions')!, post('{"a":1}'), LIMITS)).toEqual({ text: '{"a":1}' })
})
