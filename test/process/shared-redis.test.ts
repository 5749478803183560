/**
 * Several instances sharing what they learn through a real Redis (Debian's
 * `redis-server`, started here on a free 127.0.0.1 port; the file skips
 * without it): a key that answers 429 through one instance is skipped by
 * the others, an instance started later reads it, and Redis going away
 * costs the clients nothing.
 * lmlb runs as a process of its own here: several instances, each with its
 * own connections, as in production.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { openaiCompletion } from '../helpers/canned'
import { freePort, REDIS_SERVER, startRedisServer, until, type RedisServer } from '../helpers/redis'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

if (!REDIS_SERVER) console.warn('shared-redis.test.ts: skipped, no redis-server (Debian: apt-get install redis-server)')
const REDIS = REDIS_SERVER
const KEYS = ['sk-shared-redis-aaaa01', 'sk-shared-redis-bbbb02']

let up: FakeUpstream
let port: number
let redis: RedisServer | undefined
const instances: RunningLmlb[] = []

const LIMITS =
  'proxy_api_keys:\n  - { value: team-shared-rpm-01, rpm: 5 }\n  - { value: team-shared-one-01, max_concurrent: 1 }\n  - team-shared-free-01\n'

async function instance(): Promise<RunningLmlb> {
  const lmlb = await startLmlb({
    process: true,
    env: {
      OPENAI_API_KEYS: KEYS.join(','),
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }),
      LMLB_REDIS_URL: `redis://127.0.0.1:${port}`,
    },
    args: ['--config', 'lmlb.yaml'],
    files: { 'lmlb.yaml': LIMITS },
  })
  instances.push(lmlb)
  await lmlb.waitForLog(`shared state: Redis at 127.0.0.1:${port} connected`)
  return lmlb
}

const ask = (lmlb: RunningLmlb, key = 'team-shared-rpm-01', content = 'x') =>
  fetch(`${lmlb.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}` },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content }] }),
  }).then(async (r) => (await r.text(), r.status))
/** Keys with limits below; this one has none. */
const OPEN = 'team-shared-free-01'
let release: () => void = () => {}
let holding: () => void = () => {}
const stats = async (lmlb: RunningLmlb) => (await fetch(`${lmlb.url}/stats`, { headers: { authorization: `Bearer ${OPEN}` } })).json()
const onKeyA = () => up.received.filter((r) => r.headers.authorization === `Bearer ${KEYS[0]}`).length

beforeAll(async () => {
  if (!REDIS) return
  port = await freePort()
  // Key A is rate limited (Retry-After: 30); key B serves.
  up = startUpstream('up', (r) => {
    if (r.headers.authorization === `Bearer ${KEYS[0]}`)
      return Response.json({ error: { message: 'slow down' } }, { status: 429, headers: { 'retry-after': '30' } })
    if (r.body.messages[0].content !== 'hold') return openaiCompletion(r.body.model, 'ok')
    holding()
    return new Promise((resolve) => (release = () => resolve(openaiCompletion(r.body.model, 'held'))))
  })
  redis = await startRedisServer(port)
})

afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()))
  await redis?.stop()
  await up?.stop()
})

test.skipIf(!REDIS)(
  'a 429 through one instance: the others skip that key at once; one started later reads it; Redis gone costs nothing',
  async () => {
    const [a, b, c] = [await instance(), await instance(), await instance()]
    const sent = performance.now()
    expect(await ask(a, OPEN)).toBe(200)
    expect(onKeyA()).toBe(1)
    await Promise.all([b, c].map((i) => i.waitForLog('key sk-...aa01 cooling until')))
    console.log(
      `shared-redis: a 429 through one instance reached the other two within ${(performance.now() - sent).toFixed(1)} ms (request included)`,
    )
    for (const i of [b, c]) for (let n = 0; n < 5; n++) expect(await ask(i, OPEN)).toBe(200)
    expect(onKeyA()).toBe(1)

    // An instance that starts now reads what still holds.
    const d = await instance()
    await d.waitForLog('key sk-...aa01 cooling until')
    expect(await ask(d, OPEN)).toBe(200)
    expect(onKeyA()).toBe(1)
    const health = await (await fetch(`${d.url}/health`, { headers: { authorization: `Bearer ${OPEN}` } })).json()
    // Four instances share the state: the newest counted them as it came; the others, told of it, count again.
    expect(health.shared).toEqual({ redis: 'connected', instances: 4 })
    await until(async () => (await stats(a)).shared?.instances === 4, 'A to count four instances')
    const metrics = (i: RunningLmlb) => fetch(`${i.url}/metrics`, { headers: { authorization: `Bearer ${OPEN}` } }).then((r) => r.text())
    expect(await metrics(a)).toContain(
      'lmlb_redis_connected 1\n# HELP lmlb_shared_instances Instances sharing state through Redis, as this one last counted.\n# TYPE lmlb_shared_instances gauge\nlmlb_shared_instances 4\n',
    )
    const promtool = Bun.which('promtool')
    if (promtool) {
      const check = Bun.spawnSync([promtool, 'check', 'metrics'], { stdin: new TextEncoder().encode(await metrics(a)) })
      expect({ code: check.exitCode, out: check.stdout.toString(), err: check.stderr.toString() }).toEqual({ code: 0, out: '', err: '' })
    }

    // Redis goes away: every client is still served; each instance says so once.
    await redis!.stop()
    await Promise.all([a, b, c, d].map((i) => i.waitForLog('unreachable')))
    for (const i of [a, b, c, d]) for (let n = 0; n < 3; n++) expect(await ask(i, OPEN)).toBe(200)
    for (const i of [a, b, c, d]) expect(i.log().split('unreachable').length - 1).toBe(1)
    expect(await metrics(a)).toContain('lmlb_redis_connected 0\n')
    expect(await metrics(a)).not.toContain('lmlb_shared_instances')
    expect((await (await fetch(`${a.url}/health`, { headers: { authorization: `Bearer ${OPEN}` } })).json()).shared).toEqual({
      redis: 'unreachable',
      instances: null,
    })
    // It comes back: they reconnect by themselves.
    redis = await startRedisServer(port)
    await Promise.all([a, b, c, d].map((i) => i.waitForLog(`Redis at 127.0.0.1:${port} connected`, 2)))
    await until(async () => (await stats(d)).shared?.instances === 4, 'D to count four instances again')
  },
  60_000,
)

test.skipIf(!REDIS)(
  'client-key limits hold across instances: rpm 5 through three instances is 5, not 15; max_concurrent 1 across them',
  async () => {
    const [a, b, c] = instances.slice(0, 3)
    const statuses: number[] = []
    for (let n = 0; n < 15; n++) statuses.push(await ask([a, b, c][n % 3]))
    expect(statuses.filter((s) => s === 200)).toHaveLength(5)
    expect(statuses.filter((s) => s === 429)).toHaveLength(10)

    const arrived = new Promise<void>((resolve) => (holding = resolve))
    const held = ask(a, 'team-shared-one-01', 'hold')
    await arrived
    expect(await ask(b, 'team-shared-one-01')).toBe(429)
    release()
    expect(await held).toBe(200)
    // Released in Redis when the answer ended: the next one through another instance goes.
    expect(await ask(c, 'team-shared-one-01')).toBe(200)
  },
  30_000,
)

/** A TCP hop to Redis that can stop passing the clients' commands on (Redis still connected, never answering). */
async function stallingHop(target: number): Promise<{ port: number; stall(): void; close(): void }> {
  const { connect, createServer: createTcpServer } = await import('node:net')
  let stalled = false
  const sockets = new Set<import('node:net').Socket>()
  const server = createTcpServer((client) => {
    const upstream = connect(target, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
    }
    client.on('data', (data) => stalled || upstream.write(data))
    upstream.on('data', (data) => client.write(data))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    stall: () => (stalled = true),
    close: () => {
      for (const s of sockets) s.destroy()
      server.close()
    },
  }
}

test.skipIf(!REDIS)(
  'a Redis that stops answering: requests without limits are served as before; a limited one is counted here after the command timeout',
  async () => {
    const hop = await stallingHop(port)
    try {
      const lmlb = await startLmlb({
        process: true,
        env: {
          OPENAI_API_KEYS: KEYS.join(','),
          SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }),
          LMLB_REDIS_URL: `redis://127.0.0.1:${hop.port}`,
        },
        args: ['--config', 'lmlb.yaml'],
        files: { 'lmlb.yaml': LIMITS },
      })
      instances.push(lmlb)
      await lmlb.waitForLog('shared state: Redis at')
      const timed = async (key: string) => {
        const t = performance.now()
        const status = await ask(lmlb, key)
        return { status, ms: performance.now() - t }
      }
      const before = await timed(OPEN)
      hop.stall()
      // Nothing a request without limits does awaits Redis: served as before.
      const open = [await timed(OPEN), await timed(OPEN), await timed(OPEN)]
      const limited = await timed('team-shared-rpm-01')
      console.log(
        `shared-redis: Redis not answering: unlimited requests ${open.map((o) => o.ms.toFixed(1)).join(', ')} ms (before: ${before.ms.toFixed(1)} ms); a limited one ${limited.ms.toFixed(1)} ms (ioredis commandTimeout 500 ms, then counted here)`,
      )
      expect([before.status, ...open.map((o) => o.status), limited.status]).toEqual([200, 200, 200, 200, 200])
      // Its next heartbeat times out too: Redis is called unreachable (connected or not), and limited requests are counted here without asking it.
      await lmlb.waitForLog('unreachable (Command timed out)')
      expect((await (await fetch(`${lmlb.url}/health`, { headers: { authorization: `Bearer ${OPEN}` } })).json()).shared).toEqual({
        redis: 'unreachable',
        instances: null,
      })
      const after = await timed('team-shared-rpm-01')
      console.log(`shared-redis: once the heartbeat found it silent, a limited request ${after.ms.toFixed(1)} ms`)
      expect(after.status).toBe(200)
    } finally {
      hop.close()
    }
  },
  30_000,
)
