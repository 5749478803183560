/**
 * Keys steered through one instance, seen by all (a real redis-server; the
 * file skips without it): a batch added through A's admin API serves from B
 * and C, a key disabled through B is disabled on A and C, one deleted
 * through C is gone everywhere, and an instance started later holds the
 * same set; and a key lmlb disabled is checked by one instance at a time,
 * not by each.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { freePort, REDIS_SERVER, startRedisServer, type RedisServer } from '../helpers/redis'
import { defaultReply, startUpstream, type FakeUpstream, type Received } from '../helpers/upstream'

if (!REDIS_SERVER) console.warn('shared-redis-keys.test.ts: skipped, no redis-server (Debian: apt-get install redis-server)')

const ADMIN = 'admin-key-shared-redis-000001'
const CONFIGURED = 'sk-shared-configured-0001'
const ADDED = ['sk-shared-added-key-000a', 'sk-shared-added-key-000b']
const DEAD = 'sk-shared-dead-key-0009'

let redis: RedisServer | undefined
let up: FakeUpstream
/** When each check of the dead key arrived; `tenth` resolves with the tenth. */
const checkTimes: number[] = []
let tenth!: () => void
const tenChecks = new Promise<void>((r) => (tenth = r))
const instances: RunningLmlb[] = []
const bearer = (r: Received) => r.headers.authorization?.slice('Bearer '.length)

beforeAll(async () => {
  if (!REDIS_SERVER) return
  redis = await startRedisServer(await freePort())
  const reply = defaultReply('up')
  up = startUpstream('up', (r, req) => {
    if (bearer(r) === DEAD && r.method === 'GET' && checkTimes.push(performance.now()) === 10) tenth()
    if (bearer(r) === DEAD) return Response.json({ error: { message: 'invalid api key', code: 'invalid_api_key' } }, { status: 401 })
    return r.method === 'GET' ? Response.json({ object: 'list', data: [] }) : reply(r, req)
  })
})

afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()))
  await redis?.stop()
  await up?.stop()
})

async function instance(prefix: string, keys: string[], env: Record<string, string> = {}): Promise<RunningLmlb> {
  const lmlb = await startLmlb({
    process: true,
    env: {
      OPENAI_API_KEYS: keys.join(','),
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }),
      LMLB_REDIS_URL: `redis://127.0.0.1:${redis!.port}`,
      LMLB_REDIS_PREFIX: prefix,
      LMLB_ADMIN_KEY: ADMIN,
      ...env,
    },
  })
  instances.push(lmlb)
  await lmlb.waitForLog('shared state: Redis at')
  return lmlb
}

const admin = (lmlb: RunningLmlb, method: string, path: string, body?: object) =>
  fetch(`${lmlb.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body && JSON.stringify(body),
  })
const listed = async (lmlb: RunningLmlb) =>
  ((await (await admin(lmlb, 'GET', '/admin/keys')).json()).keys as { key: string; source: string; state: string }[]).map(
    (k) => `${k.key} ${k.source} ${k.state}`,
  )
const ask = async (lmlb: RunningLmlb) => {
  const r = await fetch(`${lmlb.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
  })
  await r.text()
  return r.status
}

test.skipIf(!REDIS_SERVER)(
  'added through A, disabled through B, deleted through C: every instance, and one started later, holds the same keys',
  async () => {
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => instance('tkeys', [CONFIGURED])))
    const added = await (await admin(a, 'POST', '/admin/keys', { service: 'openai', keys: ADDED })).json()
    await Promise.all([b, c].map((i) => i.waitForLog('keys added or deleted through the admin API of another instance taken in')))
    const all = ['sk-...0001 config active', 'sk-...000a admin active', 'sk-...000b admin active']
    for (const i of [a, b, c]) expect(await listed(i)).toEqual(all)
    // B sends with them.
    const before = up.received.length
    for (let n = 0; n < 3; n++) expect(await ask(b)).toBe(200)
    expect(up.received.slice(before).map(bearer).toSorted()).toEqual([CONFIGURED, ...ADDED].toSorted())

    expect((await admin(b, 'POST', `/admin/keys/${added.added[0]}/disable`)).status).toBe(200)
    await Promise.all([a, c].map((i) => i.waitForLog('key sk-...000a disabled (operator) (by another instance)')))
    expect((await admin(c, 'DELETE', `/admin/keys/${added.added[1]}`)).status).toBe(200)
    // A added the keys (nothing to take in then), B took them in once before.
    await Promise.all([a.waitForLog('taken in'), b.waitForLog('taken in', 2)])
    const now = ['sk-...0001 config active', 'sk-...000a admin disabled']
    for (const i of [a, b, c]) expect(await listed(i)).toEqual(now)

    const later = await instance('tkeys', [CONFIGURED])
    await later.waitForLog('taken in')
    await later.waitForLog('key sk-...000a disabled (operator) (by another instance)')
    expect(await listed(later)).toEqual(now)
    for (const i of [a, b, c, later]) for (const key of [CONFIGURED, ...ADDED, ADMIN]) expect(i.log()).not.toContain(key)
  },
  30_000,
)

test.skipIf(!REDIS_SERVER)(
  'a disabled key is checked by one instance at a time: ten checks by three instances take at least nine intervals',
  async () => {
    const interval = 0.2
    const three = await Promise.all(
      [0, 1, 2].map(() => instance('tcheck', [DEAD, CONFIGURED], { LMLB_KEY_CHECK_INTERVAL_S: String(interval) })),
    )
    expect(await ask(three[0])).toBe(200)
    await Promise.all(three.map((i) => i.waitForLog('key sk-...0009 disabled')))
    await tenChecks
    // Each claim holds a key's check for 0.7 of an interval; without it, three instances check about three times as often.
    expect(checkTimes[9] - checkTimes[0]).toBeGreaterThanOrEqual(9 * 0.7 * interval * 1000 - 50)
  },
  30_000,
)
