/**
 * Fallback chains (proxy/fallbacks.ts), over HTTP: a model that cannot be
 * served falls back, before the client has a byte, to the next model of its
 * `fallbacks`, in any format; the client sees the answer and a header
 * naming what served it; what the client caused is never tried elsewhere.
 */
import { afterEach, beforeEach, expect, test } from 'bun:test'
import { openaiStreamEvents, pacedStream } from '../helpers/canned'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { chat, messages } from '../helpers/requests'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

let a: FakeUpstream
let b: FakeUpstream
let c: FakeUpstream
let claude: FakeUpstream
let lmlb: RunningLmlb
const status = (code: number) => () => Response.json({ error: { message: `status ${code}`, type: 'x', code: null } }, { status: code })

// Each test starts from a fresh lmlb, every target healthy (also as a process: the binary, Deno).
beforeEach(async () => {
  ;[a, b, c] = ['a', 'b', 'c'].map((name) => startUpstream(name))
  claude = startUpstream('claude')
  const yaml = `
services:
  a: { endpoints: ["${a.base}"], keys: [sk-fallback-a-000001] }
  b: { endpoints: ["${b.base}"], keys: [sk-fallback-b-000001] }
  c: { endpoints: ["${c.base}"], keys: [sk-fallback-c-000001] }
  claude: { format: anthropic, endpoints: ["${claude.base}"], keys: [sk-fallback-claude-01] }
fallbacks:
  a/model-a: [b/model-b]
  a/three: [b/three, c/three]
  claude/claude-x: [b/gpt-5]
`
  lmlb = await startLmlb({ args: ['--config', 'lmlb.yaml'], files: { 'lmlb.yaml': yaml }, env: { LMLB_MAX_ATTEMPTS: '2' } })
})
afterEach(async () => {
  await lmlb.stop()
  await Promise.all([a, b, c, claude].map((u) => u.stop()))
})

test('A answering 500 (after its own retries): B serves, the header names it, the log says so, /stats counts it', async () => {
  a.handle(status(500))
  const res = await chat(lmlb.url, 'a/model-a')
  expect(res.status).toBe(200)
  expect(res.headers.get('x-lmlb-served-model')).toBe('b/model-b')
  expect((await res.json()).choices[0].message.content).toBe('reply from b')
  expect(a.received).toHaveLength(1) // its one endpoint cooled: nothing left to try there
  expect(b.received.map((r) => r.body.model)).toEqual(['model-b'])
  expect(lmlb.log()).toContain('a/model-a answered 500: falling back to b/model-b')
  const stats = await (await fetch(`${lmlb.url}/stats`)).json()
  expect(stats.requests.fallbacks).toEqual({ 'a/model-a → b/model-b': 1 })
})

test('every target of A cooling: B serves at once, A not tried', async () => {
  a.handle(status(503))
  await chat(lmlb.url, 'a/model-a') // A cools (its endpoint answered 503 twice)
  a.reset()
  const res = await chat(lmlb.url, 'a/model-a')
  expect([res.status, res.headers.get('x-lmlb-served-model')]).toEqual([200, 'b/model-b'])
  expect(a.received).toHaveLength(0)
  expect(lmlb.log()).toContain('a/model-a could not be served (503 all_targets_cooling): falling back to b/model-b')
})

test('a chain of three, the first two down: the third serves', async () => {
  a.handle(status(502))
  b.handle(status(429))
  const res = await chat(lmlb.url, 'a/three')
  expect([res.status, res.headers.get('x-lmlb-served-model')]).toEqual([200, 'c/three'])
  expect([a.received.length > 0, b.received.length > 0, c.received.length]).toEqual([true, true, 1])
})

test('what the client caused is its own: a 400 from A comes back as it came, B is never tried', async () => {
  a.handle(status(400))
  const res = await chat(lmlb.url, 'a/model-a')
  expect(res.status).toBe(400)
  expect(res.headers.get('x-lmlb-served-model')).toBe('a/model-a')
  expect(b.received).toHaveLength(0)
})

test('a stream that broke after its first byte: the client sees the failure, B is never tried', async () => {
  const events = openaiStreamEvents('model-a', ['Hel', 'lo'])
  let holdsOne!: () => void
  const arrived = new Promise<void>((r) => (holdsOne = r))
  a.handle(() =>
    pacedStream(events, async (i) => {
      if (i < 1) return
      await arrived
      throw new Error('cut')
    }),
  )
  const res = await chat(lmlb.url, 'a/model-a', { stream: true })
  expect(res.status).toBe(200)
  let text = ''
  for await (const piece of res.body!.pipeThrough(new TextDecoderStream()) as unknown as AsyncIterable<string>) {
    text += piece
    holdsOne()
  }
  expect(text).toContain('upstream_stream_error')
  expect(b.received).toHaveLength(0)
})

test('an Anthropic client on a chain that ends on an OpenAI-format model: translated, as any request to it would be', async () => {
  claude.handle(() => Response.json({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, { status: 529 }))
  const res = await messages(lmlb.url, { model: 'claude/claude-x', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] })
  expect([res.status, res.headers.get('x-lmlb-served-model')]).toEqual([200, 'b/gpt-5'])
  const body = await res.json()
  expect(body).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'reply from b' }] })
  // B got an OpenAI Chat Completions request.
  expect(b.received[0].path).toBe('/v1/chat/completions')
  expect(b.received[0].body.model).toBe('gpt-5')
})

test('a model with no fallbacks: its failure as it came, and the header names what answered', async () => {
  c.handle(status(503))
  const res = await chat(lmlb.url, 'c/alone')
  expect(res.status).toBe(503)
  expect(res.headers.get('x-lmlb-served-model')).toBe('c/alone')
})
