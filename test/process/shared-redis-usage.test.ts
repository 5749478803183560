/**
 * Usage shared through a real redis-server (Debian's `redis-server`; skipped
 * without it), two lmlb instances as processes of their own: requests
 * through either give the same totals on both (GET /admin/usage says
 * `shared`), and list the same request records; a daily budget holds across them; an instance cut from Redis
 * keeps counting, and adds what it counted when Redis is back, once.
 * Each request costs $0.003 (gpt-4o: 1,000 in of which 400 cached, 100 out).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { clientKeyId } from '../../src/observability/spend'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { freePort, REDIS_SERVER, startRedisServer, until, type RedisServer } from '../helpers/redis'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

if (!REDIS_SERVER) console.warn('shared-redis-usage.test.ts: skipped, no redis-server (Debian: apt-get install redis-server)')
const withRedis = test.skipIf(!REDIS_SERVER)

const ADMIN = 'admin-key-for-shared-usage-01'
const TEAM = 'team-shared-usage-key-0001'
const LIMITED = 'team-shared-budget-key-0002'
const USAGE = { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100, prompt_tokens_details: { cached_tokens: 400 } }
const COST = (600 * 2.5 + 400 * 1.25 + 100 * 10) / 1e6

let port: number
let redis: RedisServer | undefined
let up: FakeUpstream
const instances: RunningLmlb[] = []

beforeAll(async () => {
  if (!REDIS_SERVER) return
  port = await freePort()
  redis = await startRedisServer(port)
  up = startUpstream('usage', ({ body }) =>
    Response.json({
      id: 'chatcmpl-s',
      object: 'chat.completion',
      created: 1,
      model: body.model,
      choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
      usage: USAGE,
    }),
  )
})

afterAll(async () => {
  await Promise.all(instances.splice(0).map((i) => i.stop()))
  await redis?.stop()
  await up?.stop()
})

/** An instance sharing the Redis, flushing every second, once it says Redis is connected. */
async function instance(): Promise<RunningLmlb> {
  const lmlb = await startLmlb({
    process: true,
    env: {
      OPENAI_API_KEYS: 'sk-openai-shared-usage-01',
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }),
      LMLB_REDIS_URL: `redis://127.0.0.1:${port}`,
      LMLB_ADMIN_KEY: ADMIN,
      LMLB_USAGE_FLUSH_S: '1',
    },
    args: ['--config', 'lmlb.yaml'],
    files: { 'lmlb.yaml': `proxy_api_keys:\n  - ${TEAM}\n  - { value: ${LIMITED}, budget_usd_day: 0.005 }\n` },
  })
  instances.push(lmlb)
  await lmlb.waitForLog('shared state: Redis at')
  await until(async () => (await usage(lmlb)).shared === true, 'usage shared through Redis')
  return lmlb
}

const ask = (lmlb: RunningLmlb, key = TEAM) =>
  fetch(`${lmlb.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': key },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
  }).then(async (r) => (await r.text(), r.status))

const records = async (lmlb: RunningLmlb) =>
  (await (await fetch(`${lmlb.url}/admin/requests?limit=50`, { headers: { 'x-api-key': ADMIN } })).json()) as {
    data: { id: string; client_key: string; status: number }[]
  }

const usage = async (lmlb: RunningLmlb) =>
  (await (await fetch(`${lmlb.url}/admin/usage?group_by=client_key`, { headers: { 'x-api-key': ADMIN } })).json()) as {
    shared: boolean
    total: { requests: number; input_tokens: number; cost_usd: number }
  }

withRedis(
  'two instances: the same totals on both; a daily budget holds across them; one cut from Redis adds what it counted when back, once',
  async () => {
    const [a, b] = await Promise.all([instance(), instance()])
    const start = (await usage(a)).total.requests
    for (let i = 0; i < 3; i++) expect(await ask(a)).toBe(200)
    for (let i = 0; i < 2; i++) expect(await ask(b)).toBe(200)
    // Asking writes what that instance holds: once both were asked, both answer the same.
    await usage(a)
    await usage(b)
    const [onA, onB] = [await usage(a), await usage(b)]
    expect([onA.shared, onB.shared]).toEqual([true, true])
    expect(onA.total).toEqual(onB.total)
    expect(onA.total.requests - start).toBe(5)
    // The request records too: either instance lists all five, newest first, the same page.
    const [listA, listB] = [await records(a), await records(b)]
    expect(listA.data.map((r) => r.id)).toEqual(listB.data.map((r) => r.id))
    expect(listA.data.filter((r) => r.client_key === clientKeyId(TEAM) && r.status === 200)).toHaveLength(5)

    // The budget ($0.005 a day): two requests on A take the key past it; B, which served it nothing, refuses it
    // once it has read back A's spending (at each flush; asking B for usage makes it flush and read back now).
    expect([await ask(a, LIMITED), await ask(a, LIMITED), await ask(a, LIMITED)]).toEqual([200, 200, 429])
    await usage(a)
    await usage(b)
    expect(await ask(b, LIMITED)).toBe(429)

    // Redis goes away: B counts on its own (its answer says so), and when Redis is back (empty: a restart without
    // persistence) B adds what it counted while away, once; A's totals since then are there too.
    await redis!.stop()
    for (let i = 0; i < 4; i++) expect(await ask(b)).toBe(200)
    expect((await usage(b)).shared).toBe(false)
    redis = await startRedisServer(port)
    await until(async () => (await usage(b)).shared === true, 'B reconnected', 10_000)
    await until(async () => (await usage(a)).shared === true, 'A reconnected', 10_000)
    expect(await ask(a)).toBe(200)
    await usage(a)
    const [afterA, afterB] = [await usage(a), await usage(b)]
    expect(afterA.total).toEqual(afterB.total)
    // What Redis holds now: B's four while away, and A's one since; nothing counted twice.
    expect(afterA.total.requests).toBe(5)
    expect(afterA.total.cost_usd).toBeCloseTo(5 * COST, 12)
  },
  60_000,
)
