/**
 * Google's Gemini API in process (the app's fetch, no port of its own), on
 * a Gemini-format service of one key and an OpenAI-format one, both
 * stand-ins that record what they get. The forms of a model method's path
 * (under /v1beta/ and /v1/, without `models/`, streamed), the client's key
 * in `?key=` or `x-goog-api-key` taken as a proxy key and never sent on,
 * lmlb's refusals of a wrong key, a malformed body and an unknown method in
 * Google's shape, and the account-bound endpoints over several keys or with
 * no Gemini-format service at all.
 */
import { afterAll, beforeEach, expect, test } from 'bun:test'
import { createApp } from '../../src/app'
import { loadConfig } from '../../src/config/load'
import { createLogger } from '../../src/observability/log'
import { createRuntime } from '../../src/state/runtime'
import { startUpstream, type Received } from '../helpers/upstream'

const GEMINI_KEY = 'gem-in-process-key-0001'
const PROXY_KEY = 'proxy-key-for-gemini-in-process'
const HI = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }

/** As Google answers: one candidate, whole or as one `data:` event. */
function googleReply({ path }: Received): Response {
  const answer = { candidates: [{ content: { role: 'model', parts: [{ text: 'from google' }] }, finishReason: 'STOP', index: 0 }] }
  if (path.endsWith(':streamGenerateContent'))
    return new Response(`data: ${JSON.stringify(answer)}\r\n\r\n`, { headers: { 'content-type': 'text/event-stream' } })
  return Response.json(answer)
}

const gem = startUpstream('gem', googleReply)
const oai = startUpstream('oai')
afterAll(() => Promise.all([gem.stop(), oai.stop()]))
beforeEach(() => {
  gem.reset()
  oai.reset()
})

const geminiService = `services:\n  gemini:\n    format: gemini\n    endpoints: [${gem.base.replace(/\/v1$/, '/v1beta')}]\n`

function appWith(env: Record<string, string>, yaml = geminiService) {
  const loaded = loadConfig({
    env: { OPENAI_API_KEY: 'sk-gemini-in-process-openai', SERVICE_ENDPOINTS: JSON.stringify({ openai: [oai.base] }), ...env },
    file: { path: 'lmlb.yaml', text: yaml },
  })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  return createApp(createRuntime({ config: loaded.config, logger: createLogger('error', '', () => {}), read: () => loaded }))
}

const app = appWith({ GEMINI_API_KEYS: GEMINI_KEY })
const guarded = appWith({ GEMINI_API_KEYS: GEMINI_KEY, PROXY_API_KEYS: PROXY_KEY })

function post(path: string, body: object | string = HI, headers: Record<string, string> = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body)
  const h = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers }
  return new Request(`http://localhost${path}`, { method: 'POST', headers: h, body: text })
}

/** Status and Google's error object, which is all a Google client reads of a refusal. */
async function refusalOf(response: Response) {
  const body = await response.json()
  return { status: response.status, keys: Object.keys(body), error: body.error }
}

test('a model method under /v1beta/, under /v1/ and without models/: the same call upstream, the body as it came', async () => {
  for (const path of [
    '/v1beta/models/gemini-2.5-flash:generateContent',
    '/v1/models/gemini-2.5-flash:generateContent',
    '/v1beta/gemini/gemini-2.5-flash:generateContent',
    '/v1beta/models/gemini%2Fgemini-2.5-flash:generateContent',
  ]) {
    const response = await app.fetch(post(path))
    expect([path, response.status]).toEqual([path, 200])
    expect((await response.json()).candidates[0].content.parts[0].text).toBe('from google')
  }
  expect(gem.received.map((r) => `${r.method} ${r.path}${r.search}`)).toEqual(
    Array(4).fill('POST /v1beta/models/gemini-2.5-flash:generateContent'),
  )
  for (const r of gem.received) {
    expect(r.raw).toBe(JSON.stringify(HI))
    expect(r.headers['x-goog-api-key']).toBe(GEMINI_KEY)
  }
  expect(oai.received).toEqual([])
})

test("the AI SDK's path for a model with a slash (/v1beta/openai/gpt-4o): the openai service's Chat call, answered as Gemini", async () => {
  const response = await app.fetch(post('/v1beta/openai/gpt-4o:generateContent'))
  expect(response.status).toBe(200)
  const answer = await response.json()
  expect(answer.candidates[0].content.parts).toEqual([{ text: 'reply from oai' }])
  expect(answer.candidates[0].finishReason).toBe('STOP')
  expect(oai.received.map((r) => [r.path, r.body.model])).toEqual([['/v1/chat/completions', 'gpt-4o']])
  expect(oai.received[0].body.messages).toEqual([{ role: 'user', content: 'hi' }])
  expect(gem.received).toEqual([])
})

test(':streamGenerateContent?alt=sse streams Google’s events to the client; upstream it is asked with alt=sse and nothing else', async () => {
  const response = await app.fetch(post('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse'))
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toContain('text/event-stream')
  const text = await response.text()
  expect(text).toStartWith('data: {')
  expect(text).toContain('"text":"from google"')
  expect(gem.received.map((r) => `${r.path}${r.search}`)).toEqual(['/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse'])
})

test('with PROXY_API_KEYS: ?key= and x-goog-api-key both let a call through; the client’s key never reaches the upstream', async () => {
  const byQuery = await guarded.fetch(post(`/v1beta/models/gemini-2.5-flash:generateContent?key=${PROXY_KEY}`))
  expect(byQuery.status).toBe(200)
  const streamed = await guarded.fetch(post(`/v1/models/gemini-2.5-flash:streamGenerateContent?key=${PROXY_KEY}&alt=sse`))
  expect(streamed.status).toBe(200)
  await streamed.text()
  const byHeader = await guarded.fetch(post('/v1beta/models/gemini-2.5-flash:generateContent', HI, { 'x-goog-api-key': PROXY_KEY }))
  expect(byHeader.status).toBe(200)
  expect(gem.received.map((r) => r.search)).toEqual(['', '?alt=sse', ''])
  for (const r of gem.received) {
    expect(r.headers['x-goog-api-key']).toBe(GEMINI_KEY)
    expect(JSON.stringify(r)).not.toContain(PROXY_KEY)
  }
})

test("a missing or wrong proxy key: 401 in Google's shape, nothing upstream; ?key= is no key for the other APIs", async () => {
  const unauthenticated = { status: 401, keys: ['error'], error: { code: 401, status: 'UNAUTHENTICATED', message: expect.any(String) } }
  const path = '/v1beta/models/gemini-2.5-flash:generateContent'
  expect(await refusalOf(await guarded.fetch(post(path)))).toEqual(unauthenticated)
  expect(await refusalOf(await guarded.fetch(post(`${path}?key=not-the-key`)))).toEqual(unauthenticated)
  expect(await refusalOf(await guarded.fetch(post(path, HI, { 'x-goog-api-key': 'not-the-key' })))).toEqual(unauthenticated)
  // A key in the header is the one presented: a right one in the query does not make up for it.
  expect(await refusalOf(await guarded.fetch(post(`${path}?key=${PROXY_KEY}`, HI, { 'x-goog-api-key': 'not-the-key' })))).toEqual(
    unauthenticated,
  )
  expect(gem.received).toEqual([])
  const chat = { model: 'openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] }
  const asChat = await guarded.fetch(post(`/v1/chat/completions?key=${PROXY_KEY}`, chat))
  expect(asChat.status).toBe(401)
  expect((await asChat.json()).error).toMatchObject({ type: 'authentication_error', code: 'invalid_proxy_key' })
  expect(oai.received).toEqual([])
})

test("bad input in Google's shape: malformed JSON and an empty contents are 400, an unknown method 404; nothing upstream", async () => {
  const invalid = { status: 400, keys: ['error'], error: { code: 400, status: 'INVALID_ARGUMENT', message: expect.any(String) } }
  expect(await refusalOf(await app.fetch(post('/v1beta/models/gemini-2.5-flash:generateContent', '{"contents": [')))).toEqual(invalid)
  expect(await refusalOf(await app.fetch(post('/v1/models/gemini-2.5-flash:generateContent', { contents: [] })))).toEqual(invalid)
  const unknown = await refusalOf(await app.fetch(post('/v1beta/models/gemini-2.5-flash:fooBar')))
  expect(unknown).toEqual({ status: 404, keys: ['error'], error: { code: 404, status: 'NOT_FOUND', message: expect.any(String) } })
  expect(gem.received).toEqual([])
  expect(oai.received).toEqual([])
})

test("account-bound endpoints: 501 in Google's shape over a pool of two keys, and where no service speaks Gemini's API", async () => {
  const pooled = appWith({ GEMINI_API_KEYS: `${GEMINI_KEY},gem-in-process-key-0002` })
  const none = appWith({ GEMINI_API_KEYS: GEMINI_KEY }, 'services: {}\n')
  const call = (target: typeof app, method: string, path: string) =>
    target.fetch(new Request(`http://localhost${path}`, { method, headers: { 'content-type': 'application/json' } }))
  for (const [method, path] of [
    ['GET', '/v1beta/files?key=whatever'],
    ['POST', '/v1beta/models/gemini-2.5-flash:batchGenerateContent'],
  ]) {
    expect({ path, ...(await refusalOf(await call(pooled, method, path))) }).toEqual({
      path,
      status: 501,
      keys: ['error'],
      error: { code: 501, status: 'UNIMPLEMENTED', message: expect.stringContaining('spreads gemini requests over 2 keys') },
    })
    expect({ path, ...(await refusalOf(await call(none, method, path))) }).toEqual({
      path,
      status: 501,
      keys: ['error'],
      error: { code: 501, status: 'UNIMPLEMENTED', message: expect.stringContaining('no Gemini-format service') },
    })
  }
  expect(gem.received).toEqual([])
})
