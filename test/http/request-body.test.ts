/**
 * Request bodies as real clients send them: over the limit (declared,
 * chunked, behind `Expect: 100-continue`), trickled, stopped, and not UTF-8.
 * Raw sockets where a client library would hide the wire; Node's own
 * `http.request` and the OpenAI SDK where their view is the point.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { request as httpRequest } from 'node:http'
import { connect, type Socket } from 'node:net'
import OpenAI from 'openai'
import { startLmlb, UNDER_DENO, type RunningLmlb } from '../helpers/lmlb'
import { post } from '../helpers/requests'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

const LIMIT = 100_000
const GAP_MS = 400

let lmlb: RunningLmlb
let upstream: FakeUpstream
beforeAll(async () => {
  upstream = startUpstream('oai')
  lmlb = await startLmlb({
    env: {
      OPENAI_API_KEYS: 'sk-body-test-key-0001',
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [upstream.base] }),
      LMLB_MAX_BODY_BYTES: String(LIMIT),
      LMLB_BODY_TIMEOUT_MS: String(GAP_MS),
    },
  })
})
afterAll(async () => {
  await lmlb.stop()
  await upstream.stop()
})

const port = () => Number(new URL(lmlb.url).port)
const chatBody = (bytes: number) => JSON.stringify({ model: 'mock/x', messages: [{ role: 'user', content: 'x'.repeat(bytes) }] })

interface Wire {
  socket: Socket
  /** Everything received so far, as text. */
  text(): string
  /** Resolves once the received text matches. */
  until(pattern: RegExp): Promise<void>
  /** Resolves once the connection is closed; `reset` when it ended in ECONNRESET/EPIPE. */
  closed: Promise<{ reset: boolean }>
}

function open(): Promise<Wire> {
  return new Promise((resolve) => {
    const socket = connect(port(), '127.0.0.1')
    let text = ''
    let reset = false
    const waiters: [RegExp, () => void][] = []
    socket.setEncoding('latin1')
    socket.on('data', (d: string) => {
      text += d
      for (const w of waiters.splice(0)) (w[0].test(text) ? w[1] : () => waiters.push(w))()
    })
    socket.on('error', () => (reset = true))
    const closed = new Promise<{ reset: boolean }>((r) => socket.on('close', () => r({ reset })))
    socket.on('connect', () =>
      resolve({ socket, text: () => text, until: (p) => new Promise((r) => (p.test(text) ? r() : waiters.push([p, r]))), closed }),
    )
  })
}

/**
 * Resolves once lmlb has answered and closed the connection. Under Deno only
 * the answer's end is awaited: Deno's HTTP server keeps a connection whose
 * declared body has not all come open until the client ends it, whatever
 * the handler does (Connection: close, the body cancelled), so there lmlb
 * answers but cannot close, and the client closes instead.
 */
const ended = (wire: Wire) => (UNDER_DENO ? wire.until(ANSWER_END).then(() => (wire.socket.end(), wire.closed)) : wire.closed)
/** The end of a chunked body, or of an error's JSON with its length declared. */
const ANSWER_END = /(\r\n0\r\n\r\n|\}\})$/

/** Writes `total` bytes of body as fast as the socket takes them; resolves with how many went out before it broke. */
function pump(socket: Socket, total: number, encode = (b: Buffer) => b as Buffer | string): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 0x20)
  let sent = 0
  return new Promise((resolve) => {
    socket.on('error', () => resolve(sent))
    const more = () => {
      while (sent < total && !socket.destroyed) {
        const n = Math.min(chunk.length, total - sent)
        sent += n
        if (!socket.write(encode(chunk.subarray(0, n)))) return void socket.once('drain', more)
      }
      resolve(sent)
    }
    more()
  })
}

/** The status and the JSON of a (possibly chunked) HTTP/1.1 response, after any `100 Continue`. */
function parse(text: string): { status: number; head: string; json: any } {
  const final = text.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '')
  const split = final.indexOf('\r\n\r\n')
  const head = final.slice(0, split)
  let body = final.slice(split + 4)
  if (/transfer-encoding: chunked/i.test(head)) {
    let out = ''
    for (let at = 0; ; ) {
      const eol = body.indexOf('\r\n', at)
      const size = parseInt(body.slice(at, eol), 16)
      if (!size) break
      out += body.slice(eol + 2, eol + 2 + size)
      at = eol + 2 + size + 2
    }
    body = out
  }
  return { status: Number(head.split(' ')[1]), head, json: JSON.parse(body) }
}

const tooLargeOpenAI = {
  error: {
    message: `request body is larger than ${LIMIT} bytes (LMLB_MAX_BODY_BYTES)`,
    type: 'invalid_request_error',
    param: null,
    code: 'request_too_large',
  },
}

describe('a body over LMLB_MAX_BODY_BYTES', () => {
  test('declared: the whole body is sent, the client reads a 413 in its API shape with Connection: close, never a reset', async () => {
    for (const [path, shape] of [
      ['/v1/chat/completions', tooLargeOpenAI],
      ['/v1/messages', { type: 'error', error: { type: 'request_too_large', message: expect.stringContaining('LMLB_MAX_BODY_BYTES') } }],
    ] as const) {
      const wire = await open()
      const total = 20 * 1024 * 1024
      wire.socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${total}\r\n\r\n`)
      expect(await pump(wire.socket, total)).toBe(total)
      expect(await wire.closed).toEqual({ reset: false })
      const answer = parse(wire.text())
      expect(answer.status).toBe(413)
      expect(answer.head).toMatch(/\r\nconnection: close/i)
      expect(answer.json).toEqual(shape)
    }
  })

  test('decided from Content-Length: the answer comes before a byte of the body is sent', async () => {
    const wire = await open()
    wire.socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${LIMIT + 1}\r\n\r\n`,
    )
    await wire.until(/request_too_large/)
    expect(parse(wire.text()).json).toEqual(tooLargeOpenAI)
    // Nothing more comes: lmlb reads on for a silence of LINGER_GAP_MS, then ends the answer (its last chunk) and closes.
    expect(await ended(wire)).toEqual({ reset: false })
    expect(wire.text().endsWith('\r\n0\r\n\r\n')).toBe(true)
  })

  test('Expect: 100-continue: the 413 comes while the client holds the body back', async () => {
    const wire = await open()
    wire.socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\nExpect: 100-continue\r\n\r\n`,
    )
    await wire.until(/request_too_large/)
    const answer = parse(wire.text())
    expect([answer.status, answer.json]).toEqual([413, tooLargeOpenAI])
    expect(await ended(wire)).toEqual({ reset: false })
    // The answer is complete, and the connection closed, though the client never sent its body.
    expect(wire.text().endsWith('\r\n0\r\n\r\n')).toBe(true)
  })

  test('chunked: stopped as it crosses the limit, the same 413 while the client goes on sending, and no "unexpected error" logged', async () => {
    const wire = await open()
    wire.socket.write(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    )
    const sent = await pump(wire.socket, 4 * 1024 * 1024, (b) => `${b.length.toString(16)}\r\n${b.toString('latin1')}\r\n`)
    wire.socket.write('0\r\n\r\n')
    expect(sent).toBe(4 * 1024 * 1024)
    expect(await wire.closed).toEqual({ reset: false })
    const answer = parse(wire.text())
    expect([answer.status, answer.json]).toEqual([413, tooLargeOpenAI])
    expect(lmlb.log()).not.toContain('unexpected error')
  })

  test("Node's http.request, sixteen times: always the 413 and its JSON, never EPIPE", async () => {
    const body = Buffer.from(chatBody(2 * 1024 * 1024))
    const once = () =>
      new Promise<string>((resolve) => {
        const req = httpRequest(
          `${lmlb.url}/v1/chat/completions`,
          { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } },
          (res) => {
            let text = ''
            res.setEncoding('utf8')
            res.on('data', (d) => (text += d))
            res.on('end', () => resolve(`${res.statusCode} ${JSON.parse(text).error.code}`))
            res.on('error', (e) => resolve(`response ${e.message}`))
          },
        )
        req.on('error', (e) => resolve(`request ${(e as NodeJS.ErrnoException).code ?? e.message}`))
        req.end(body)
      })
    const outcomes = await Promise.all(Array.from({ length: 16 }, once))
    expect(outcomes).toEqual(Array(16).fill('413 request_too_large'))
  })

  test('the OpenAI SDK sees a 413 APIError with the message, not "Connection error"', async () => {
    const client = new OpenAI({ baseURL: `${lmlb.url}/v1`, apiKey: 'client', maxRetries: 0 })
    const error = await client.chat.completions
      .create({ model: 'mock/x', messages: [{ role: 'user', content: 'x'.repeat(1024 * 1024) }] })
      .catch((e) => e)
    expect(error).toBeInstanceOf(OpenAI.APIError)
    expect([error.status, error.code, error.message]).toEqual([413, 'request_too_large', expect.stringContaining('LMLB_MAX_BODY_BYTES')])
  })

  test('a body at the limit is still served', async () => {
    const body = chatBody(LIMIT - chatBody(0).length)
    expect(Buffer.byteLength(body)).toBe(LIMIT)
    const res = await fetch(`${lmlb.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
    expect(res.status).toBe(200)
  })
})

describe('a body that stops arriving (LMLB_BODY_TIMEOUT_MS)', () => {
  const timedOut = (api: 'openai' | 'anthropic', what: string) => {
    const message = `the request body ${what} ${GAP_MS} ms (LMLB_BODY_TIMEOUT_MS)`
    return api === 'anthropic'
      ? { type: 'error', error: { type: 'invalid_request_error', message } }
      : { error: { message, type: 'invalid_request_error', param: null, code: 'body_timeout' } }
  }

  test('many trickling clients: each is cut with a 408 in its API shape and Connection: close', async () => {
    const wires = await Promise.all(Array.from({ length: 50 }, open))
    wires.forEach((wire, i) => {
      const path = i % 2 ? '/v1/messages' : '/v1/chat/completions'
      wire.socket.write(`POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"model":`)
    })
    const closed = await Promise.all(wires.map(ended))
    expect(closed.every((c) => !c.reset)).toBe(true)
    wires.forEach((wire, i) => {
      const answer = parse(wire.text())
      expect(answer.status).toBe(408)
      expect(answer.head).toMatch(/\r\nconnection: close/i)
      expect(answer.json).toEqual(timedOut(i % 2 ? 'anthropic' : 'openai', 'was not all there after'))
    })
  })

  /** Sends `body` in eight pieces, a quarter of the timeout apart: no gap passes it, the whole takes twice as long. */
  async function trickle(wire: Wire, body: string, frame = (piece: string) => piece) {
    const size = Math.ceil(body.length / 8)
    for (let at = 0; at < body.length; at += size) {
      wire.socket.write(frame(body.slice(at, at + size)))
      await Bun.sleep(GAP_MS / 4) // the client's pace, not a wait for lmlb
    }
  }

  test('chunked: a gap past the timeout, or before the first byte, is a 408', async () => {
    const chunked = await open()
    chunked.socket.write(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{"\r\n',
    )
    const silent = await open()
    silent.socket.write(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
    )
    for (const wire of [chunked, silent]) {
      await ended(wire)
      expect(parse(wire.text()).json).toEqual(timedOut('openai', 'stopped arriving: no byte for'))
    }
  })

  test('chunked: a slow body whose gaps stay under the timeout is read to the end and served', async () => {
    const wire = await open()
    wire.socket.write(
      'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n',
    )
    await trickle(wire, chatBody(20), (piece) => `${Buffer.byteLength(piece).toString(16)}\r\n${piece}\r\n`)
    wire.socket.write('0\r\n\r\n')
    await wire.closed
    const answer = parse(wire.text())
    expect(answer.status).toBe(200)
    expect(answer.json.choices[0].message.content).toContain('x'.repeat(20))
  })

  test('declared and small (up to 1 MiB): the whole body must be there within the timeout', async () => {
    const body = chatBody(20)
    const wire = await open()
    wire.socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
    )
    await Promise.all([trickle(wire, body), wire.until(/body_timeout/)])
    expect(parse(wire.text()).json).toEqual(timedOut('openai', 'was not all there after'))
  })
})

describe('the body as it came', () => {
  test('invalid UTF-8 inside a JSON string: 400 invalid_utf8, nothing sent upstream', async () => {
    upstream.reset()
    const [before, after] = ['{"model":"gpt-4o","messages":[{"role":"user","content":"a', 'b"}]}'].map((s) => new TextEncoder().encode(s))
    for (const bad of [[0xff], [0xc3], [0xed, 0xa0, 0x80] /* a lone surrogate */, [0xc0, 0xaf] /* overlong "/" */]) {
      const res = await post(lmlb.url, '/v1/chat/completions', new Uint8Array([...before, ...bad, ...after]))
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual({
        error: {
          message: 'the request body is not valid UTF-8 (JSON text must be)',
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_utf8',
        },
      })
    }
    expect(upstream.received).toEqual([])
  })

  test('valid UTF-8 of every width reaches the upstream byte for byte', async () => {
    upstream.reset()
    const raw = '{"model":"gpt-4o", "messages":[{"role":"user","content":"é ü — 漢字 😀 \\ud83d"}]}'
    const res = await post(lmlb.url, '/v1/chat/completions', new TextEncoder().encode(raw))
    expect(res.status).toBe(200)
    expect(upstream.received[0].raw).toBe(raw)
  })
})
