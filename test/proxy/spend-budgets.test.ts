/**
 * Spend budgets per client key (budget_usd_day, budget_usd_month), in
 * process through createApp with the usage clock injected: the request
 * that would start once a budget is spent gets a 429 in its own API's
 * shape naming the budget and its reset, nothing sent upstream; the next
 * day (or month) it is served again; the warning share is logged once;
 * other keys are untouched. Each request costs $0.003 (gpt-4o, 1,000 in
 * of which 400 cached, 100 out).
 */
import { afterAll, beforeEach, expect, test } from 'bun:test'
import { createApp } from '../../src/app'
import { loadConfig } from '../../src/config/load'
import { createLogger } from '../../src/observability/log'
import { createRuntime } from '../../src/state/runtime'
import { startUpstream } from '../helpers/upstream'
import { tempUsageStore } from '../helpers/usage-store'

const USAGE = { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100, prompt_tokens_details: { cached_tokens: 400 } }
const up = startUpstream('up', ({ path, body }) =>
  path.endsWith('/messages')
    ? Response.json({ error: 'not here' }, { status: 500 })
    : Response.json({
        id: 'chatcmpl-b',
        object: 'chat.completion',
        created: 1,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: USAGE,
      }),
)
afterAll(() => up.stop())
beforeEach(() => up.reset())

const DAILY = 'team-daily-budget-0001'
const MONTHLY = 'team-monthly-budget-0002'
const FREE = 'team-without-budget-0003'

function appAt(start: string) {
  const file = [
    'proxy_api_keys:',
    `  - { value: ${DAILY}, budget_usd_day: 0.005, budget_warn_at: 0.5 }`,
    `  - { value: ${MONTHLY}, budget_usd_month: 0.008 }`,
    `  - ${FREE}`,
    'services:',
    '  capped:',
    `    endpoints: ["${up.base}"]`,
    '    keys: [sk-capped-key-aaaa01, sk-capped-key-bbbb02]',
    '    key_spend_cap: { usd_day: 0.005 }',
    '    prices: { gpt-4o: { input: 2.5, output: 10, cache_read: 1.25 } }',
    '  wholecap:',
    `    endpoints: ["${up.base}"]`,
    '    keys: [sk-whole-cap-key-cccc03, sk-whole-cap-key-dddd04]',
    '    spend_cap: { usd_day: 0.005 }',
  ].join('\n')
  const env = { OPENAI_API_KEYS: 'sk-openai-budget-0001', SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }) }
  const loaded = loadConfig({ env, file: { path: 'lmlb.yaml', text: file } })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  const clock = { now: Date.parse(start) }
  const lines: string[] = []
  const logger = createLogger('info', '', (line) => lines.push(line))
  const usageStore = tempUsageStore(() => clock.now)
  const runtime = createRuntime({ config: loaded.config, logger, read: () => loaded, usageStore, usageClock: () => clock.now })
  const app = createApp(runtime)
  const send = async (key: string, path = '/v1/chat/completions', model = 'gpt-4o') => {
    const body = path.endsWith('/messages')
      ? { model: 'openai/gpt-4o', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] }
      : { model, messages: [{ role: 'user', content: 'hi' }] }
    const headers = { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' }
    const res = await app.fetch(new Request(`http://localhost${path}`, { method: 'POST', headers, body: JSON.stringify(body) }))
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any }
  }
  return { clock, lines, send, runtime }
}

test('a daily budget: served until it is spent, then 429 naming it and its reset, in each API shape; served again the next day', async () => {
  const { clock, lines, send } = appAt('2026-12-06T22:00:00Z')
  expect((await send(DAILY)).status).toBe(200) // $0.003: past the warning share (half of $0.005)
  expect(lines.filter((l) => l.includes('daily budget'))).toHaveLength(1)
  expect((await send(DAILY)).status).toBe(200) // $0.006: this one crossed the budget; it is served
  const chat = await send(DAILY)
  expect(chat.status).toBe(429)
  expect(chat.body.error).toMatchObject({ type: 'rate_limit_error', code: 'budget_exceeded' })
  expect(chat.body.error.message).toContain('spent $0.006 of its daily budget of $0.005')
  expect(chat.body.error.message).toContain('resets at 2026-12-07T00:00:00.000Z')
  expect(chat.retryAfter).toBe(String(2 * 3600))
  const messages = await send(DAILY, '/v1/messages')
  expect(messages.status).toBe(429)
  expect(messages.body).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } })
  expect(up.received).toHaveLength(2)
  // Another key is not touched; the warning was said once.
  expect((await send(FREE)).status).toBe(200)
  expect(lines.filter((l) => l.includes('daily budget'))).toHaveLength(1)

  clock.now = Date.parse('2026-12-07T00:00:01Z')
  expect((await send(DAILY)).status).toBe(200)
})

test('a monthly budget holds across days and resets with the month; what was spent is read back from the store', async () => {
  const { clock, send, runtime } = appAt('2026-12-30T12:00:00Z')
  for (let i = 0; i < 3; i++) expect((await send(MONTHLY)).status).toBe(200) // $0.009 ≥ $0.008 after the third
  clock.now = Date.parse('2026-12-31T12:00:00Z')
  const refused = await send(MONTHLY)
  expect(refused.status).toBe(429)
  expect(refused.body.error.message).toContain('monthly budget')
  expect(refused.body.error.message).toContain('resets at 2027-01-01T00:00:00.000Z')
  // Written to the store and read back (as a restart or another process would): still refused.
  runtime.usage.flush()
  expect(runtime.usage.spentBy(runtime.current.clientKeyIds.get(MONTHLY)!).month).toBeCloseTo(0.009, 12)
  expect((await send(MONTHLY)).status).toBe(429)
  clock.now = Date.parse('2027-01-01T00:00:00Z')
  expect((await send(MONTHLY)).status).toBe(200)
})

test("a service's key_spend_cap: a key past it is set aside (its state says why) until the day resets; the others serve on", async () => {
  // Today, as the balancer reads the real clock: a key set aside until midnight is aside now.
  const { clock, lines, send, runtime } = appAt(new Date().toISOString())
  const keys = runtime.current.pools.get('capped')!.keys.items
  const sentWith = () => up.received.map((r) => r.headers.authorization?.slice(-6))
  for (let i = 0; i < 4; i++) expect((await send(FREE, undefined, 'capped/gpt-4o')).status).toBe(200)
  // Round-robin: each key served two ($0.006 each, past the $0.005 cap after its second).
  expect(sentWith()).toEqual(['aaaa01', 'bbbb02', 'aaaa01', 'bbbb02'])
  for (const key of keys) expect(key.health.toJSON(clock.now)).toMatchObject({ state: 'cooling', set_aside: 'spend_cap' })
  expect(lines.filter((l) => l.includes('reached its spend cap'))).toHaveLength(2)
  const refused = await send(FREE, undefined, 'capped/gpt-4o')
  expect(refused.status).toBeGreaterThanOrEqual(429)
  expect(up.received).toHaveLength(4)
  // Set aside until midnight UTC, then back (the balancer reads the real clock: the reset is checked on the keys' health).
  const midnight = (Math.floor(clock.now / 86_400_000) + 1) * 86_400_000
  for (const key of keys) {
    expect([key.health.available(midnight - 1), key.health.available(midnight)]).toEqual([false, true])
    expect(key.health.toJSON(midnight).set_aside).toBeUndefined()
  }
})

test("a service's spend_cap: once the whole service has spent it, every key of it is set aside until the day resets", async () => {
  const { clock, lines, send, runtime } = appAt(new Date().toISOString())
  const keys = runtime.current.pools.get('wholecap')!.keys.items
  expect((await send(FREE, undefined, 'wholecap/gpt-4o')).status).toBe(200) // $0.003, on one key
  for (const key of keys) expect(key.health.available(clock.now)).toBe(true)
  expect((await send(FREE, undefined, 'wholecap/gpt-4o')).status).toBe(200) // $0.006 in all, on the other: past $0.005
  for (const key of keys) expect(key.health.toJSON(clock.now)).toMatchObject({ state: 'cooling', set_aside: 'service_spend_cap' })
  expect(lines.filter((l) => l.includes('wholecap: the service reached its spend cap'))).toHaveLength(1)
  expect((await send(FREE, undefined, 'wholecap/gpt-4o')).status).toBeGreaterThanOrEqual(429)
  expect(up.received).toHaveLength(2)
  const midnight = (Math.floor(clock.now / 86_400_000) + 1) * 86_400_000
  for (const key of keys) expect(key.health.available(midnight)).toBe(true)
})
