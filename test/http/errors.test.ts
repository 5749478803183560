/**
 * The one place an error becomes a response (http/errors.ts): a ProxyError
 * in the inbound API's own shape with its status and headers; anything
 * unexpected as a short 500 whose details go to the log, keys masked; a
 * request whose client has left as 499; a body refused while it still
 * arrives as its answer, the response held open until the rest has come.
 */
import { expect, spyOn, test } from 'bun:test'
import { ProxyError } from '../../src/errors'
import { errorAnswer, errorResponse, unhandledError } from '../../src/http/errors'
import { BodyRefused } from '../../src/http/read-body'
import { createLogger } from '../../src/observability/log'
import { Scrubber } from '../../src/observability/scrub'

const SECRET = 'sk-errors-test-secret-0123456789'

function options() {
  const lines: string[] = []
  const scrubber = new Scrubber([SECRET])
  return {
    lines,
    o: { logger: createLogger('info', '', (l) => lines.push(l)), mask: (t: string) => scrubber.text(t), bodyTimeoutMs: 1_000 },
  }
}

const request = (signal?: AbortSignal) => new Request('http://localhost/v1/messages', { method: 'POST', signal })

test('a ProxyError in each API’s shape, with its status and headers', async () => {
  const error = new ProxyError(429, 'rate_limit_exceeded', 'slow down', { 'retry-after': '7' })
  const anthropic = errorResponse('messages', error)
  expect([anthropic.status, anthropic.headers.get('retry-after')]).toEqual([429, '7'])
  expect(await anthropic.json()).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'slow down' } })
  for (const api of ['chat', 'responses'] as const) {
    const openai = errorResponse(api, error)
    expect([openai.status, openai.headers.get('retry-after')]).toEqual([429, '7'])
    expect(await openai.json()).toEqual({
      error: { message: 'slow down', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' },
    })
  }
})

test('errorAnswer gives a ProxyError as errorResponse does, and logs nothing of it', async () => {
  const { lines, o } = options()
  const response = errorAnswer(new ProxyError(404, 'model_not_found', 'no such model'), request(), '/v1/messages', 'messages', o)
  expect(response.status).toBe(404)
  expect(await response.json()).toEqual({ type: 'error', error: { type: 'not_found_error', message: 'no such model' } })
  expect(lines).toEqual([])
})

test('an unexpected error: 500 "lmlb internal error (logged)" in the API’s shape; the log has the stack, keys masked', async () => {
  const { lines, o } = options()
  const bug = new TypeError(`cannot read the key ${SECRET}`)
  const response = errorAnswer(bug, request(), '/v1/chat/completions', 'chat', o)
  expect(response.status).toBe(500)
  expect(await response.json()).toEqual({
    error: { message: 'lmlb internal error (logged)', type: 'server_error', param: null, code: 'internal_error' },
  })
  expect(lines).toHaveLength(1)
  expect(lines[0]).toContain('ERROR')
  expect(lines[0]).toContain('unexpected error on POST /v1/chat/completions: TypeError: cannot read the key')
  expect(lines[0]).toContain('errors.test.ts') // the stack, where the error was made
  expect(lines[0]).not.toContain(SECRET)
  // Nothing of it reaches the client.
  expect(JSON.stringify(await errorAnswer(bug, request(), '/', 'chat', o).json())).not.toContain('cannot read')
})

test('a thrown non-Error is logged as it is', () => {
  const { lines, o } = options()
  expect(errorAnswer(`a string ${SECRET}`, request(), '/v1/messages', 'messages', o).status).toBe(500)
  expect(lines[0]).toContain('unexpected error on POST /v1/messages: a string ')
  expect(lines[0]).not.toContain(SECRET)
})

test('the client left before the answer: 499 with no body, an info line and no error', async () => {
  const { lines, o } = options()
  const gone = new AbortController()
  gone.abort()
  const response = errorAnswer(new DOMException('aborted', 'AbortError'), request(gone.signal), '/v1/messages', 'messages', o)
  expect(response.status).toBe(499)
  expect(response.body).toBeNull()
  expect(lines).toHaveLength(1)
  expect(lines[0]).toContain('INFO')
  expect(lines[0]).toContain('POST /v1/messages: the client left before the answer')
})

test('a body refused while it arrives: its answer at once with Connection: close, the response ending once the rest has come', async () => {
  const { o } = options()
  let source!: ReadableStreamDefaultController<Uint8Array>
  let askedForRest!: () => void
  const readingRest = new Promise<void>((resolve) => (askedForRest = resolve))
  // No read-ahead: pull is called only while someone waits for the rest.
  const rest = new ReadableStream<Uint8Array>(
    { start: (c) => void (source = c), pull: () => askedForRest() },
    { highWaterMark: 0 },
  ).getReader()
  const refused = new BodyRefused(413, 'request_too_large', 'too large', rest)
  const response = errorAnswer(refused, request(), '/v1/messages', 'messages', o)
  expect([response.status, response.headers.get('connection')]).toEqual([413, 'close'])
  const reader = response.body!.getReader()
  const first = await reader.read()
  expect(JSON.parse(new TextDecoder().decode(first.value))).toEqual({
    type: 'error',
    error: { type: 'request_too_large', message: 'too large' },
  })
  let ended = false
  const end = reader.read().then((r) => ((ended = true), r))
  await readingRest
  expect(ended).toBe(false)
  source.close()
  expect((await end).done).toBe(true)
})

test('the last resort logs only the error’s name, and answers a short 500', async () => {
  const logged = spyOn(console, 'error').mockImplementation(() => {})
  try {
    const response = unhandledError(new RangeError(`boom ${SECRET}`))
    expect(response.status).toBe(500)
    expect((await response.json()).error.message).toBe('lmlb internal error')
    expect(logged.mock.calls.map((c) => c.join(' '))).toEqual(['lmlb: unhandled RangeError in the request handler'])
  } finally {
    logged.mockRestore()
  }
})
