/**
 * Google's Gemini API through lmlb to a Gemini-format key pool (issue 25,
 * points 1 and 2): the real `@google/genai` SDK (which calls `/v1/models/…`)
 * and raw calls under `/v1beta/`, against a stand-in that answers as Google
 * does. Keys rotate round-robin and go only as `x-goog-api-key`; the
 * client's key (a proxy key, as `x-goog-api-key` or `?key=`) never goes on,
 * nor into a log; usage is read from `usageMetadata`; lmlb's errors come in
 * Google's shape.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test'
import { GoogleGenAI } from '@google/genai'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { until } from '../helpers/redis'
import { startUpstream, type FakeUpstream, type Received } from '../helpers/upstream'

const KEYS = ['gem-key-aaaa1111', 'gem-key-bbbb2222', 'gem-key-cccc3333']
const PROXY_KEY = 'lmlb-proxy-key-gemini-0001'
const USAGE = { promptTokenCount: 12, candidatesTokenCount: 7, thoughtsTokenCount: 3, totalTokenCount: 22 }

/** Google's answer: one candidate saying `text`. */
const answer = (text: string, more: object = {}) => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
  modelVersion: 'gemini-2.5-flash',
  responseId: 'resp-1',
  ...more,
})

/** As Google streams: one GenerateContentResponse a `data:` line, events apart by CRLF CRLF, usage growing. */
function geminiStream(pieces: string[]): Response {
  const events = pieces.map((p, i) =>
    answer(p, i === pieces.length - 1 ? { usageMetadata: USAGE } : { usageMetadata: { promptTokenCount: 12, totalTokenCount: 12 } }),
  )
  return new Response(events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join(''), {
    headers: { 'content-type': 'text/event-stream' },
  })
}

function googleReply({ path, body }: Received): Response {
  if (path === '/v1beta/models') return Response.json({ models: [{ name: 'models/gemini-2.5-flash', displayName: 'Gemini 2.5 Flash' }] })
  const method = path.slice(path.lastIndexOf(':') + 1)
  if (method === 'generateContent') return Response.json(answer(`reply to ${body.contents.at(-1).parts[0].text}`, { usageMetadata: USAGE }))
  if (method === 'streamGenerateContent') return geminiStream(['Hel', 'lo', '!'])
  if (method === 'countTokens') return Response.json({ totalTokens: 5 })
  if (method === 'batchEmbedContents')
    return Response.json({ embeddings: body.requests.map((_: unknown, i: number) => ({ values: [i, 0.5] })) })
  return Response.json({ error: { code: 404, message: `no ${path}`, status: 'NOT_FOUND' } }, { status: 404 })
}

let gem: FakeUpstream
let oai: FakeUpstream
let lmlb: RunningLmlb

beforeAll(async () => {
  gem = startUpstream('gemini', googleReply)
  oai = startUpstream('openai')
  const yaml = `services:\n  gemini:\n    format: gemini\n    endpoints: [${gem.base.replace(/\/v1$/, '/v1beta')}]\n`
  lmlb = await startLmlb({
    args: ['--config', 'lmlb.yaml'],
    files: { 'lmlb.yaml': yaml },
    env: {
      GEMINI_API_KEYS: KEYS.join(','),
      OPENAI_API_KEYS: 'sk-openai-key-0001',
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [oai.base] }),
      PROXY_API_KEYS: PROXY_KEY,
      LOG_LEVEL: 'info',
    },
  })
})

afterAll(async () => {
  await lmlb.stop()
  await Promise.all([gem.stop(), oai.stop()])
})

beforeEach(() => {
  gem.reset()
  oai.reset()
})

const sdk = () => new GoogleGenAI({ apiKey: PROXY_KEY, httpOptions: { baseUrl: lmlb.url } })

test('@google/genai generateContent: round-robin over the pool, each key only as x-goog-api-key, the model from the path', async () => {
  const ai = sdk()
  const texts: (string | undefined)[] = []
  for (let i = 0; i < 6; i++) texts.push((await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: `hi ${i}` })).text)
  expect(texts).toEqual([0, 1, 2, 3, 4, 5].map((i) => `reply to hi ${i}`))
  expect(gem.received.map((r) => r.headers['x-goog-api-key'])).toEqual([...KEYS, ...KEYS])
  for (const r of gem.received) {
    expect([r.path, r.search]).toEqual(['/v1beta/models/gemini-2.5-flash:generateContent', ''])
    expect(r.headers['x-goog-api-client']).toContain('google-genai-sdk/')
    expect(JSON.stringify(r)).not.toContain(PROXY_KEY)
  }
  // The body went on as the SDK sent it: no model field added (Gemini refuses unknown fields).
  expect(gem.received[0].body).toEqual({ contents: [{ parts: [{ text: 'hi 0' }], role: 'user' }] })
})

test("@google/genai generateContentStream: Google's events passed through as they came, asked with alt=sse", async () => {
  const pieces: string[] = []
  for await (const chunk of await sdk().models.generateContentStream({ model: 'gemini-2.5-flash', contents: 'hi' }))
    pieces.push(chunk.text ?? '')
  expect(pieces).toEqual(['Hel', 'lo', '!'])
  expect([gem.received[0].path, gem.received[0].search]).toEqual(['/v1beta/models/gemini-2.5-flash:streamGenerateContent', '?alt=sse'])
})

test('@google/genai countTokens and embedContent pass through to the pool', async () => {
  const ai = sdk()
  expect((await ai.models.countTokens({ model: 'gemini-2.5-flash', contents: 'hi' })).totalTokens).toBe(5)
  const embedded = await ai.models.embedContent({ model: 'text-embedding-004', contents: ['a', 'b'] })
  expect(embedded.embeddings?.map((e) => e.values)).toEqual([
    [0, 0.5],
    [1, 0.5],
  ])
  expect(gem.received.map((r) => r.path)).toEqual([
    '/v1beta/models/gemini-2.5-flash:countTokens',
    '/v1beta/models/text-embedding-004:batchEmbedContents',
  ])
})

test("a client key in ?key= is a proxy key: taken, never sent upstream, never logged; a wrong one is a 401 in Google's shape", async () => {
  const body = JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })
  const call = (query: string) =>
    fetch(`${lmlb.url}/v1beta/models/gemini-2.5-flash:streamGenerateContent?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
  const ok = await call(`alt=sse&key=${PROXY_KEY}`)
  expect(ok.status).toBe(200)
  expect(await ok.text()).toContain('"text":"Hel"')
  expect(gem.received.map((r) => r.search)).toEqual(['?alt=sse'])
  const refused = await call('alt=sse&key=not-the-key')
  expect(refused.status).toBe(401)
  expect(((await refused.json()) as any).error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' })
  expect(lmlb.log()).not.toContain(PROXY_KEY)
  expect(lmlb.log()).toContain('/v1beta/models/gemini-2.5-flash:streamGenerateContent')
  for (const path of ['/stats', '/metrics', '/admin/requests']) {
    const text = await (await fetch(`${lmlb.url}${path}`, { headers: { 'x-goog-api-key': PROXY_KEY } })).text()
    expect([path, text.includes(PROXY_KEY)]).toEqual([path, false])
  }
})

test('usage is read from usageMetadata: prompt in, candidates and thoughts out, whole and streamed', async () => {
  const ai = sdk()
  await ai.models.generateContent({ model: 'gemini-2.5-pro', contents: 'count me' })
  for await (const _ of await ai.models.generateContentStream({ model: 'gemini-2.5-pro', contents: 'and me' })) {
  }
  const stats = (await (await fetch(`${lmlb.url}/stats`, { headers: { 'x-goog-api-key': PROXY_KEY } })).json()) as any
  const spent = (stats.requests.spend as any[]).find((s) => s.service === 'gemini' && s.model === 'gemini-2.5-pro')
  expect(spent).toMatchObject({ requests: 2, input_tokens: 24, output_tokens: 20 })
})

test("lmlb's own errors in Google's shape: a body without contents, an unknown service", async () => {
  const post = async (path: string, body: object) => {
    const res = await fetch(`${lmlb.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-goog-api-key': PROXY_KEY },
      body: JSON.stringify(body),
    })
    return { status: res.status, error: ((await res.json()) as any).error }
  }
  const hi = { contents: [{ role: 'user', parts: [{ text: 'hi' }] }] }
  expect(await post('/v1beta/models/gemini-2.5-flash:generateContent', { prompt: 'hi' })).toMatchObject({
    status: 400,
    error: { code: 400, status: 'INVALID_ARGUMENT', message: expect.stringContaining('contents') },
  })
  expect(await post('/v1beta/models/nosuch%2Fmodel:generateContent', hi)).toMatchObject({
    status: 404,
    error: { code: 404, status: 'NOT_FOUND' },
  })
  // The mock embeds nothing.
  expect(await post('/v1/models/mock%2Fecho:embedContent', { content: hi.contents[0] })).toMatchObject({
    status: 400,
    error: { code: 400, status: 'INVALID_ARGUMENT', message: expect.stringContaining('not :embedContent') },
  })
  expect(oai.received).toEqual([])
})

test("a 429 RESOURCE_EXHAUSTED: the key cools for the body's retryDelay (Gemini sends no Retry-After), the next key serves", async () => {
  const exhausted = {
    error: {
      code: 429,
      message: 'You exceeded your current quota.',
      status: 'RESOURCE_EXHAUSTED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '40s' }],
    },
  }
  gem.handle((r) => (r.headers['x-goog-api-key'] === KEYS[0] ? Response.json(exhausted, { status: 429 }) : googleReply(r)))
  const ai = sdk()
  for (let i = 0; i < 3; i++)
    expect((await ai.models.generateContent({ model: 'gemini-2.5-flash', contents: 'hi' })).text).toBe('reply to hi')
  // The first key once, wherever the turn stood; then only the others while it cools.
  const keys = gem.received.map((r) => r.headers['x-goog-api-key'])
  expect([keys.length, keys.filter((k) => k === KEYS[0]).length]).toEqual([4, 1])
  const stats = (await (await fetch(`${lmlb.url}/stats`, { headers: { 'x-goog-api-key': PROXY_KEY } })).json()) as any
  const first = stats.load_balancer_stats.gemini.keys.find((k: any) => k.health.state === 'cooling')
  expect(first.health.cooldown_remaining_ms).toBeGreaterThan(35_000)
  expect(first.health.cooldown_remaining_ms).toBeLessThanOrEqual(40_000)
})

test("@google/genai models.list and models.get: what lmlb serves in Google's shape, the Gemini pool's own list among it", async () => {
  const ai = sdk()
  const names = async () => {
    const all: string[] = []
    for await (const m of await ai.models.list()) all.push(m.name!)
    return all
  }
  expect(await names()).toContain('models/mock/echo')
  // The pool's list is fetched in the background, with a pool key, in Google's shape.
  await until(async () => gem.received.some((r) => r.path === '/v1beta/models'), 'the listing')
  const listing = gem.received.find((r) => r.path === '/v1beta/models')!
  expect([listing.search, KEYS.includes(listing.headers['x-goog-api-key'])]).toEqual(['?pageSize=1000', true])
  await until(async () => (await names()).includes('models/gemini/gemini-2.5-flash'), 'the listed model')
  const one = await ai.models.get({ model: 'gemini/gemini-2.5-flash' })
  expect(one).toMatchObject({ name: 'models/gemini/gemini-2.5-flash', displayName: 'Gemini 2.5 Flash' })
  const raw = await fetch(`${lmlb.url}/v1beta/models?pageSize=1`, { headers: { 'x-goog-api-key': PROXY_KEY } })
  const page = (await raw.json()) as any
  expect([page.models.length, page.nextPageToken]).toEqual([1, '1'])
})

test("Gemini's account-bound endpoints (files, cached contents, batches) over a pool of three keys: a 501 in Google's shape", async () => {
  const call = async (method: string, path: string) => {
    const res = await fetch(`${lmlb.url}${path}`, { method, headers: { 'x-goog-api-key': PROXY_KEY, 'content-type': 'application/json' } })
    return { status: res.status, error: ((await res.json()) as any).error }
  }
  for (const [method, path] of [
    ['GET', '/v1beta/files'],
    ['POST', '/v1beta/cachedContents'],
    ['GET', '/v1/files/abc'],
    ['POST', '/v1beta/models/gemini-2.5-flash:batchGenerateContent'],
    ['POST', '/upload/v1beta/files'],
  ])
    expect({ path, ...(await call(method, path)) }).toMatchObject({
      path,
      status: 501,
      error: { code: 501, status: 'UNIMPLEMENTED', message: expect.stringContaining('spreads gemini requests over 3 keys') },
    })
  expect(gem.received).toEqual([])
})

test('the built-in mock answers a Gemini client, whole and streamed, with no key upstream at all', async () => {
  const ai = sdk()
  const whole = await ai.models.generateContent({ model: 'mock/echo', contents: 'hello mock' })
  expect(whole.text).toContain('hello mock')
  let streamed = ''
  for await (const chunk of await ai.models.generateContentStream({ model: 'mock/echo', contents: 'hello again' }))
    streamed += chunk.text ?? ''
  expect(streamed).toContain('hello again')
  expect(gem.received).toEqual([])
})
