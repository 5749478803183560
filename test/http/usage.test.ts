/**
 * Usage and cost (GET /admin/usage, /stats, /metrics) over HTTP: stand-ins
 * answer with known usage (cache reads and writes included) in each
 * format; requests in each API, passed through and translated, whole and
 * streamed, from two client keys, give exact token totals and the exact
 * cost from the price table; a model without a price is counted in tokens
 * and reported unpriced; totals group any way and add up; the CSV says
 * the same; a restart keeps them, and a crash what the last flush wrote.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { keyId } from '../../src/balancer/service-pool'
import { clientKeyId } from '../../src/observability/spend'
import { startLmlb, type LmlbOptions, type RunningLmlb } from '../helpers/lmlb'
import { sseEvent, sseResponse } from '../helpers/requests'
import { startUpstream, type FakeUpstream, type UpstreamHandler } from '../helpers/upstream'

const ADMIN = 'admin-key-for-usage-tests-0001'
const TEAM_A = 'team-a-usage-key-0001'
const TEAM_B = 'team-b-usage-key-0002'
const OPENAI_KEY = 'sk-openai-usage-0001'
const ANTHROPIC_KEY = 'sk-ant-usage-0001'

/** 1,000 prompt tokens of which 400 cached, 100 out: at gpt-4o's list price, 600 × 2.5 + 400 × 1.25 + 100 × 10 per million. */
const OPENAI_USAGE = { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100, prompt_tokens_details: { cached_tokens: 400 } }
const GPT_4O_COST = (600 * 2.5 + 400 * 1.25 + 100 * 10) / 1e6
/** 100 fresh input, 1,000 read from the cache, 200 written, 20 out: at claude-sonnet-4-5's, 100 × 3 + 1000 × 0.3 + 200 × 3.75 + 20 × 15. */
const ANTHROPIC_USAGE = { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 1000, cache_creation_input_tokens: 200 }
const SONNET_COST = (100 * 3 + 1000 * 0.3 + 200 * 3.75 + 20 * 15) / 1e6

/** As OpenAI: a stream carries its usage chunk only when asked (`stream_options.include_usage`). */
const chatAnswer = (model: string, stream: boolean, withUsage = true) => {
  const head = { id: 'chatcmpl-u', object: 'chat.completion.chunk', created: 1, model }
  if (!stream)
    return Response.json({
      ...head,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      usage: OPENAI_USAGE,
    })
  return sseResponse(
    [
      sseEvent(undefined, { ...head, choices: [{ index: 0, delta: { role: 'assistant', content: 'ok' }, finish_reason: null }] }),
      sseEvent(undefined, { ...head, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }),
      ...(withUsage ? [sseEvent(undefined, { ...head, choices: [], usage: OPENAI_USAGE })] : []),
      sseEvent(undefined, '[DONE]'),
    ].join(''),
  )
}

const anthropicAnswer = (model: string, stream: boolean) => {
  const message = { id: 'msg_u', type: 'message', role: 'assistant', model, stop_sequence: null }
  if (!stream)
    return Response.json({ ...message, content: [{ type: 'text', text: 'ok' }], stop_reason: 'end_turn', usage: ANTHROPIC_USAGE })
  const { output_tokens: _, ...start } = ANTHROPIC_USAGE
  return sseResponse(
    [
      sseEvent('message_start', {
        type: 'message_start',
        message: { ...message, content: [], stop_reason: null, usage: { ...start, output_tokens: 1 } },
      }),
      sseEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      sseEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'ok' } }),
      sseEvent('content_block_stop', { type: 'content_block_stop', index: 0 }),
      sseEvent('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: 20 },
      }),
      sseEvent('message_stop', { type: 'message_stop' }),
    ].join(''),
  )
}

const answer: UpstreamHandler = ({ path, body }) =>
  path.endsWith('/messages')
    ? anthropicAnswer(body.model, body.stream === true)
    : chatAnswer(body.model, body.stream === true, body.stream_options?.include_usage === true)

let up: FakeUpstream
let lmlb: RunningLmlb
let options: LmlbOptions

beforeAll(async () => {
  up = startUpstream('usage', answer)
  options = {
    env: {
      OPENAI_API_KEYS: OPENAI_KEY,
      ANTHROPIC_API_KEYS: ANTHROPIC_KEY,
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base], anthropic: [up.base] }),
      PROXY_API_KEYS: `${TEAM_A},${TEAM_B}`,
      LMLB_ADMIN_KEY: ADMIN,
    },
    args: ['--config', 'lmlb.yaml'],
    // `local` serves a model no table prices.
    files: { 'lmlb.yaml': `services:\n  local:\n    endpoints: ["${up.base}"]\n` },
  }
  lmlb = await startLmlb(options)
})

afterAll(async () => {
  await lmlb.stop()
  await up.stop()
})

/** A request through `at` (the suite's lmlb unless another is named). */
const call = (path: string, key: string, body: object, at = lmlb) =>
  fetch(`${at.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
  }).then(async (r) => (await r.text(), r.status))

const usage = async (query: string, at = lmlb) => {
  const res = await fetch(`${at.url}/admin/usage?${query}`, { headers: { authorization: `Bearer ${ADMIN}` } })
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() }
}
const json = async (query: string, at = lmlb) => JSON.parse((await usage(query, at)).text)

const msg = { max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }
const chat = { messages: [{ role: 'user', content: 'hi' }] }

test('every API, passed through and translated, whole and streamed: exact tokens and exact cost per client key and model', async () => {
  const statuses = [
    // Team A: Chat to gpt-4o, whole and streamed; Messages to Claude, whole and streamed.
    await call('/v1/chat/completions', TEAM_A, { model: 'gpt-4o', ...chat }),
    await call('/v1/chat/completions', TEAM_A, { model: 'gpt-4o', ...chat, stream: true, stream_options: { include_usage: true } }),
    await call('/v1/messages', TEAM_A, { model: 'anthropic/claude-sonnet-4-5', ...msg }),
    await call('/v1/messages', TEAM_A, { model: 'anthropic/claude-sonnet-4-5', ...msg, stream: true }),
    // Team B: Messages translated to gpt-4o (priced as gpt-4o); Responses translated to Claude; an unpriced model.
    await call('/v1/messages', TEAM_B, { model: 'openai/gpt-4o', ...msg }),
    await call('/v1/responses', TEAM_B, { model: 'anthropic/claude-sonnet-4-5', input: 'hi', stream: true }),
    await call('/v1/chat/completions', TEAM_B, { model: 'local/my-own-model', ...chat }),
  ]
  expect(statuses).toEqual(Array(7).fill(200))

  const a = clientKeyId(TEAM_A)
  const b = clientKeyId(TEAM_B)
  const { rows, total } = await json('group_by=client_key,model')
  const gpt = { input_tokens: 1000, output_tokens: 100, cache_read_tokens: 400, cache_write_tokens: 0 }
  const sonnet = { input_tokens: 1300, output_tokens: 20, cache_read_tokens: 1000, cache_write_tokens: 200 }
  const twice = (t: typeof gpt) => Object.fromEntries(Object.entries(t).map(([k, v]) => [k, v * 2]))
  const near = (usd: number) => expect.closeTo(usd, 12)
  expect(rows).toEqual([
    { client_key: a, model: 'claude-sonnet-4-5', requests: 2, ...twice(sonnet), cost_usd: near(2 * SONNET_COST), unpriced_requests: 0 },
    { client_key: a, model: 'gpt-4o', requests: 2, ...twice(gpt), cost_usd: near(2 * GPT_4O_COST), unpriced_requests: 0 },
    { client_key: b, model: 'claude-sonnet-4-5', requests: 1, ...sonnet, cost_usd: near(SONNET_COST), unpriced_requests: 0 },
    { client_key: b, model: 'gpt-4o', requests: 1, ...gpt, cost_usd: near(GPT_4O_COST), unpriced_requests: 0 },
    { client_key: b, model: 'my-own-model', requests: 1, ...gpt, cost_usd: 0, unpriced_requests: 1 },
  ])
  // (Bun's toMatchObject writes its matchers into the object it checks: the total is checked field by field.)
  expect([total.requests, total.output_tokens, total.unpriced_requests]).toEqual([7, 460, 1])
  expect(total.cost_usd).toBeCloseTo(3 * SONNET_COST + 3 * GPT_4O_COST, 12)

  // Other groupings add up to the same total; the upstream key is named by the admin API's id.
  const byKey = await json('group_by=key,service')
  expect(byKey.total).toEqual(total)
  const keyRows = byKey.rows.map((r: { key: string; service: string; requests: number }) => [r.key, r.service, r.requests])
  expect(keyRows.toSorted((x: string[], y: string[]) => x[1].localeCompare(y[1]))).toEqual([
    [keyId('anthropic', ANTHROPIC_KEY), 'anthropic', 3],
    ['none', 'local', 1],
    [keyId('openai', OPENAI_KEY), 'openai', 3],
  ])
  const today = new Date().toISOString().slice(0, 10)
  expect((await json('group_by=day')).rows).toEqual([{ day: today, ...total }])
  expect((await json('group_by=hour')).rows.map((r: { hour: string }) => r.hour.slice(0, 10))).toContain(today)

  // The CSV: a header, one line a row, the same numbers.
  const csv = await usage('group_by=client_key,model&format=csv')
  expect(csv.type).toStartWith('text/csv')
  const [header, ...lines] = csv.text.trim().split('\n')
  expect(header).toBe(
    'client_key,model,requests,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,cost_usd,unpriced_requests',
  )
  expect(lines).toHaveLength(5)
  const costs = lines.map((l) => Number(l.split(',')[7]))
  expect(costs.reduce((x, y) => x + y, 0)).toBeCloseTo(total.cost_usd, 12)

  // /stats and /metrics say the same since start.
  const stats = (await (await fetch(`${lmlb.url}/stats`, { headers: { 'x-api-key': TEAM_A } })).json()) as any
  const spend = stats.requests.spend as { client_key: string; model: string; cost_usd: number }[]
  expect(spend.find((s) => s.client_key === a && s.model === 'gpt-4o')?.cost_usd).toBeCloseTo(2 * GPT_4O_COST, 12)
  const metrics = await (await fetch(`${lmlb.url}/metrics`, { headers: { 'x-api-key': TEAM_A } })).text()
  expect(metrics).toContain(`lmlb_usage_requests_total{priced="false",service="local",model="my-own-model",client_key="${b}"} 1`)
  expect(metrics).toMatch(new RegExp(`lmlb_cost_usd_total\\{service="openai",model="gpt-4o",client_key="${a}"\\} 0\\.00`))
  // No key whole anywhere in what usage says.
  for (const text of [JSON.stringify(byKey), csv.text, metrics])
    for (const k of [TEAM_A, TEAM_B, OPENAI_KEY, ANTHROPIC_KEY]) expect(text).not.toContain(k)

  // A restart keeps what was written; and the store on disk holds no key whole.
  await lmlb.stop()
  const stored = ['usage.sqlite', 'usage.sqlite-wal']
    .map((f) => join(lmlb.cwd, 'lmlb-data', f))
    .filter((f) => existsSync(f))
    .map((f) => readFileSync(f).toString('latin1'))
    .join('')
  expect(stored).toContain(clientKeyId(TEAM_A))
  for (const k of [TEAM_A, TEAM_B, OPENAI_KEY, ANTHROPIC_KEY]) expect(stored).not.toContain(k)
  lmlb = await startLmlb({ ...options, cwd: lmlb.cwd })
  expect((await json('group_by=client_key,model')).total).toEqual(total)
})

test('a Chat stream that does not ask for usage: lmlb asks, counts it, and holds the usage chunk back from the client', async () => {
  const before = (await json('group_by=client_key')).total
  up.received.length = 0
  const res = await fetch(`${lmlb.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TEAM_A },
    body: JSON.stringify({ model: 'gpt-4o', stream: true, ...chat }),
  })
  const text = await res.text()
  expect(up.received[0].body.stream_options).toEqual({ include_usage: true })
  const events = text.split('\n\n').filter((e) => e.startsWith('data: '))
  expect(events.map((e) => (e === 'data: [DONE]' ? 'done' : JSON.parse(e.slice(6)).choices.length))).toEqual([1, 1, 'done'])
  expect(text).not.toContain('"usage":{')
  const after = (await json('group_by=client_key')).total
  expect([after.requests - before.requests, after.input_tokens - before.input_tokens, after.output_tokens - before.output_tokens]).toEqual([
    1, 1000, 100,
  ])

  // A client that asks gets the chunk, and its body goes on byte for byte.
  up.received.length = 0
  const asked = `{"model":"gpt-4o", "stream":true, "stream_options":{"include_usage":true}, "messages":[{"role":"user","content":"hi"}]}`
  const res2 = await fetch(`${lmlb.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TEAM_A },
    body: asked,
  })
  expect(await res2.text()).toContain('"usage":{')
  expect(up.received[0].raw).toBe(asked)
})

test('/admin/requests: every request kept, newest first, filtered by client key, model and status, paged by cursor', async () => {
  const admin = async (query: string) => {
    const res = await fetch(`${lmlb.url}/admin/requests?${query}`, { headers: { 'x-api-key': ADMIN } })
    return { status: res.status, body: (await res.json()) as any }
  }
  // No x-request-id asked: the id lmlb makes (a UUID, kept as its bytes) is the one the record reads back.
  const refused = await fetch(`${lmlb.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': TEAM_B },
    body: JSON.stringify({ model: 'nosuch/model', ...chat }),
  })
  await refused.text()
  expect(refused.status).toBe(404)
  const made = refused.headers.get('x-request-id')
  expect(made).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
  const all = (await admin('limit=1000')).body.data as any[]
  expect(all.length).toBeGreaterThanOrEqual(10)
  const times = all.map((r) => r.at)
  expect(times).toEqual(times.toSorted().reverse())
  // The refusal is there, named by its client key, with no upstream key and no cost.
  expect(all[0]).toMatchObject({ id: made, client_key: clientKeyId(TEAM_B), model: 'nosuch/model', status: 404, key: null, cost_usd: null })
  expect(all[0]).not.toHaveProperty('prompt')
  const failed = (await admin(`status=4xx&client_key=${clientKeyId(TEAM_B)}`)).body.data as any[]
  expect(failed.map((r) => r.status)).toEqual([404])
  const priced = (await admin('model=gpt-4o')).body.data as any[]
  expect(priced.length).toBeGreaterThanOrEqual(3)
  for (const r of priced) expect([r.served, r.key, r.cost_usd]).toEqual(['openai/gpt-4o', keyId('openai', OPENAI_KEY), expect.any(Number)])
  const translated = priced.find((r) => r.api === 'anthropic')
  expect(translated).toMatchObject({ model: 'openai/gpt-4o', served: 'openai/gpt-4o', input_tokens: 1000, output_tokens: 100 })
  expect(translated.cost_usd).toBeCloseTo(GPT_4O_COST, 12)
  expect(translated.attempts).toEqual([{ key: expect.stringContaining('...'), endpoint: up.base, outcome: '200' }])
  // Pages of two, following `next`, give the same rows as one page.
  const paged: any[] = []
  for (let cursor = ''; ; ) {
    const page = (await admin(`limit=2${cursor}`)).body
    paged.push(...page.data)
    if (!page.next) break
    cursor = `&cursor=${page.next}`
  }
  expect(paged.map((r) => r.id)).toEqual(all.map((r) => r.id))
  expect(JSON.stringify(all)).not.toContain(OPENAI_KEY)
  for (const [query, word] of [
    ['limit=0', 'limit'],
    ['status=teapot', 'status'],
    ['cursor=abc', 'cursor'],
  ]) {
    const res = await admin(query)
    expect([query, res.status, res.body.error.message.includes(word)]).toEqual([query, 400, true])
  }
})

test('/admin/usage: the admin key only; bad ranges, groupings and formats are 400s naming the parameter', async () => {
  expect((await fetch(`${lmlb.url}/admin/usage`)).status).toBe(401)
  expect((await fetch(`${lmlb.url}/admin/usage`, { headers: { 'x-api-key': TEAM_A } })).status).toBe(401)
  for (const [query, word] of [
    ['group_by=team', 'group_by'],
    ['format=xml', 'format'],
    ['from=yesterday', 'from'],
    ['from=2026-12-02&to=2026-12-01', 'must come after'],
  ]) {
    const res = await usage(query)
    expect([query, res.status]).toEqual([query, 400])
    expect(res.text).toContain(word)
  }
  // A range with nothing in it: no rows, zero totals.
  const empty = await json('from=2020-01-01&to=2020-01-31')
  expect(empty.rows).toEqual([])
  expect(empty.total).toMatchObject({ requests: 0, cost_usd: 0 })
})

test('200 requests at once lose no increment: the totals are exact', async () => {
  const before = (await json('group_by=model')).rows.find((r: { model: string }) => r.model === 'gpt-4o')
  const statuses = await Promise.all(
    Array.from({ length: 200 }, (_, i) => call('/v1/chat/completions', i % 2 ? TEAM_A : TEAM_B, { model: 'gpt-4o', ...chat })),
  )
  expect(statuses.every((s) => s === 200)).toBe(true)
  const after = (await json('group_by=model')).rows.find((r: { model: string }) => r.model === 'gpt-4o')
  expect([after.requests - before.requests, after.input_tokens - before.input_tokens, after.output_tokens - before.output_tokens]).toEqual([
    200, 200_000, 20_000,
  ])
  expect(after.cost_usd - before.cost_usd).toBeCloseTo(200 * GPT_4O_COST, 9)
})

test('a crash (SIGKILL) keeps every request written by the last flush, and counts none twice', async () => {
  // No timer flush during the test: the flushes are the ones /admin/usage makes before it answers.
  const crashing = await startLmlb({ ...options, process: true, env: { ...options.env, LMLB_USAGE_FLUSH_S: '3600' } })
  const totalOf = async (at: RunningLmlb): Promise<number> => (await json('', at)).total.requests
  const requests = (at: RunningLmlb, n: number) =>
    Promise.all(Array.from({ length: n }, () => call('/v1/chat/completions', TEAM_A, { model: 'gpt-4o', ...chat }, at)))
  let restarted: RunningLmlb | undefined
  try {
    expect(await requests(crashing, 3)).toEqual([200, 200, 200])
    expect(await totalOf(crashing)).toBe(3)
    expect(await requests(crashing, 2)).toEqual([200, 200])
    crashing.proc!.kill('SIGKILL')
    await crashing.proc!.exited
    restarted = await startLmlb({ ...options, cwd: crashing.cwd })
    // The last two ended after the last flush: a crash may lose them (docs/usage.md), never the first three.
    const total = await totalOf(restarted)
    expect(total).toBeGreaterThanOrEqual(3)
    expect(total).toBeLessThanOrEqual(5)
    const records = await fetch(`${restarted.url}/admin/requests`, { headers: { authorization: `Bearer ${ADMIN}` } })
    expect(((await records.json()) as { data: unknown[] }).data).toHaveLength(total)
  } finally {
    crashing.proc!.kill('SIGKILL')
    await restarted?.stop()
  }
})

test('LMLB_USAGE=off: nothing kept (no usage file), /admin/usage says so with a 503, /stats still counts', async () => {
  const off = await startLmlb({ ...options, env: { ...options.env, LMLB_USAGE: 'off' } })
  try {
    expect(
      await fetch(`${off.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': TEAM_A },
        body: JSON.stringify({ model: 'gpt-4o', ...chat }),
      }).then(async (r) => (await r.text(), r.status)),
    ).toBe(200)
    const res = await fetch(`${off.url}/admin/usage`, { headers: { 'x-api-key': ADMIN } })
    expect(res.status).toBe(503)
    expect(await res.text()).toContain('LMLB_USAGE=off')
    const stats = (await (await fetch(`${off.url}/stats`, { headers: { 'x-api-key': TEAM_A } })).json()) as any
    expect(stats.requests.spend).toEqual([expect.objectContaining({ model: 'gpt-4o', client_key: clientKeyId(TEAM_A), requests: 1 })])
    expect(existsSync(join(off.cwd, 'lmlb-data', 'usage.sqlite'))).toBe(false)
  } finally {
    await off.stop()
  }
})

test("a service's key_spend_cap over HTTP: each key past it is set aside, /admin/keys says why, the next request is refused upstream-free", async () => {
  const capKeys = ['sk-usage-capped-aaaa01', 'sk-usage-capped-bbbb02']
  const capped = await startLmlb({
    ...options,
    files: {
      'lmlb.yaml': `services:\n  capped:\n    endpoints: ["${up.base}"]\n    keys: [${capKeys.join(', ')}]\n    key_spend_cap: { usd_day: 0.005 }\n`,
    },
  })
  try {
    up.received.length = 0
    const send = () =>
      fetch(`${capped.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': TEAM_A },
        body: JSON.stringify({ model: 'capped/gpt-4o', ...chat }),
      }).then(async (r) => (await r.text(), r.status))
    // $0.003 a request: each key crosses its $0.005 with its second.
    expect([await send(), await send(), await send(), await send()]).toEqual([200, 200, 200, 200])
    expect(up.received.map((r) => r.headers.authorization)).toEqual([0, 1, 0, 1].map((i) => `Bearer ${capKeys[i]}`))
    expect(await send()).toBeGreaterThanOrEqual(429)
    expect(up.received).toHaveLength(4)
    const listed = (await (await fetch(`${capped.url}/admin/keys?service=capped`, { headers: { 'x-api-key': ADMIN } })).json()) as {
      keys: { id: string; state: string; reason: string | null }[]
    }
    expect(listed.keys.map((k) => [k.id, k.state, k.reason])).toEqual(capKeys.map((k) => [keyId('capped', k), 'cooling', 'spend_cap']))
  } finally {
    await capped.stop()
  }
})
