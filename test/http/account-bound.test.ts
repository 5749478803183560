/**
 * Endpoints whose objects belong to one account (files, batches, uploads,
 * vector stores, stored responses): refused with a 501 saying why while a
 * service has several keys; passed through as they came where it has one.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

let oai: FakeUpstream
let ant: FakeUpstream
let many: RunningLmlb
let one: RunningLmlb

const echo = (r: { method: string; path: string; search: string }) =>
  Response.json({ id: 'file-1', object: 'file', seen: `${r.method} ${r.path}${r.search}` })

beforeAll(async () => {
  oai = startUpstream('oai', echo)
  ant = startUpstream('ant', echo)
  const endpoints = JSON.stringify({ openai: [oai.base], anthropic: [ant.base] })
  many = await startLmlb({
    env: {
      OPENAI_API_KEYS: 'sk-bound-key-aaaa1111,sk-bound-key-bbbb2222',
      ANTHROPIC_API_KEYS: 'sk-ant-bound-aaaa1111,sk-ant-bound-bbbb2222',
      SERVICE_ENDPOINTS: endpoints,
    },
  })
  one = await startLmlb({
    env: {
      OPENAI_API_KEYS: 'sk-bound-only-key-0001',
      ANTHROPIC_API_KEYS: 'sk-ant-bound-only-0001',
      SERVICE_ENDPOINTS: endpoints,
      PROXY_API_KEYS: 'team-key-0001',
    },
  })
})

afterAll(async () => {
  await Promise.all([many.stop(), one.stop(), oai.stop(), ant.stop()])
})

describe('a service with several keys: 501 in the API’s own shape, nothing sent upstream', () => {
  test.each([
    ['POST', '/v1/files', {}],
    ['GET', '/v1/files/file-1/content', {}],
    ['POST', '/v1/batches', {}],
    ['POST', '/v1/uploads', {}],
    ['GET', '/v1/vector_stores', {}],
    ['GET', '/v1/responses/resp_1', {}],
    ['DELETE', '/v1/responses/resp_1', {}],
  ])('OpenAI: %s %s', async (method, path, headers) => {
    const res = await fetch(`${many.url}${path}`, { method, headers, body: method === 'POST' ? '{}' : undefined })
    expect(res.status).toBe(501)
    const body = await res.json()
    expect(body).toMatchObject({ error: { code: 'account_bound_endpoint', type: 'server_error', param: null } })
    expect(body.error.message).toContain('belong to one openai account, and lmlb spreads openai requests over 2 keys')
    expect(oai.received).toEqual([])
  })

  test.each([
    ['POST', '/v1/messages/batches', {}],
    ['GET', '/v1/messages/batches/msgbatch_1/results', {}],
    ['GET', '/v1/files', { 'anthropic-version': '2023-06-01' }],
  ])('Anthropic: %s %s', async (method, path, headers) => {
    const res = await fetch(`${many.url}${path}`, { method, headers, body: method === 'POST' ? '{}' : undefined })
    expect(res.status).toBe(501)
    expect(await res.json()).toMatchObject({
      type: 'error',
      error: { type: 'api_error', message: expect.stringContaining('one anthropic account') },
    })
    expect(ant.received).toEqual([])
  })

  test('POST /v1/responses itself is not account-bound', async () => {
    expect((await fetch(`${many.url}/v1/responses`, { method: 'POST', body: '{"model":"gpt-5-test","input":"hi"}' })).status).toBe(200)
  })
})

describe('a service with exactly one key: passed through, method, path, query and body as they came', () => {
  const auth = { authorization: 'Bearer team-key-0001' }

  test('the proxy key is still required', async () => {
    const res = await fetch(`${one.url}/v1/files`)
    expect(res.status).toBe(401)
  })

  test('GET with a query, DELETE, and a multipart upload reach OpenAI with the one key', async () => {
    oai.reset()
    const list = await fetch(`${one.url}/v1/files?purpose=batch`, { headers: auth })
    expect(await list.json()).toMatchObject({ seen: 'GET /v1/files?purpose=batch' })
    const gone = await fetch(`${one.url}/v1/responses/resp_1`, { method: 'DELETE', headers: auth })
    expect(await gone.json()).toMatchObject({ seen: 'DELETE /v1/responses/resp_1' })
    const form = new FormData()
    form.set('purpose', 'batch')
    form.set('file', new File(['{"custom_id":"a"}\n'], 'batch.jsonl', { type: 'application/jsonl' }))
    const upload = await fetch(`${one.url}/v1/files`, { method: 'POST', headers: auth, body: form })
    expect(upload.status).toBe(200)
    const [listed, deleted, uploaded] = oai.received
    expect([listed.headers.authorization, deleted.headers.authorization, uploaded.headers.authorization]).toEqual(
      Array(3).fill('Bearer sk-bound-only-key-0001'),
    )
    expect(uploaded.headers['content-type']).toStartWith('multipart/form-data; boundary=')
    expect(uploaded.raw).toContain('name="file"; filename="batch.jsonl"')
    expect(uploaded.raw).toContain('{"custom_id":"a"}')
  })

  test("Anthropic's batches and files, with x-api-key", async () => {
    ant.reset()
    const res = await fetch(`${one.url}/v1/messages/batches/msgbatch_1`, {
      headers: { 'x-api-key': 'team-key-0001', 'anthropic-version': '2023-06-01' },
    })
    expect(await res.json()).toMatchObject({ seen: 'GET /v1/messages/batches/msgbatch_1' })
    expect(ant.received[0].headers['x-api-key']).toBe('sk-ant-bound-only-0001')
    expect(ant.received[0].headers['anthropic-version']).toBe('2023-06-01')
  })
})
