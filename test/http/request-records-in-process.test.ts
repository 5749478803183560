/**
 * Request records (GET /admin/requests) in process through createApp, with
 * the usage clock injected. A request that failed over keeps each attempt's
 * masked key, endpoint and outcome in order and names the key that served;
 * one that failed on every key keeps its status and the last key tried. A
 * stream is kept as streamed, with its tokens and time to first byte. Over
 * 150 requests in two hours of the clock, written in several bulks and
 * flushes, pages followed by `next` give each record once, newest first,
 * whatever the filters (client key, model, status, time range). No upstream
 * key is kept whole, even where the upstream says it back and LOG_BODIES=1.
 */
import { afterAll, beforeEach, expect, test } from 'bun:test'
import { createApp } from '../../src/app'
import { keyId } from '../../src/balancer/service-pool'
import { loadConfig } from '../../src/config/load'
import { createLogger } from '../../src/observability/log'
import { maskKey } from '../../src/observability/redact'
import { clientKeyId } from '../../src/observability/spend'
import { createRuntime } from '../../src/state/runtime'
import { openaiCompletion } from '../helpers/canned'
import { chatChunks, chatStreamText, sseResponse } from '../helpers/requests'
import { startUpstream, type UpstreamHandler } from '../helpers/upstream'
import { tempUsageStore } from '../helpers/usage-store'

const ADMIN = 'admin-key-request-records-0001'
const KEY_A = 'sk-records-upstream-key-aaaa'
const KEY_B = 'sk-records-upstream-key-bbbb'
const TEAM_A = 'team-a-records-client-0001'
const TEAM_B = 'team-b-records-client-0002'
const START = Date.parse('2026-11-20T09:00:00Z')
const MINUTE = 60_000

const answerOk: UpstreamHandler = ({ body }) => openaiCompletion(body.model, 'ok')
let answer = answerOk
/** Each call either stand-in took, in order: the key it was sent (masked) and the endpoint it came to. */
let calls: { key: string; endpoint: string }[] = []
const standIn = (name: string) =>
  startUpstream(name, (received, request) => {
    calls.push({ key: maskKey(keyOf(received.headers)), endpoint: `${new URL(request.url).origin}/v1` })
    return answer(received, request)
  })
const up = standIn('records')
const up2 = standIn('records-2')
afterAll(async () => {
  await up.stop()
  await up2.stop()
})
beforeEach(() => {
  answer = answerOk
  calls = []
})

/** The text the client sent (its one user message). */
const promptOf = (body: any): string => body.messages[0].content
const keyOf = (headers: Record<string, string>) => headers.authorization.replace(/^Bearer /, '')
/** An OpenAI error answer; `retry-after: 0` so a 5xx does not cool the endpoint for the requests after it. */
const failure = (status: number, message: string) =>
  Response.json({ error: { message, type: 'server_error', param: null, code: null } }, { status, headers: { 'retry-after': '0' } })

function appWith(env: Record<string, string> = {}) {
  const loaded = loadConfig({
    env: { OPENAI_API_KEYS: KEY_A, SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }), LMLB_ADMIN_KEY: ADMIN, ...env },
  })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  const clock = { now: START }
  const usageStore = tempUsageStore(() => clock.now)
  const logger = createLogger('error', '', () => {})
  const app = createApp(createRuntime({ config: loaded.config, logger, read: () => loaded, usageStore, usageClock: () => clock.now }))
  /** A Chat request of `prompt`, its body read to the end (a stream's record is made at its last byte). */
  const ask = async (prompt: string, o: { model?: string; stream?: boolean; client?: string; id?: string } = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' }
    if (o.client) headers.authorization = `Bearer ${o.client}`
    if (o.id) headers['x-request-id'] = o.id
    const body = { model: o.model ?? 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }], ...(o.stream && { stream: true }) }
    const res = await app.fetch(
      new Request('http://localhost/v1/chat/completions', { method: 'POST', headers, body: JSON.stringify(body) }),
    )
    return { status: res.status, text: await res.text() }
  }
  const records = async (query = '') => {
    const res = await app.fetch(new Request(`http://localhost/admin/requests?${query}`, { headers: { 'x-api-key': ADMIN } }))
    expect(res.status).toBe(200)
    return (await res.json()) as { data: any[]; next: string | null }
  }
  /** Every page of `query`, `limit` at a time, following `next`. */
  const allPages = async (query: string, limit: number) => {
    const rows: any[] = []
    for (let cursor = ''; ; ) {
      const page = await records(`${query}&limit=${limit}${cursor}`)
      expect(page.data.length).toBeLessThanOrEqual(limit)
      rows.push(...page.data)
      if (!page.next) return rows
      cursor = `&cursor=${page.next}`
    }
  }
  return { clock, ask, records, allPages }
}

test('failed over: each attempt in order with its masked key, endpoint and outcome, the key that served; one that failed on every key', async () => {
  const both = { OPENAI_API_KEYS: `${KEY_A},${KEY_B}`, SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base, up2.base] }) }
  const scenarios: { env: Record<string, string>; first: number; then: number }[] = [
    // A 429 is the key's: the other key is tried.
    { env: { OPENAI_API_KEYS: `${KEY_A},${KEY_B}` }, first: 429, then: 200 },
    // A 500 is the endpoint's: the other endpoint is tried.
    { env: { SERVICE_ENDPOINTS: both.SERVICE_ENDPOINTS }, first: 500, then: 200 },
    { env: both, first: 500, then: 500 },
    { env: both, first: 429, then: 429 },
  ]
  const idOf = new Map([KEY_A, KEY_B].map((k) => [maskKey(k), keyId('openai', k)]))
  for (const { env, first, then } of scenarios) {
    calls = []
    answer = (received, request) => {
      if (calls.length === 1) return failure(first, 'not now')
      return then === 200 ? answerOk(received, request) : failure(then, 'not now either')
    }
    const { ask, records } = appWith(env)
    expect((await ask('hello')).status).toBe(then)
    const { data } = await records()
    expect(calls).toHaveLength(2)
    expect(calls[0]).not.toEqual(calls[1])
    expect(data).toHaveLength(1)
    const [record] = data
    expect(record.attempts).toEqual([
      { ...calls[0], outcome: String(first) },
      { ...calls[1], outcome: String(then) },
    ])
    // The key named is the one that served; where none did, the last one tried. Tokens as the answer said.
    expect(record).toMatchObject({
      status: then,
      model: 'gpt-4o-mini',
      served: 'openai/gpt-4o-mini',
      key: idOf.get(calls[1].key),
      input_tokens: then === 200 ? 5 : 0,
      output_tokens: then === 200 ? 3 : 0,
      stream: false,
    })
    if (then === 200) expect(record.cost_usd).toBeGreaterThan(0)
    else expect(record.cost_usd).toBe(0)
  }
})

test('a stream is kept as streamed: its tokens from the usage chunk, its time to first byte, its duration', async () => {
  answer = (received, request) => {
    const { body } = received
    if (!body.stream) return answerOk(received, request)
    const chunk = chatChunks({ id: 'chatcmpl-s', object: 'chat.completion.chunk', created: 1, model: body.model })
    const usage = { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 }
    const chunks: object[] = [chunk({ role: 'assistant', content: 'Hel' }), chunk({ content: 'lo' }), chunk({}, 'stop')]
    if (body.stream_options?.include_usage)
      chunks.push({ id: 'chatcmpl-s', object: 'chat.completion.chunk', created: 1, model: body.model, choices: [], usage })
    return sseResponse(chatStreamText(chunks))
  }
  const { clock, ask, records } = appWith()
  const streamed = await ask('tell me', { stream: true, id: 'streamed-1' })
  expect(streamed.status).toBe(200)
  expect(streamed.text).toContain('lo')
  clock.now += MINUTE
  expect((await ask('tell me', { id: 'whole-1' })).status).toBe(200)
  const { data } = await records()
  expect(data.map((r) => r.id)).toEqual(['whole-1', 'streamed-1'])
  const [whole, stream] = data
  expect(stream).toMatchObject({ stream: true, status: 200, input_tokens: 11, output_tokens: 7, served: 'openai/gpt-4o-mini' })
  expect(whole).toMatchObject({ stream: false, status: 200, input_tokens: 5, output_tokens: 3 })
  expect(stream.ttfb_ms).toBeNumber()
  expect(stream.ttfb_ms).toBeGreaterThan(0)
  expect(stream.ttfb_ms).toBeLessThanOrEqual(stream.duration_ms)
  expect(stream.cost_usd).toBeGreaterThan(whole.cost_usd)
  expect(stream.attempts).toEqual([{ key: maskKey(KEY_A), endpoint: up.base, outcome: '200' }])
})

test('150 requests over two hours, written in several bulks and flushes: each record once, newest first, whatever the filters and page size', async () => {
  answer = (received, request) => {
    const prompt = promptOf(received.body)
    if (prompt === 'fail') return failure(500, 'upstream down')
    if (prompt === 'bad') return Response.json({ error: { message: 'bad', type: 'invalid_request_error' } }, { status: 400 })
    return answerOk(received, request)
  }
  const { clock, ask, records, allPages } = appWith({ PROXY_API_KEYS: `${TEAM_A},${TEAM_B}` })
  const made: { id: string; at: number; client_key: string; model: string; status: number }[] = []
  for (let i = 0; i < 150; i++) {
    // Every tenth request ends at the same time as the one before it.
    if (i > 0 && i % 10 !== 9) clock.now += 50_000
    const client = i % 3 === 0 ? TEAM_B : TEAM_A
    const model = i % 4 === 1 ? 'gpt-4o' : 'gpt-4o-mini'
    const prompt = i % 7 === 3 ? 'fail' : i % 11 === 5 ? 'bad' : 'hi'
    const id = `req-${i}`
    const { status } = await ask(prompt, { client, model, id })
    expect([id, status]).toEqual([id, prompt === 'fail' ? 500 : prompt === 'bad' ? 400 : 200])
    made.push({ id, at: clock.now, client_key: clientKeyId(client), model, status })
    // Asking writes what is held, part of a bulk of 64 or more: the newest record is there at once.
    if (i === 19 || i === 96) expect((await records('limit=1')).data.map((r) => r.id)).toEqual([id])
  }
  expect(clock.now - START).toBeGreaterThan(100 * MINUTE)
  const newestFirst = made.toReversed()
  const seen = (rows: any[]) =>
    rows.map((r) => ({ id: r.id, at: Date.parse(r.at), client_key: r.client_key, model: r.model, status: r.status }))

  const all = await allPages('', 7)
  expect(seen(all)).toEqual(newestFirst)
  expect((await records('limit=1000')).data.map((r) => r.id)).toEqual(newestFirst.map((r) => r.id))
  expect(await records('limit=150')).toMatchObject({ next: null })

  const from = made[40].at
  const to = made[110].at
  const iso = (ms: number) => new Date(ms).toISOString()
  const cases: [query: string, limit: number, wanted: (r: (typeof made)[number]) => boolean][] = [
    [`client_key=${clientKeyId(TEAM_B)}`, 10, (r) => r.client_key === clientKeyId(TEAM_B)],
    // As asked, and as served: gpt-4o is not gpt-4o-mini.
    ['model=gpt-4o', 9, (r) => r.model === 'gpt-4o'],
    ['model=openai/gpt-4o-mini', 33, (r) => r.model === 'gpt-4o-mini'],
    ['status=5xx', 4, (r) => r.status >= 500],
    ['status=400', 3, (r) => r.status === 400],
    ['status=2xx', 64, (r) => r.status === 200],
    // `from` is in the range, `to` is not.
    [`from=${iso(from)}&to=${iso(to)}`, 8, (r) => r.at >= from && r.at < to],
    [
      `from=${iso(from)}&to=${iso(to)}&client_key=${clientKeyId(TEAM_A)}&status=200&model=gpt-4o-mini`,
      5,
      (r) => r.at >= from && r.at < to && r.client_key === clientKeyId(TEAM_A) && r.status === 200 && r.model === 'gpt-4o-mini',
    ],
    ['from=2026-11-20&to=2026-11-20', 50, () => true],
    ['from=2026-11-21', 50, () => false],
  ]
  for (const [query, limit, wanted] of cases) {
    const expected = newestFirst.filter(wanted)
    expect([query, seen(await allPages(query, limit))]).toEqual([query, expected])
  }
})

test('LOG_BODIES=1: no upstream key whole anywhere in the records, though the upstream says it back in answers, errors and streams', async () => {
  // The stand-in says back the key it was sent, as a careless upstream might.
  const tried = new Map<string, number>()
  answer = ({ body, headers }) => {
    const said = `you sent ${headers.authorization}`
    const prompt = promptOf(body)
    tried.set(prompt, (tried.get(prompt) ?? 0) + 1)
    if (prompt.startsWith('refuse always') || (prompt.startsWith('refuse once') && tried.get(prompt) === 1)) return failure(429, said)
    if (!body.stream) return openaiCompletion(body.model, said)
    const chunk = chatChunks({ id: 'chatcmpl-k', object: 'chat.completion.chunk', created: 1, model: body.model })
    return sseResponse(
      chatStreamText([chunk({ role: 'assistant', content: 'you sent ' }), chunk({ content: keyOf(headers) }), chunk({}, 'stop')]),
    )
  }
  const { clock, ask, allPages } = appWith({ OPENAI_API_KEYS: `${KEY_A},${KEY_B}`, LOG_BODIES: '1' })
  const prompts = [`refuse once: ${KEY_A}`, `compare ${KEY_A} with ${KEY_B}`, `stream ${KEY_B}`, `refuse always ${KEY_B}`]
  for (const prompt of prompts) {
    await ask(prompt, { stream: prompt.startsWith('stream') })
    clock.now += MINUTE
  }
  // Both keys were sent to the stand-in, and it said each back.
  expect(new Set(calls.map((c) => c.key))).toEqual(new Set([maskKey(KEY_A), maskKey(KEY_B)]))
  const rows = await allPages('', 2)
  expect(rows.map((r) => r.status)).toEqual([429, 200, 200, 200])
  const text = JSON.stringify(rows)
  for (const key of [KEY_A, KEY_B]) {
    expect(text).not.toContain(key)
    expect(text).not.toContain(key.slice(3, -4))
    expect(text).toContain(maskKey(key))
  }
  // The bodies are kept, masked: the test would pass on none kept otherwise.
  const masked = (p: string) => p.replaceAll(KEY_A, maskKey(KEY_A)).replaceAll(KEY_B, maskKey(KEY_B))
  expect(rows.map((r) => JSON.parse(r.prompt).messages[0].content)).toEqual(prompts.toReversed().map(masked))
  // Each completion (an error's body, a stream's events) holds the key of the attempt that answered, masked as in `attempts`.
  for (const r of rows) {
    const last = r.attempts.at(-1).key
    expect([maskKey(KEY_A), maskKey(KEY_B)]).toContain(last)
    expect(r.completion).toContain(r.stream ? `"content":"${last}"` : `you sent Bearer ${last}`)
  }
  expect(rows.map((r) => [r.stream, r.attempts.length])).toEqual([
    [false, 2],
    [true, 1],
    [false, 1],
    [false, 2],
  ])
})
