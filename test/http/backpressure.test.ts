/**
 * Backpressure: a client that stops reading makes lmlb stop reading the
 * upstream. The upstream writes a fast SSE stream on a bare socket and
 * counts what the kernel accepted; the client reads the head and pauses.
 * What lmlb holds itself is what the upstream wrote, less what the client
 * read, less what sits in the kernel's socket queues (/proc/net/tcp).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'

const MiB = 1024 * 1024
const TOTAL = 64 * MiB

/** Bytes waiting in kernel socket queues (send and receive) on connections touching these ports. */
function kernelQueued(ports: number[]): number {
  let sum = 0
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = ''
    try {
      text = readFileSync(file, 'utf8')
    } catch {
      continue
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/)
      if (f.length < 5) continue
      const local = parseInt(f[1].split(':')[1], 16)
      const remote = parseInt(f[2].split(':')[1], 16)
      if (!ports.includes(local) && !ports.includes(remote)) continue
      const [tx, rx] = f[4].split(':').map((h) => parseInt(h, 16))
      sum += tx + rx
    }
  }
  return sum
}

/** An OpenAI-format upstream on a bare socket: a stream of ~16 KiB SSE chunks, as fast as the socket takes them. */
function fastUpstream() {
  const state = { written: 0, streams: 0 }
  const event = `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'x'.repeat(16 * 1024) }, finish_reason: null }] })}\n\n`
  const bytes = Buffer.from(event)
  const server: Server = createServer((socket: Socket) => {
    let head = ''
    socket.on('error', () => {})
    socket.on('data', (d) => {
      if (head.includes('\r\n\r\n')) return
      head += d.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      state.streams++
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n')
      let sent = 0
      const pump = () => {
        while (sent < TOTAL && !socket.destroyed) {
          sent += bytes.length
          state.written += bytes.length
          if (!socket.write(bytes)) return void socket.once('drain', pump)
        }
        if (!socket.destroyed) socket.end('data: [DONE]\n\n')
      }
      pump()
    })
  })
  return { state, server }
}

let up: ReturnType<typeof fastUpstream>
let upPort = 0
let lmlb: RunningLmlb

beforeAll(async () => {
  up = fastUpstream()
  await new Promise<void>((r) => up.server.listen(0, '127.0.0.1', r))
  upPort = (up.server.address() as { port: number }).port
  lmlb = await startLmlb({
    env: { OPENAI_API_KEYS: 'sk-backpressure-1111', SERVICE_ENDPOINTS: JSON.stringify({ openai: [`http://127.0.0.1:${upPort}/v1`] }) },
  })
})

afterAll(async () => {
  await lmlb.stop()
  up.server.close()
})

/** Sends one streaming request, reads the head and a little, then stops reading; resolves once the upstream's writes stop progressing. */
async function pausedReader(lmlbUrl: string, path: string, body: object, state: { written: number }, ports: number[]) {
  const json = JSON.stringify(body)
  const socket = connect(Number(new URL(lmlbUrl).port), '127.0.0.1')
  let read = 0
  let head = ''
  const started = state.written
  await new Promise<void>((resolve, reject) => {
    socket.on('error', reject)
    const onData = (d: Buffer) => {
      read += d.length
      if (head.length < 4096) head += d.toString('latin1')
      if (read > 64 * 1024) {
        socket.pause()
        socket.off('data', onData)
        resolve()
      }
    }
    socket.on('data', onData)
    socket.write(
      `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
    )
  })
  // Poll until the upstream's count stops growing (bounded: 30 s).
  let last = -1
  let still = 0
  for (let i = 0; i < 300 && still < 5; i++) {
    await new Promise((r) => setTimeout(r, 100))
    still = state.written === last ? still + 1 : 0
    last = state.written
  }
  const written = state.written - started
  const queued = kernelQueued(ports)
  socket.destroy()
  return { status: Number(head.slice(9, 12)), head, written, read, queued, heldByLmlb: written - read - queued }
}

for (const [name, path, body] of [
  [
    'passthrough: OpenAI client, OpenAI upstream',
    '/v1/chat/completions',
    { model: 'gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] },
  ],
  [
    'translated: Anthropic client (/v1/messages), OpenAI upstream',
    '/v1/messages',
    { model: 'gpt-4o-mini', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] },
  ],
] as const) {
  test(`a paused reader stalls the upstream: ${name}`, async () => {
    const r = await pausedReader(lmlb.url, path, body, up.state, [upPort, Number(new URL(lmlb.url).port)])
    expect(r.status).toBe(200)
    console.log(
      `${name}: upstream wrote ${(r.written / MiB).toFixed(1)} MiB while paused, client read ${(r.read / MiB).toFixed(2)} MiB, kernel queues ${(r.queued / MiB).toFixed(1)} MiB, held by lmlb ${(r.heldByLmlb / MiB).toFixed(1)} MiB`,
    )
    // The stream is 64 MiB: it stalled long before its end, with little held by lmlb itself.
    expect(r.written).toBeLessThan(TOTAL / 2)
    expect(r.heldByLmlb).toBeLessThan(6 * MiB)
  }, 40_000)
}
