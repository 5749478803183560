/**
 * The edge (http/edge.ts), in process: what every request meets before the
 * flow or lmlb's own routes. A target that is not a path, a request that
 * came back through this instance, a missing proxy key, the request id,
 * and paths under /v1/ that are an endpoint (a trailing slash too) or not.
 */
import { afterAll, beforeEach, expect, test } from 'bun:test'
import { createApp } from '../../src/app'
import { loadConfig } from '../../src/config/load'
import { edge } from '../../src/http/edge'
import { createLogger } from '../../src/observability/log'
import { createRuntime } from '../../src/state/runtime'
import { openaiCompletion } from '../helpers/canned'
import { startUpstream } from '../helpers/upstream'

const up = startUpstream('up')
afterAll(() => up.stop())
beforeEach(() => up.reset())

const PROXY_KEY = 'proxy-key-for-edge-tests'

function runtimeFor(env: Record<string, string> = {}) {
  const loaded = loadConfig({
    env: { OPENAI_API_KEY: 'sk-edge-openai', SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }), ...env },
  })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  return createRuntime({ config: loaded.config, logger: createLogger('error', '', () => {}), read: () => loaded })
}

const runtime = runtimeFor()
const app = createApp(runtime)

function post(path: string, body: object, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body)
  const h = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers }
  return new Request(`http://localhost${path}`, { method: 'POST', headers: h, body: text })
}
const chat = { model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }] }
const messages = { model: 'openai/gpt-4.1', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }

test('a target that is not a path (CONNECT host:port): 400 in the OpenAI shape with Connection: close, and lmlb’s routes never see it', async () => {
  const seen: string[] = []
  const handler = edge(runtime, (request) => (seen.push(request.url), new Response('own')))
  // Bun hands CONNECT over with the URL `host:port`, which no Request can be built with.
  for (const method of ['CONNECT', 'GET']) {
    const response = await handler({
      method,
      url: 'example.com:443',
      headers: new Headers(),
      signal: new AbortController().signal,
    } as Request)
    expect(response.status).toBe(400)
    expect(response.headers.get('connection')).toBe('close')
    expect((await response.json()).error).toMatchObject({ code: 'invalid_request_target', type: 'invalid_request_error' })
  }
  expect(seen).toEqual([])
})

test('paths outside /v1/ go to lmlb’s own routes; an API call under /v1/ goes to the flow', async () => {
  const seen: string[] = []
  const handler = edge(runtime, (request) => (seen.push(new URL(request.url).pathname), new Response('own')))
  expect(await (await handler(new Request('http://localhost/stats'))).text()).toBe('own')
  expect((await handler(post('/v1/chat/completions', chat))).status).toBe(200)
  expect(seen).toEqual(['/stats'])
  expect(up.received).toHaveLength(1)
})

test('a request carrying this instance’s own Via hop: 508 loop_detected in its API’s shape, nothing upstream', async () => {
  const via = { via: runtime.hop.header('1.1 some-other-proxy') }
  const asMessages = await app.fetch(post('/v1/messages', messages, via))
  expect(asMessages.status).toBe(508)
  expect(await asMessages.json()).toMatchObject({ type: 'error', error: { type: 'api_error' } })
  const asChat = await app.fetch(post('/v1/chat/completions', chat, via))
  expect(asChat.status).toBe(508)
  expect((await asChat.json()).error.code).toBe('loop_detected')
  expect(up.received).toHaveLength(0)
  // Another instance's hop is not ours.
  expect((await app.fetch(post('/v1/chat/completions', chat, { via: '1.1 lmlb-0123456789ab' }))).status).toBe(200)
})

test('with PROXY_API_KEYS: no key is 401 in the path’s API shape; /health stays open; the key lets a call through', async () => {
  const guarded = createApp(runtimeFor({ PROXY_API_KEYS: PROXY_KEY }))
  const asMessages = await guarded.fetch(post('/v1/messages', messages))
  expect(asMessages.status).toBe(401)
  expect(await asMessages.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } })
  const asChat = await guarded.fetch(post('/v1/chat/completions', chat, { 'x-api-key': 'not-the-key' }))
  expect(asChat.status).toBe(401)
  expect((await asChat.json()).error).toMatchObject({ type: 'authentication_error', code: 'invalid_proxy_key' })
  expect((await guarded.fetch(new Request('http://localhost/stats'))).status).toBe(401)
  expect((await guarded.fetch(new Request('http://localhost/health'))).status).toBe(200)
  expect(up.received).toHaveLength(0)
  expect((await guarded.fetch(post('/v1/chat/completions', chat, { authorization: `Bearer ${PROXY_KEY}` }))).status).toBe(200)
})

test('x-request-id: the client’s own kept when sane, a new one otherwise; the upstream’s kept as x-upstream-request-id', async () => {
  up.handle(({ body }) => {
    const answer = openaiCompletion(body.model, 'ok')
    answer.headers.set('x-request-id', 'req_upstream_42')
    return answer
  })
  const kept = await app.fetch(post('/v1/chat/completions', chat, { 'x-request-id': 'client-id-7' }))
  expect(kept.headers.get('x-request-id')).toBe('client-id-7')
  expect(kept.headers.get('x-upstream-request-id')).toBe('req_upstream_42')
  const given = new Set<string>()
  for (const insane of ['has a space', 'x'.repeat(129), 'tab\there']) {
    const replaced = (await app.fetch(post('/v1/chat/completions', chat, { 'x-request-id': insane }))).headers.get('x-request-id')!
    expect(replaced).toMatch(/^[\x21-\x7e]{1,128}$/)
    given.add(replaced)
  }
  // A new id each time, not a fixed stand-in.
  expect(given.size).toBe(3)
  // lmlb's own refusals are named too.
  const refused = await app.fetch(post('/v1/chat/completions', { messages: [] }, { 'x-request-id': 'client-id-8' }))
  expect([refused.status, refused.headers.get('x-request-id')]).toEqual([400, 'client-id-8'])
})

test('a trailing slash on an API path reaches its endpoint', async () => {
  const response = await app.fetch(post('/v1/chat/completions/', chat))
  expect(response.status).toBe(200)
  expect(up.received.map((r) => r.path)).toEqual(['/v1/chat/completions'])
})

test('an unknown path under /v1/ is 404 in the shape of the API it lies under', async () => {
  const underMessages = await app.fetch(post('/v1/messages/nothing-here', messages))
  expect(underMessages.status).toBe(404)
  expect(await underMessages.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } })
  const elsewhere = await app.fetch(new Request('http://localhost/v1/nothing-here'))
  expect(elsewhere.status).toBe(404)
  expect((await elsewhere.json()).error).toMatchObject({ code: 'not_found', message: 'GET /v1/nothing-here is not an lmlb endpoint' })
  // An endpoint's path with another method is not that endpoint.
  expect((await app.fetch(new Request('http://localhost/v1/chat/completions'))).status).toBe(404)
  expect(up.received).toHaveLength(0)
})
