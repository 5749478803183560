/**
 * The flow of one API call (proxy/handle.ts) as its client sees it, in
 * process through createApp: passed through, translated, answered by the
 * mock, refused for its model or its client key's budget, a token count
 * estimated locally, and the request's log line written once.
 */
import { afterAll, beforeEach, expect, test } from 'bun:test'
import { createApp } from '../../src/app'
import { loadConfig, type LoadInput } from '../../src/config/load'
import { createLogger } from '../../src/observability/log'
import { createRuntime } from '../../src/state/runtime'
import { startUpstream } from '../helpers/upstream'

const up = startUpstream('up')
afterAll(() => up.stop())
beforeEach(() => up.reset())

const ENV = {
  OPENAI_API_KEYS: 'sk-openai-handle-test-key',
  ANTHROPIC_API_KEYS: 'sk-ant-handle-test-key',
  SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base], anthropic: [up.base] }),
}

function appFor(input: Partial<LoadInput> = {}) {
  const loaded = loadConfig({ env: ENV, ...input })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  const lines: string[] = []
  const logger = createLogger('info', '', (line) => lines.push(line))
  const app = createApp(createRuntime({ config: loaded.config, logger, read: () => loaded }))
  return { app, lines }
}

function post(path: string, body: string, headers: Record<string, string> = {}) {
  const h = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers }
  return new Request(`http://localhost${path}`, { method: 'POST', headers: h, body })
}

const chat = (model: string, more = {}) => JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...more })
const messages = (model: string, more = {}) =>
  JSON.stringify({ model, max_tokens: 32, messages: [{ role: 'user', content: 'hi' }], ...more })

const { app, lines } = appFor()

test('same API: the body reaches the upstream byte for byte and its answer comes back as it came', async () => {
  // Odd spacing and key order: a re-serialised body would lose both.
  const body = '{ "messages":[{"role":"user","content":"hi"}],  "model":"gpt-4.1" }'
  const response = await app.fetch(post('/v1/chat/completions', body))
  expect(response.status).toBe(200)
  expect((await response.json()).choices[0].message.content).toBe('reply from up')
  expect(up.received.map((r) => [r.path, r.raw])).toEqual([['/v1/chat/completions', body]])
})

test('a Messages client on a Chat-only route: sent as Chat Completions, answered in the Messages shape', async () => {
  const response = await app.fetch(post('/v1/messages', messages('openai/gpt-4.1')))
  expect(response.status).toBe(200)
  const answer = await response.json()
  expect(answer.type).toBe('message')
  expect(answer.content).toEqual([{ type: 'text', text: 'reply from up' }])
  expect(up.received).toHaveLength(1)
  expect(up.received[0].path).toBe('/v1/chat/completions')
  expect(up.received[0].body.model).toBe('gpt-4.1')
  expect(up.received[0].body.messages.at(-1)).toMatchObject({ role: 'user' })
})

test('the mock service answers locally, in the client’s API, and nothing goes upstream', async () => {
  const asChat = await app.fetch(post('/v1/chat/completions', chat('mock/echo')))
  expect(asChat.status).toBe(200)
  expect((await asChat.json()).object).toBe('chat.completion')
  const asMessages = await app.fetch(post('/v1/messages', messages('mock/echo')))
  expect(asMessages.status).toBe(200)
  expect((await asMessages.json()).type).toBe('message')
  expect(up.received).toHaveLength(0)
})

test('a model no service serves: 404 model_not_found in the client’s shape, nothing upstream', async () => {
  const asChat = await app.fetch(post('/v1/chat/completions', chat('no-such-model')))
  expect(asChat.status).toBe(404)
  const error = (await asChat.json()).error
  expect(error.code).toBe('model_not_found')
  expect(error.message).toContain('"no-such-model"')
  const asMessages = await app.fetch(post('/v1/messages', messages('no-such-model')))
  expect(asMessages.status).toBe(404)
  expect(await asMessages.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } })
  expect(up.received).toHaveLength(0)
})

test('a client key with rpm 1: its first call is admitted, its second refused with 429 before the upstream; another key is not limited', async () => {
  const file = {
    path: 'lmlb.yaml',
    text: JSON.stringify({ proxy_api_keys: [{ value: 'client-key-limited-1', rpm: 1 }, 'client-key-free-22'] }),
  }
  const limited = appFor({ file }).app
  const as = (key: string) => ({ authorization: `Bearer ${key}` })
  expect((await limited.fetch(post('/v1/chat/completions', chat('gpt-4.1'), as('client-key-limited-1')))).status).toBe(200)
  const refused = await limited.fetch(post('/v1/chat/completions', chat('gpt-4.1'), as('client-key-limited-1')))
  expect(refused.status).toBe(429)
  expect(refused.headers.get('retry-after')).toMatch(/^\d+$/)
  expect(refused.headers.get('x-ratelimit-limit-requests')).toBe('1')
  expect(up.received).toHaveLength(1)
  expect((await limited.fetch(post('/v1/chat/completions', chat('gpt-4.1'), as('client-key-free-22')))).status).toBe(200)
  expect(up.received).toHaveLength(2)
})

test('count_tokens on a route to an OpenAI-format service: estimated by lmlb, nothing upstream', async () => {
  const body = messages('openai/gpt-4.1', { messages: [{ role: 'user', content: 'How many tokens is this sentence, roughly?' }] })
  const response = await app.fetch(post('/v1/messages/count_tokens', body))
  expect(response.status).toBe(200)
  const { input_tokens } = await response.json()
  expect(input_tokens).toBeGreaterThan(0)
  expect(input_tokens).toBeLessThan(100)
  expect(up.received).toHaveLength(0)
})

test('count_tokens on an Anthropic route goes to the upstream, which counts', async () => {
  const response = await app.fetch(post('/v1/messages/count_tokens', messages('anthropic/claude-sonnet-4-5')))
  expect(await response.json()).toEqual({ input_tokens: 7 })
  expect(up.received.map((r) => r.path)).toEqual(['/v1/messages/count_tokens'])
})

test('one log line per request, naming the model asked for and the deployment that served it, streamed or not', async () => {
  for (const stream of [false, true]) {
    const id = `handle-log-${stream}`
    const response = await app.fetch(post('/v1/messages', messages('openai/gpt-4.1', { stream }), { 'x-request-id': id }))
    expect(response.status).toBe(200)
    expect(response.headers.get('x-request-id')).toBe(id)
    await response.text() // a stream's line is written at its end
    const mine = lines.filter((l) => l.includes(id))
    expect(mine).toHaveLength(1)
    expect(mine[0]).toContain('openai/gpt-4.1 → openai/gpt-4.1 200')
    expect(mine[0].includes(' stream')).toBe(stream)
  }
})
