/** GET /v1/models lists what lmlb can route, as the OpenAI SDK reads it. */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { defaultReply, startUpstream, type FakeUpstream } from '../helpers/upstream'

let up: FakeUpstream
let lmlb: RunningLmlb
beforeAll(async () => {
  up = startUpstream('models')
  const ok = defaultReply('models')
  up.handle((r, req) =>
    r.path.endsWith('/models') ? Response.json({ object: 'list', data: [{ id: 'gpt-4o' }, { id: 'gpt-4o-mini' }] }) : ok(r, req),
  )
  lmlb = await startLmlb({
    args: ['--config', 'lmlb.yaml'],
    env: { OPENAI_API_KEYS: 'sk-models-key-00000001' },
    files: {
      'lmlb.yaml': `services:\n  openai: { endpoints: ["${up.base}"] }\n  local: { endpoints: ["${up.base}"], models: [coder] }\naliases:\n  fast: [openai/gpt-4o-mini]\n`,
    },
  })
})
afterAll(async () => {
  await lmlb.stop()
  await up.stop()
})

test('aliases, allow-lists, the Claude mapping, the mock and the upstream lists', async () => {
  const client = new OpenAI({ baseURL: `${lmlb.url}/v1`, apiKey: 'x', maxRetries: 0 })
  const ids: string[] = []
  for await (const model of client.models.list()) ids.push(model.id)
  expect(ids).toEqual([
    'mock/echo',
    'fast',
    'claude-sonnet-4-5',
    'claude-opus-4-1',
    'claude-haiku-4-5',
    'local/coder',
    'openai/gpt-4o',
    'openai/gpt-4o-mini',
  ])
  // Asked once, with the service's key; cached for the next listing.
  await client.models.list()
  const listings = up.received.filter((r) => r.path === '/v1/models')
  expect(listings).toHaveLength(1)
  expect(listings[0].headers.authorization).toBe('Bearer sk-models-key-00000001')
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
