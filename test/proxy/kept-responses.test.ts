/**
 * Stored responses on the flow's path (proxy/kept-responses.ts), in process
 * through createApp, with the store's clock injected: a chain goes on
 * while its responses live, and is refused naming the first one missing
 * once time or the count bound has pushed it out; what the upstream sees
 * of a chain.
 */
import { afterAll, beforeEach, expect, test } from 'bun:test'
import { createApp } from '../../src/app'
import { loadConfig } from '../../src/config/load'
import { createLogger } from '../../src/observability/log'
import { MemoryResponseStore, type StoreBounds } from '../../src/state/response-store'
import { createRuntime } from '../../src/state/runtime'
import { openaiCompletion } from '../helpers/canned'
import { startUpstream } from '../helpers/upstream'

/** A message's text, whether a string or parts. */
const textOf = (content: string | { text: string }[]) => (typeof content === 'string' ? content : content.map((p) => p.text).join(''))
/** A Chat-only upstream that answers `heard: <the last message's text>`. */
const up = startUpstream('up', ({ body }) => openaiCompletion(body.model, `heard: ${textOf(body.messages.at(-1).content)}`))
afterAll(() => up.stop())
beforeEach(() => up.reset())

function appWith(bounds: StoreBounds) {
  const loaded = loadConfig({
    env: { CHATONLY_API_KEYS: 'sk-chat-kept-unit-0001', SERVICE_ENDPOINTS: JSON.stringify({ chatonly: [up.base] }) },
  })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  const clock = { now: 1_000_000 }
  const responses = new MemoryResponseStore(
    () => bounds,
    () => clock.now,
  )
  const logger = createLogger('error', '', () => {})
  const app = createApp(createRuntime({ config: loaded.config, logger, read: () => loaded, responses }))
  /** POST /v1/responses: the status and the JSON answer. */
  const create = async (input: string, previous?: string) => {
    const body = JSON.stringify({ model: 'chatonly/gpt-test', input, ...(previous && { previous_response_id: previous }) })
    const res = await app.fetch(
      new Request('http://localhost/v1/responses', { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
    )
    return { status: res.status, body: (await res.json()) as any }
  }
  return { app, clock, responses, create }
}

const turns = (i: number) =>
  up.received[i].body.messages.map((m: { role: string; content: string | { text: string }[] }) => `${m.role}: ${textOf(m.content)}`)

test('a chain goes on while its responses live; each one read starts its life again; past the TTL it is refused naming the response', async () => {
  const { clock, create } = appWith({ maxCount: 100, maxBytes: 1 << 20, ttlMs: 60_000 })
  const one = await create('one')
  expect(one.status).toBe(200)
  clock.now += 50_000
  const two = await create('two', one.body.id)
  expect(two.body.output[0].content[0].text).toBe('heard: two')
  expect(turns(1)).toEqual(['user: one', 'assistant: heard: one', 'user: two'])
  // 50 s after `two` (100 s after `one` was made, 50 s after it was last read): both still live.
  clock.now += 50_000
  expect((await create('three', two.body.id)).status).toBe(200)
  clock.now += 60_001
  const late = await create('four', two.body.id)
  expect(late.status).toBe(400)
  expect(late.body.error).toMatchObject({ code: 'previous_response_not_found', type: 'invalid_request_error' })
  expect(late.body.error.message).toContain(`previous_response_id "${two.body.id}" is no longer kept by lmlb`)
  expect(up.received).toHaveLength(3)
})

test('past the count, the least recently used goes: a chain through it is refused naming that one, not the one asked for', async () => {
  const { create, responses } = appWith({ maxCount: 2, maxBytes: 1 << 20, ttlMs: 60_000 })
  const one = await create('one')
  const two = await create('two', one.body.id)
  await create('elsewhere')
  expect(responses.size.count).toBe(2)
  const broken = await create('three', two.body.id)
  expect(broken.status).toBe(400)
  expect(broken.body.error.message).toContain(`response ${one.body.id}, earlier in the chain of ${two.body.id}, is no longer kept`)
})

test('past the bytes, the oldest go: what is left is within the bound', async () => {
  const { create, responses } = appWith({ maxCount: 100, maxBytes: 4_000, ttlMs: 60_000 })
  for (let i = 0; i < 10; i++) expect((await create(`turn ${i}`)).status).toBe(200)
  expect(responses.size.bytes).toBeLessThanOrEqual(4_000)
  expect(responses.size.count).toBeLessThan(10)
  expect(responses.size.count).toBeGreaterThan(0)
})
