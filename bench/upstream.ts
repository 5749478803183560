/**
 * A fast stand-in for OpenAI, Anthropic and Gemini on 127.0.0.1, for the benchmark:
 * small answers, or 50-chunk streams. Unpaced, a stream's 51 events go as one
 * precomputed body in one write (as the mock behind ../shared/HOTPATH.md sent
 * them): the stand-in shares the load core with wrk and must not be what
 * limits the rate. Paced (CHUNK_DELAY_MS), one event per delay, to time the
 * first event. `POST /bench/pace/MS` sets the pace of the streams that start
 * from then on, so the process under test can be warmed by the same stream
 * unpaced and then timed paced.
 * Usage: bun bench/upstream.ts PORT [CHUNK_DELAY_MS]
 */
import { anthropicChunks, completion, geminiAnswer, geminiChunks, message, openaiChunks } from './answers'

const port = Number(process.argv[2] ?? 0)
let delay = Number(process.argv[3] ?? 0)

// Whole responses, built once: the stand-in answers on a raw socket (Bun.listen), not Bun.serve, whose Request and
// Response cost ~21 µs a stream on the load core it shares with wrk (11 µs this way), where the proxies spend ~45.
const CRLF = Buffer.from('\r\n')
const head = (type: string, framing: string) => Buffer.from(`HTTP/1.1 200 OK\r\ncontent-type: ${type}\r\n${framing}\r\n`)
const sized = (type: string, text: string) => {
  const body = Buffer.from(text)
  return Buffer.concat([head(type, `content-length: ${body.length}\r\n`), body])
}
const chunk = (bytes: Uint8Array) => Buffer.concat([Buffer.from(bytes.length.toString(16)), CRLF, bytes, CRLF])
const STREAM_HEAD = head('text/event-stream', 'transfer-encoding: chunked\r\n')
const STREAM_END = Buffer.from('0\r\n\r\n')
// Unpaced, the 51 events are one chunk (SSE upstreams frame chunked) in one write with the head and the end.
const unpaced = (events: Uint8Array[]) => Buffer.concat([STREAM_HEAD, chunk(Buffer.concat(events)), STREAM_END])
const answers = {
  openai: { json: sized('application/json', completion), stream: unpaced(openaiChunks), events: openaiChunks.map(chunk) },
  anthropic: { json: sized('application/json', message), stream: unpaced(anthropicChunks), events: anthropicChunks.map(chunk) },
  gemini: { json: sized('application/json', geminiAnswer), stream: unpaced(geminiChunks), events: geminiChunks.map(chunk) },
}
const NO_CONTENT = Buffer.from('HTTP/1.1 204 No Content\r\n\r\n')
const BAD_REQUEST = Buffer.from('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
const HEAD_END = Buffer.from('\r\n\r\n')

interface Connection {
  input?: Buffer
  /** Bytes the socket did not take yet, sent on drain. */
  unsent: Uint8Array[]
  /** A paced stream in progress: the next request waits for its end. */
  timer?: ReturnType<typeof setInterval>
  closeAfter: boolean
}
type Sock = Bun.Socket<Connection>

function send(socket: Sock, bytes: Uint8Array) {
  const c = socket.data
  if (c.unsent.length > 0) return void c.unsent.push(bytes)
  const n = socket.write(bytes)
  if (n < bytes.length) c.unsent.push(bytes.subarray(Math.max(n, 0)))
}

function ended(socket: Sock) {
  if (socket.data.closeAfter) socket.end()
  else serve(socket)
}

/** Only `"stream":true` as the bench's bodies spell it is looked for; anything else that names `stream` is parsed. */
function wantsStream(body: Buffer): boolean {
  if (body.indexOf('"stream":true') >= 0) return true
  if (body.indexOf('"stream"') < 0 || body.indexOf('"stream":false') >= 0) return false
  try {
    return JSON.parse(body.toString()).stream === true
  } catch {
    return false
  }
}

/** Answers each whole request in the input, in order (HTTP/1.1 keep-alive); requests with sized bodies only. */
function serve(socket: Sock) {
  const c = socket.data
  while (c.input && c.timer === undefined) {
    const input: Buffer = c.input
    const end = input.indexOf(HEAD_END)
    if (end < 0) return
    const lines = input.toString('latin1', 0, end)
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(lines)?.[1] ?? 0)
    if (/\r\ntransfer-encoding:/i.test(lines)) {
      c.input = undefined
      send(socket, BAD_REQUEST)
      return void socket.end()
    }
    if (input.length < end + 4 + length) return
    const body = input.subarray(end + 4, end + 4 + length)
    c.input = input.length > end + 4 + length ? input.subarray(end + 4 + length) : undefined
    c.closeAfter = /\r\nconnection: *close/i.test(lines)
    const path = lines.slice(lines.indexOf(' ') + 1, lines.indexOf(' ', lines.indexOf(' ') + 1)).split('?')[0]
    if (path.startsWith('/bench/pace/')) {
      const ms = Number(path.slice('/bench/pace/'.length))
      if (Number.isFinite(ms) && ms >= 0) delay = ms
      send(socket, Number.isFinite(ms) && ms >= 0 ? NO_CONTENT : BAD_REQUEST)
      if (c.closeAfter) return void socket.end()
      continue
    }
    // Gemini's method says whether it streams; the others' bodies do.
    const gemini = path.includes(':') ? path.slice(path.lastIndexOf(':') + 1) : undefined
    const answer = gemini ? answers.gemini : path.endsWith('/messages') ? answers.anthropic : answers.openai
    if (gemini ? gemini !== 'streamGenerateContent' : !wantsStream(body)) send(socket, answer.json)
    else if (delay === 0) send(socket, answer.stream)
    else {
      // Paced: the head and the first event now, then one event per delay, then the end.
      send(socket, Buffer.concat([STREAM_HEAD, answer.events[0]]))
      let i = 1
      c.timer = setInterval(() => {
        if (i < answer.events.length) return send(socket, answer.events[i++])
        clearInterval(c.timer)
        c.timer = undefined
        send(socket, STREAM_END)
        ended(socket)
      }, delay)
      return
    }
    if (c.closeAfter) return void socket.end()
  }
}

const server = Bun.listen<Connection>({
  hostname: '127.0.0.1',
  port,
  socket: {
    open(socket) {
      socket.data = { unsent: [], closeAfter: false }
    },
    data(socket, data) {
      const c = socket.data
      // Kept past this call only when a request is incomplete: then copied.
      c.input = c.input ? Buffer.concat([c.input, data]) : data
      serve(socket)
      if (c.input && c.input.buffer === data.buffer) c.input = Buffer.from(c.input)
    },
    drain(socket) {
      const c = socket.data
      while (c.unsent.length > 0) {
        const bytes = c.unsent[0]
        const n = socket.write(bytes)
        if (n < bytes.length) return void (c.unsent[0] = bytes.subarray(Math.max(n, 0)))
        c.unsent.shift()
      }
    },
    close(socket) {
      clearInterval(socket.data.timer)
    },
    error(socket) {
      clearInterval(socket.data.timer)
    },
  },
})
console.log(`upstream listening on ${server.port}`)

export {}
