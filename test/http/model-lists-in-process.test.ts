/**
 * lmlb's model listing routes, in process (createApp over createRuntime, no
 * listening socket): GET /v1/models in OpenAI's shape, in Anthropic's for a
 * request with anthropic-version (paged backwards by before_id), and in
 * Google's for a request with x-goog-api-key or x-goog-api-client. Then
 * GET /v1beta/models paged by pageSize and pageToken, out-of-range paging
 * values, GET /v1beta/models/{model} for known and unknown models, and the
 * proxy key these routes require when PROXY_API_KEYS is set. The models come
 * from the configuration only (no background refresh runs in process), so no
 * upstream is ever called.
 */
import { expect, test } from 'bun:test'
import { createApp } from '../../src/app'
import { loadConfig } from '../../src/config/load'
import { createLogger } from '../../src/observability/log'
import { createRuntime } from '../../src/state/runtime'

// Nothing listens on port 9: lmlb never calls an upstream to answer a model list.
const NOWHERE = 'http://127.0.0.1:9/v1'
const CONFIG =
  'services:\n' +
  `  openai: { endpoints: ["${NOWHERE}"], keys: [sk-model-lists-openai-0001], models: [gpt-4o, text-embedding-3-small] }\n` +
  `  groq: { endpoints: ["${NOWHERE}"], models: [llama-3] }\n` +
  // A built-in service with no key cannot be served: its allow-list is not listed.
  `  anthropic: { endpoints: ["${NOWHERE}"], models: [claude-unkeyed] }\n` +
  'aliases:\n  fast: [openai/gpt-4o]\n'

/** Everything the configuration above lets lmlb route, in the order every shape lists it. */
const ALL = [
  'mock/echo',
  'fast',
  'claude-sonnet-4-5',
  'claude-opus-4-1',
  'claude-haiku-4-5',
  'openai/gpt-4o',
  'openai/text-embedding-3-small',
  'groq/llama-3',
]
const GENERATE = ['generateContent', 'streamGenerateContent', 'countTokens']
const EMBED = ['embedContent', 'batchEmbedContents']

function appFor(env: Record<string, string> = {}) {
  const loaded = loadConfig({ env, file: { path: 'lmlb.yaml', text: CONFIG } })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  return createApp(createRuntime({ config: loaded.config, logger: createLogger('error', '', () => {}), read: () => loaded }))
}

const app = appFor()

async function get(path: string, headers: Record<string, string> = {}, on = app) {
  const response = await on.fetch(new Request(`http://localhost${path}`, { headers }))
  return { status: response.status, body: (await response.json()) as any }
}

const googleNames = (body: { models: { name: string }[] }) => body.models.map((m) => m.name.replace(/^models\//, ''))

test('GET /v1/models: every model once in OpenAI’s list shape, an unkeyed built-in service’s allow-list left out', async () => {
  const { status, body } = await get('/v1/models')
  expect(status).toBe(200)
  expect(body.object).toBe('list')
  expect(body.data.map((m: { id: string }) => m.id)).toEqual(ALL)
  for (const entry of body.data) expect(Object.keys(entry).sort()).toEqual(['created', 'id', 'object', 'owned_by'])
  expect(body.data.find((m: { id: string }) => m.id === 'openai/gpt-4o')).toEqual({
    id: 'openai/gpt-4o',
    object: 'model',
    created: 0,
    owned_by: 'openai',
  })
  expect(body.data.find((m: { id: string }) => m.id === 'fast')).toMatchObject({ object: 'model', owned_by: 'lmlb-alias' })
  expect(JSON.stringify(body)).not.toContain('claude-unkeyed')
})

test('GET /v1/models with anthropic-version: Anthropic’s shape, paged forwards by after_id and backwards by before_id', async () => {
  const anthropic = { 'anthropic-version': '2023-06-01' }
  const whole = await get('/v1/models', anthropic)
  expect(whole.status).toBe(200)
  expect(whole.body).toMatchObject({ has_more: false, first_id: ALL[0], last_id: ALL.at(-1) })
  expect(whole.body.data[0]).toEqual({ type: 'model', id: 'mock/echo', display_name: 'mock/echo', created_at: '1970-01-01T00:00:00.000Z' })
  // Walking forwards three at a time meets every model exactly once.
  const seen: string[] = []
  let after = ''
  for (let pages = 0; pages < 10; pages++) {
    const page = (await get(`/v1/models?limit=3${after}`, anthropic)).body
    seen.push(...page.data.map((m: { id: string }) => m.id))
    if (!page.has_more) break
    after = `&after_id=${encodeURIComponent(page.last_id)}`
  }
  expect(seen).toEqual(ALL)
  // before_id: the `limit` models just before it, and whether any lie before those.
  const before = (id: string, limit: number) => get(`/v1/models?limit=${limit}&before_id=${encodeURIComponent(id)}`, anthropic)
  expect((await before('openai/gpt-4o', 2)).body).toMatchObject({
    data: [{ id: 'claude-opus-4-1' }, { id: 'claude-haiku-4-5' }],
    has_more: true,
    first_id: 'claude-opus-4-1',
    last_id: 'claude-haiku-4-5',
  })
  const first = (await before('claude-opus-4-1', 3)).body
  expect([first.data.map((m: { id: string }) => m.id), first.has_more]).toEqual([ALL.slice(0, 3), false])
})

test('GET /v1/models from a Google client (x-goog-api-key or x-goog-api-client): Google’s shape, the same as /v1beta/models', async () => {
  const beta = await get('/v1beta/models')
  expect(beta.status).toBe(200)
  expect(googleNames(beta.body)).toEqual(ALL)
  expect(beta.body.nextPageToken).toBeUndefined()
  expect(beta.body.models.find((m: { name: string }) => m.name === 'models/openai/text-embedding-3-small')).toEqual({
    name: 'models/openai/text-embedding-3-small',
    displayName: 'openai/text-embedding-3-small',
    supportedGenerationMethods: EMBED,
  })
  expect(beta.body.models.find((m: { name: string }) => m.name === 'models/fast').supportedGenerationMethods).toEqual(GENERATE)
  const googleClients: Record<string, string>[] = [
    { 'x-goog-api-key': 'any-key' },
    { 'x-goog-api-client': 'google-genai-sdk/1.0.0 gl-node/22' },
  ]
  for (const header of googleClients) {
    const list = await get('/v1/models', header)
    expect(list.status).toBe(200)
    expect(list.body).toEqual(beta.body)
    expect(list.body.object).toBeUndefined()
  }
})

test('GET /v1beta/models paged by pageSize and pageToken: each model exactly once, the last page without nextPageToken', async () => {
  for (const size of [1, 3, 7]) {
    const names: string[] = []
    const tokens: string[] = []
    let token = ''
    for (let pages = 0; pages < 20; pages++) {
      const { status, body } = await get(`/v1beta/models?pageSize=${size}${token && `&pageToken=${token}`}`)
      expect(status).toBe(200)
      expect(body.models.length).toBeLessThanOrEqual(size)
      names.push(...googleNames(body))
      if (body.nextPageToken === undefined) break
      tokens.push(body.nextPageToken)
      token = encodeURIComponent(body.nextPageToken)
    }
    expect({ size, names }).toEqual({ size, names: ALL })
    expect(tokens).toHaveLength(Math.ceil(ALL.length / size) - 1)
  }
  // A page that ends exactly at the last model is the last page.
  const exact = await get(`/v1beta/models?pageSize=4&pageToken=4`)
  expect([googleNames(exact.body), exact.body.nextPageToken]).toEqual([ALL.slice(4), undefined])
})

test('out-of-range paging values: pageSize clamped to 1..1000 (0 or not a number: the default 50), a page past the end empty', async () => {
  const page = async (query: string) => {
    const { status, body } = await get(`/v1beta/models?${query}`)
    expect({ query, status }).toEqual({ query, status: 200 })
    return [googleNames(body), body.nextPageToken]
  }
  expect(await page('pageSize=-3')).toEqual([ALL.slice(0, 1), '1'])
  for (const query of ['pageSize=0', 'pageSize=lots', 'pageSize=', 'pageSize=5000']) expect(await page(query)).toEqual([ALL, undefined])
  expect(await page(`pageToken=${ALL.length}`)).toEqual([[], undefined])
  expect(await page('pageToken=999999999&pageSize=2')).toEqual([[], undefined])
  // A token lmlb never handed out (not an index) is taken as no token: the first page, not an error.
  for (const token of ['abc', '-2', '']) expect(await page(`pageSize=2&pageToken=${token}`)).toEqual([ALL.slice(0, 2), '2'])
})

test('a fractional pageSize pages by its whole part: every token handed out leads on, and the pages end', async () => {
  const names: string[] = []
  let [token, pages] = ['', 0]
  do {
    const res = await app.fetch(new Request(`http://localhost/v1beta/models?pageSize=2.5${token ? `&pageToken=${token}` : ''}`))
    const body = (await res.json()) as { models: { name: string }[]; nextPageToken?: string }
    names.push(...googleNames(body))
    token = body.nextPageToken ?? ''
    pages++
  } while (token && pages < 50)
  expect(names).toEqual(ALL)
  expect(pages).toBe(Math.ceil(ALL.length / 2))
})

test('GET /v1beta/models/{model}: a listed model, an alias, a bare upstream name and `models/`-prefixed names; else 404 in Google’s shape', async () => {
  expect(await get('/v1beta/models/openai/gpt-4o')).toEqual({
    status: 200,
    body: { name: 'models/openai/gpt-4o', displayName: 'openai/gpt-4o', supportedGenerationMethods: GENERATE },
  })
  expect(await get('/v1beta/models/openai%2Ftext-embedding-3-small')).toMatchObject({
    status: 200,
    body: { name: 'models/openai/text-embedding-3-small', supportedGenerationMethods: EMBED },
  })
  // A bare upstream name is found under the service it routes to, and keeps the name it was asked by.
  expect(await get('/v1beta/models/gpt-4o')).toMatchObject({ status: 200, body: { name: 'models/gpt-4o', displayName: 'openai/gpt-4o' } })
  expect(await get('/v1beta/models/models%2Ffast')).toMatchObject({ status: 200, body: { name: 'models/fast', displayName: 'fast' } })
  // The same entry under /v1/ for a Google client.
  expect(await get('/v1/models/fast', { 'x-goog-api-key': 'any-key' })).toMatchObject({ status: 200, body: { name: 'models/fast' } })
  for (const [path, headers] of [
    ['/v1beta/models/gemini-nope-1', {}],
    ['/v1beta/models/anthropic/claude-unkeyed', {}],
    ['/v1/models/gemini-nope-1', { 'x-goog-api-client': 'google-genai-sdk/1.0.0' }],
  ] as const) {
    const { status, body } = await get(path, headers)
    expect({ path, status }).toEqual({ path, status: 404 })
    expect(body).toEqual({ error: { code: 404, status: 'NOT_FOUND', message: expect.stringContaining('lmlb serves no model') } })
  }
})

test('with PROXY_API_KEYS the listing routes want a key: 401 in the client’s shape without one, each client’s own way of sending it', async () => {
  const KEY = 'proxy-key-for-model-list-tests'
  const locked = appFor({ PROXY_API_KEYS: KEY })
  const paths = ['/v1/models', '/v1/models/fast', '/v1beta/models', '/v1beta/models/fast']
  for (const path of paths)
    for (const headers of [{}, { authorization: 'Bearer not-the-key' }, { 'x-goog-api-key': 'not-the-key' }] as Record<string, string>[]) {
      const { status, body } = await get(path, headers, locked)
      expect({ path, headers, status }).toEqual({ path, headers, status: 401 })
      // The refusal takes the shape the list would: Google's for a Gemini path or a Google client, else OpenAI's.
      if (path.startsWith('/v1beta/') || headers['x-goog-api-key'])
        expect(body.error).toMatchObject({ code: 401, status: 'UNAUTHENTICATED' })
      else expect(body.error).toMatchObject({ code: 'invalid_proxy_key' })
    }
  const anthropic = await get('/v1/models', { 'x-api-key': 'not-the-key', 'anthropic-version': '2023-06-01' }, locked)
  expect(anthropic).toMatchObject({ status: 401, body: { type: 'error', error: { type: 'authentication_error' } } })
  expect(await get('/v1/models', { authorization: `Bearer ${KEY}` }, locked)).toMatchObject({ status: 200, body: { object: 'list' } })
  const asAnthropic = await get('/v1/models', { 'x-api-key': KEY, 'anthropic-version': '2023-06-01' }, locked)
  expect(asAnthropic).toMatchObject({ status: 200, body: { has_more: false, first_id: 'mock/echo' } })
  expect(googleNames((await get('/v1/models', { 'x-goog-api-key': KEY }, locked)).body)).toEqual(ALL)
  // Google's clients may send the key as ?key= on Gemini's own paths; no other path takes a key from the query.
  expect(await get(`/v1beta/models?key=${KEY}`, {}, locked)).toMatchObject({ status: 200, body: { models: expect.any(Array) } })
  expect(await get(`/v1beta/models/fast?key=${KEY}`, {}, locked)).toMatchObject({ status: 200, body: { name: 'models/fast' } })
  expect((await get(`/v1/models?key=${KEY}`, {}, locked)).status).toBe(401)
})
