/**
 * GET /v1/models lists what lmlb can route, in each client's shape: the
 * OpenAI SDK's `models.list` and the Anthropic SDK's (which sends
 * `anthropic-version`), with the union of what is configured and what the
 * upstreams list; an upstream listing that hangs delays nothing.
 */
import Anthropic from '@anthropic-ai/sdk'
import { afterAll, beforeAll, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { defaultReply, startUpstream, type FakeUpstream } from '../helpers/upstream'

let up: FakeUpstream
let claude: FakeUpstream
let lmlb: RunningLmlb
beforeAll(async () => {
  up = startUpstream('models')
  const ok = defaultReply('models')
  up.handle((r, req) =>
    r.path.endsWith('/models')
      ? Response.json({ object: 'list', data: [{ id: 'gpt-4o', created: 1715367049 }, { id: 'gpt-4o-mini' }] })
      : ok(r, req),
  )
  // Anthropic's own listing shape.
  claude = startUpstream('claude', () =>
    Response.json({
      data: [{ type: 'model', id: 'claude-sonnet-4-5', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' }],
      has_more: false,
    }),
  )
  lmlb = await startLmlb({
    args: ['--config', 'lmlb.yaml'],
    env: { OPENAI_API_KEYS: 'sk-models-key-00000001', ANTHROPIC_API_KEYS: 'sk-ant-models-key-0001' },
    files: {
      'lmlb.yaml':
        `services:\n  openai: { endpoints: ["${up.base}"] }\n  anthropic: { endpoints: ["${claude.base}"] }\n` +
        `  local: { endpoints: ["${up.base}"], models: [coder] }\naliases:\n  fast: [openai/gpt-4o-mini]\n`,
    },
  })
  // The first ask starts the listings in the background: the list holds them once both are in.
  const listed = async () => (await (await fetch(`${lmlb.url}/v1/models`)).json()).data.length === 10
  for (let i = 0; i < 200 && !(await listed()); i++) await Bun.sleep(10)
})
afterAll(async () => {
  await lmlb.stop()
  await up.stop()
  await claude.stop()
})

const ALL = [
  'mock/echo',
  'fast',
  'claude-sonnet-4-5',
  'claude-opus-4-1',
  'claude-haiku-4-5',
  'local/coder',
  'openai/gpt-4o',
  'openai/gpt-4o-mini',
  'anthropic/claude-sonnet-4-5',
]

test('the OpenAI SDK: aliases, allow-lists, the Claude mapping, the mock and the upstream lists, in OpenAI’s shape', async () => {
  const client = new OpenAI({ baseURL: `${lmlb.url}/v1`, apiKey: 'x', maxRetries: 0 })
  const models: OpenAI.Models.Model[] = []
  for await (const model of client.models.list()) models.push(model)
  expect(models.map((m) => m.id)).toEqual(ALL)
  expect(models.find((m) => m.id === 'openai/gpt-4o')).toEqual({
    id: 'openai/gpt-4o',
    object: 'model',
    created: 1715367049,
    owned_by: 'openai',
  })
  // Each listing asked once at start, with the service's key; the list is served from what was kept.
  await client.models.list()
  const listings = up.received.filter((r) => r.path === '/v1/models')
  expect(listings).toHaveLength(1)
  expect(listings[0].headers.authorization).toBe('Bearer sk-models-key-00000001')
  expect(claude.received.filter((r) => r.path === '/v1/models')[0].headers['x-api-key']).toBe('sk-ant-models-key-0001')
})

test('the Anthropic SDK: the same models in Anthropic’s shape, paged as it pages', async () => {
  const client = new Anthropic({ baseURL: lmlb.url, apiKey: 'x', maxRetries: 0 })
  const models: Anthropic.Models.ModelInfo[] = []
  for await (const model of client.models.list({ limit: 4 })) models.push(model)
  expect(models.map((m) => m.id)).toEqual(ALL)
  expect(models.find((m) => m.id === 'anthropic/claude-sonnet-4-5') as object).toEqual({
    type: 'model',
    id: 'anthropic/claude-sonnet-4-5',
    display_name: 'Claude Sonnet 4.5',
    created_at: '2025-09-29T00:00:00.000Z',
  })
  const page = await (await fetch(`${lmlb.url}/v1/models?limit=2&after_id=fast`, { headers: { 'anthropic-version': '2023-06-01' } })).json()
  expect(page).toEqual({
    data: [expect.objectContaining({ id: 'claude-sonnet-4-5' }), expect.objectContaining({ id: 'claude-opus-4-1' })],
    has_more: true,
    first_id: 'claude-sonnet-4-5',
    last_id: 'claude-opus-4-1',
  })
  expect(await client.models.retrieve('fast')).toMatchObject({ type: 'model', id: 'fast', display_name: 'fast' })
  const missing = await fetch(`${lmlb.url}/v1/models/claude-nope-1`, { headers: { 'anthropic-version': '2023-06-01' } })
  expect(missing.status).toBe(404)
  expect(await missing.json()).toMatchObject({ type: 'error', error: { type: 'not_found_error' } })
})

test('GET /v1/models/{id}: an entry of the list, a bare upstream name under its service, else 404 in the OpenAI shape', async () => {
  const client = new OpenAI({ baseURL: `${lmlb.url}/v1`, apiKey: 'x', maxRetries: 0 })
  expect(await client.models.retrieve('openai/gpt-4o')).toMatchObject({ id: 'openai/gpt-4o', object: 'model', owned_by: 'openai' })
  expect(await client.models.retrieve('gpt-4o-mini')).toMatchObject({ id: 'gpt-4o-mini', owned_by: 'openai' })
  expect(await client.models.retrieve('fast')).toMatchObject({ id: 'fast', owned_by: 'lmlb-alias' })
  const missing = await fetch(`${lmlb.url}/v1/models/gpt-nope`)
  expect(missing.status).toBe(404)
  expect(await missing.json()).toMatchObject({ error: { code: 'model_not_found', type: 'invalid_request_error' } })
})

test('Google’s list paged by a fractional pageSize: the tokens it hands out lead on, every model once, and the pages end', async () => {
  const all = (await (await fetch(`${lmlb.url}/v1beta/models?pageSize=1000`)).json()).models.map((m: { name: string }) => m.name)
  const names: string[] = []
  let [token, pages] = ['', 0]
  do {
    const body = await (await fetch(`${lmlb.url}/v1beta/models?pageSize=2.5${token && `&pageToken=${token}`}`)).json()
    names.push(...body.models.map((m: { name: string }) => m.name))
    token = body.nextPageToken ?? ''
    pages++
  } while (token && pages < 50)
  expect(names).toEqual(all)
  expect(pages).toBe(Math.ceil(all.length / 2))
})

test('without a valid proxy key a model list is refused in its client’s shape: Google’s, Anthropic’s, else OpenAI’s', async () => {
  const locked = await startLmlb({ env: { PROXY_API_KEYS: 'proxy-key-models-http-01' } })
  try {
    const refusal = async (headers: Record<string, string>) => {
      const res = await fetch(`${locked.url}/v1/models`, { headers })
      return { status: res.status, body: await res.json() }
    }
    expect(await refusal({ 'x-goog-api-key': 'wrong' })).toMatchObject({
      status: 401,
      body: { error: { code: 401, status: 'UNAUTHENTICATED' } },
    })
    expect(await refusal({ 'x-api-key': 'wrong', 'anthropic-version': '2023-06-01' })).toMatchObject({
      status: 401,
      body: { type: 'error', error: { type: 'authentication_error' } },
    })
    expect(await refusal({ authorization: 'Bearer wrong' })).toMatchObject({ status: 401, body: { error: { code: 'invalid_proxy_key' } } })
  } finally {
    await locked.stop()
  }
})

test('an upstream whose listing hangs delays nothing: the list answers at once without it', async () => {
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))
  const slow = startUpstream('slow', async () => {
    await held
    return Response.json({ data: [{ id: 'late-model' }] })
  })
  const other = await startLmlb({
    env: { OPENAI_API_KEYS: 'sk-models-key-00000002', SERVICE_ENDPOINTS: JSON.stringify({ openai: [slow.base] }) },
  })
  try {
    // The listing hangs until the end of the test: were the list to wait for it, neither ask would be answered.
    const local = ['mock/echo', 'claude-sonnet-4-5', 'claude-opus-4-1', 'claude-haiku-4-5']
    const first = await (await fetch(`${other.url}/v1/models`)).json()
    expect(first.data.map((m: { id: string }) => m.id)).toEqual(local)
    while (slow.received.length === 0) await Bun.sleep(5) // the listing the first ask started is on its way, and held
    const again = await (await fetch(`${other.url}/v1/models`)).json()
    expect(again.data.map((m: { id: string }) => m.id)).toEqual(local)
    expect(slow.received).toHaveLength(1)
  } finally {
    release()
    await other.stop()
    await slow.stop()
  }
})
