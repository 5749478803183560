/**
 * What instances sharing a real Redis learn from each other beyond 429s: a
 * key refused with 401 and an endpoint answering 5xx, a provider's report
 * that a key is spent, and where a session is pinned; how many instances
 * share the state; and a Redis that answers every command 200 ms late.
 * Each test uses a prefix of its own in one redis-server (Debian's
 * `redis-server`; the file skips without it).
 * lmlb runs as a process of its own here: several instances, each with its
 * own connections, as in production.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import Redis from 'ioredis'
import { connect, createServer, type Socket } from 'node:net'
import { openaiCompletion } from '../helpers/canned'
import { startLmlb, UNDER_DENO, type RunningLmlb } from '../helpers/lmlb'
import { freePort, REDIS_SERVER, startRedisServer, until, type RedisServer } from '../helpers/redis'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

if (!REDIS_SERVER) console.warn('shared-redis-learned.test.ts: skipped, no redis-server (Debian: apt-get install redis-server)')

const INVALID = 'sk-learn-invalid-0001'
const SPENT = 'sk-learn-spent-0002'
const SESSION = 'client-session-secret-7f3a9c'
const OPEN = 'team-learn-open-01'
const LIMITED = 'team-learn-rpm-01'
const LIMITS = `proxy_api_keys:\n  - ${OPEN}\n  - { value: ${LIMITED}, rpm: 1000 }\n`

let redis: RedisServer | undefined
let failing: FakeUpstream
let serving: FakeUpstream
const instances: RunningLmlb[] = []

beforeAll(async () => {
  if (!REDIS_SERVER) return
  redis = await startRedisServer(await freePort())
  // This endpoint fails for everyone, for 30 s.
  failing = startUpstream('failing', () =>
    Response.json({ error: { message: 'overloaded' } }, { status: 503, headers: { 'retry-after': '30' } }),
  )
  serving = startUpstream('serving', (r) => {
    const key = r.headers.authorization?.slice('Bearer '.length)
    if (key === INVALID) return Response.json({ error: { message: 'invalid api key' } }, { status: 401 })
    const answer = openaiCompletion(r.body.model, 'ok')
    // Served, and reported spent until its reset: no more requests for 30 s.
    if (key === SPENT)
      for (const [name, value] of Object.entries({
        'x-ratelimit-limit-requests': '100',
        'x-ratelimit-remaining-requests': '0',
        'x-ratelimit-reset-requests': '30s',
      }))
        answer.headers.set(name, value)
    return answer
  })
})

afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()))
  await redis?.stop()
  await Promise.all([failing, serving].map((u) => u?.stop()))
})

async function instance(
  prefix: string,
  keys: string[],
  endpoints: FakeUpstream[],
  more: { url?: string; args?: string[]; env?: Record<string, string> } = {},
): Promise<RunningLmlb> {
  const lmlb = await startLmlb({
    process: true,
    env: {
      OPENAI_API_KEYS: keys.join(','),
      SERVICE_ENDPOINTS: JSON.stringify({ openai: endpoints.map((e) => e.base) }),
      LMLB_REDIS_URL: more.url ?? `redis://127.0.0.1:${redis!.port}`,
      LMLB_REDIS_PREFIX: prefix,
      ...more.env,
    },
    args: ['--config', 'lmlb.yaml', ...(more.args ?? [])],
    files: { 'lmlb.yaml': LIMITS },
  })
  instances.push(lmlb)
  await lmlb.waitForLog('shared state: Redis at')
  return lmlb
}

const ask = async (lmlb: RunningLmlb, headers: Record<string, string> = {}, key = OPEN) => {
  const r = await fetch(`${lmlb.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, ...headers },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
  })
  await r.text()
  return r.status
}
const stats = async (lmlb: RunningLmlb) => (await fetch(`${lmlb.url}/stats`, { headers: { authorization: `Bearer ${OPEN}` } })).json()
const sentWith = (key: string) => serving.received.filter((r) => r.headers.authorization === `Bearer ${key}`).length
const keyOf = (i: number) => serving.received[i].headers.authorization.slice('Bearer '.length)

test.skipIf(!REDIS_SERVER)(
  'a key refused with 401 and an endpoint answering 503 through one instance: the others never send to them',
  async () => {
    const good = 'sk-learn-good-0003'
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => instance('t401', [INVALID, good], [failing, serving])))
    // Through A until both were met (the client never sees them: each request is retried elsewhere).
    for (let n = 0; n < 6 && (failing.received.length === 0 || sentWith(INVALID) === 0); n++) expect(await ask(a)).toBe(200)
    expect([failing.received.length, sentWith(INVALID)]).toEqual([1, 1])
    await Promise.all(
      [b, c].map((i) =>
        Promise.all([
          i.waitForLog('key sk-...0001 disabled (invalid_key) (by another instance)'),
          i.waitForLog(`${failing.base} cooling until`),
        ]),
      ),
    )
    for (const i of [b, c]) for (let n = 0; n < 5; n++) expect(await ask(i)).toBe(200)
    expect([failing.received.length, sentWith(INVALID)]).toEqual([1, 1])
    for (const i of [b, c]) expect((await stats(i)).load_balancer_stats.openai.keys[0].health.state).toBe('disabled')
  },
  30_000,
)

test.skipIf(!REDIS_SERVER)(
  "a provider's report that a key is spent, through one instance: the others pass it over until its reset, with no 429",
  async () => {
    const good = 'sk-learn-good-0004'
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => instance('tquota', [SPENT, good], [serving])))
    for (let n = 0; n < 2 && sentWith(SPENT) === 0; n++) expect(await ask(a)).toBe(200)
    expect(sentWith(SPENT)).toBe(1)
    const reported = async (i: RunningLmlb) => (await stats(i)).load_balancer_stats.openai.keys[0].quota.remaining_requests === 0
    await until(async () => (await reported(b)) && (await reported(c)), 'the quota report to reach B and C')
    for (const i of [b, c]) for (let n = 0; n < 5; n++) expect(await ask(i)).toBe(200)
    expect(sentWith(SPENT)).toBe(1)
  },
  30_000,
)

test.skipIf(!REDIS_SERVER)(
  'a session pinned through one instance stays on its key through the others, and one started later; Redis holds neither the session id nor a key',
  async () => {
    const keys = ['sk-learn-pin-0011', 'sk-learn-pin-0012', 'sk-learn-pin-0013', 'sk-learn-pin-0014']
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => instance('tpin', keys, [serving])))
    serving.received.length = 0
    // Two requests with no session first, so the pin is not where a fresh instance's round-robin would start.
    for (let n = 0; n < 2; n++) expect(await ask(a)).toBe(200)
    const session = { 'x-lmlb-session': SESSION }
    expect(await ask(a, session)).toBe(200)
    const pinned = keyOf(2)
    expect(pinned).toBe(keys[2])
    const knows = async (i: RunningLmlb) => (await stats(i)).load_balancer_stats.openai.affinity.pinned_sessions === 1
    await until(async () => (await knows(b)) && (await knows(c)), 'the pin to reach B and C')
    for (const i of [b, c, a, b, c, a]) expect(await ask(i, session)).toBe(200)
    expect(serving.received.slice(3).map((_, n) => keyOf(3 + n))).toEqual(Array(6).fill(pinned))
    for (const i of [b, c]) expect((await stats(i)).load_balancer_stats.openai.affinity.hits).toBe(2)

    // An instance started now reads the pin from Redis.
    const d = await instance('tpin', keys, [serving])
    await until(() => knows(d), 'D to read the pin')
    expect(await ask(d, session)).toBe(200)
    expect(keyOf(serving.received.length - 1)).toBe(pinned)

    // What lmlb keeps in Redis: hashes, never a key's or a session's value.
    const client = new Redis(`redis://127.0.0.1:${redis!.port}`)
    try {
      const names = await client.keys('*')
      const stored = (
        await Promise.all(
          names.map((n) => client.type(n).then((t) => (t === 'string' ? client.get(n) : client.zrange(n, 0, -1).then((m) => m.join(' '))))),
        )
      ).join('\n')
      expect(names.some((n) => n.startsWith('tpin:pin:'))).toBe(true)
      for (const secret of [SESSION, ...keys, INVALID, SPENT, OPEN, LIMITED]) expect(`${names.join('\n')}\n${stored}`).not.toContain(secret)
    } finally {
      client.disconnect()
    }
    for (const i of [a, b, c, d]) expect(i.log()).not.toContain(SESSION)
  },
  30_000,
)

test.skipIf(!REDIS_SERVER || UNDER_DENO)(
  '--workers 2 sharing Redis with another instance: two instances share the state, not three; a pin is counted once',
  async () => {
    const keys = ['sk-learn-workers-0021']
    const workers = await instance('tcount', keys, [serving], { args: ['--workers', '2'] })
    await workers.waitForLog('shared state: Redis at', 2)
    const other = await instance('tcount', keys, [serving])
    const counted = async (i: RunningLmlb, n: number) => (await stats(i)).shared?.instances === n
    await until(async () => (await counted(workers, 2)) && (await counted(other, 2)), 'both to count two instances')
    expect((await stats(workers)).workers).toBe(2)
    // A session pinned through one worker: every process holds the pin, and /stats counts it once.
    expect(await ask(workers, { 'x-lmlb-session': `${SESSION}-workers` })).toBe(200)
    const pinned = async (i: RunningLmlb) => (await stats(i)).load_balancer_stats.openai.affinity.pinned_sessions
    await until(async () => (await pinned(other)) === 1, 'the pin to reach the other instance')
    expect(await pinned(workers)).toBe(1)
  },
  30_000,
)

/** A TCP hop to Redis that hands on each of Redis's answers `ms` late. */
async function slowHop(target: number, ms: number): Promise<{ port: number; close(): void }> {
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1')
    for (const s of [client, upstream]) {
      sockets.add(s)
      s.on('error', () => {})
    }
    client.on('data', (data) => upstream.write(data))
    // Timers of equal delay fire in order: Redis's answers keep theirs.
    upstream.on('data', (data) => setTimeout(() => client.writable && client.write(data), ms))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.address() as { port: number }).port,
    close: () => {
      for (const s of sockets) s.destroy()
      server.close()
    },
  }
}

test.skipIf(!REDIS_SERVER)(
  'a Redis answering every command 200 ms late adds nothing to requests no client-key limit governs; a limited one waits one round trip',
  async () => {
    const hop = await slowHop(redis!.port, 200)
    try {
      const keys = ['sk-learn-slow-0031']
      const fast = await instance('tslow', keys, [serving])
      const slow = await instance('tslow', keys, [serving], { url: `redis://127.0.0.1:${hop.port}` })
      const median = async (lmlb: RunningLmlb, key = OPEN, n = 21) => {
        const times: number[] = []
        for (let i = 0; i < n; i++) {
          const t = performance.now()
          expect(await ask(lmlb, {}, key)).toBe(200)
          times.push(performance.now() - t)
        }
        return times.sort((x, y) => x - y)[n >> 1]
      }
      await median(fast, OPEN, 5) // warm both
      await median(slow, OPEN, 5)
      const [onFast, onSlow] = [await median(fast), await median(slow)]
      const limited = await median(slow, LIMITED, 3)
      console.log(
        `shared-redis: median request through lmlb with Redis answering at once ${onFast.toFixed(2)} ms, 200 ms late ${onSlow.toFixed(2)} ms; a limited key's request on the slow one ${limited.toFixed(1)} ms`,
      )
      // The one round trip a limited request waits for: the hop's delay is real. Any request that waited for Redis would take as long.
      expect(limited).toBeGreaterThanOrEqual(200)
      expect(onSlow).toBeLessThan(200)
    } finally {
      hop.close()
    }
  },
  30_000,
)

test.skipIf(!REDIS_SERVER)(
  'what an instance learned while Redis was away reaches the others once it is back',
  async () => {
    const own = await startRedisServer(await freePort())
    try {
      const keys = [SPENT.replace('spent', 'away'), 'sk-learn-back-0042']
      const limitedKey = keys[0]
      serving.handle((r) =>
        r.headers.authorization === `Bearer ${limitedKey}`
          ? Response.json({ error: { message: 'slow down' } }, { status: 429, headers: { 'retry-after': '30' } })
          : openaiCompletion(r.body.model, 'ok'),
      )
      const url = `redis://127.0.0.1:${own.port}`
      const [a, b] = await Promise.all([0, 1].map(() => instance('tback', keys, [serving], { url })))
      await own.stop()
      await Promise.all([a, b].map((i) => i.waitForLog('unreachable')))
      expect(await ask(a)).toBe(200)
      expect(sentWith(limitedKey)).toBe(1)
      const back = await startRedisServer(own.port)
      try {
        await b.waitForLog('key sk-...0002 cooling until')
        for (let n = 0; n < 3; n++) expect(await ask(b)).toBe(200)
        expect(sentWith(limitedKey)).toBe(1)
      } finally {
        await back.stop()
      }
    } finally {
      serving.reset()
    }
  },
  30_000,
)

test.skipIf(!REDIS_SERVER)(
  "a 429's cooldown ends at the same moment everywhere: the others take the key again once it is over",
  async () => {
    const keys = ['sk-learn-brief-0051', 'sk-learn-brief-0052']
    let limiting = true
    serving.handle((r) =>
      limiting && r.headers.authorization === `Bearer ${keys[0]}`
        ? Response.json({ error: { message: 'slow down' } }, { status: 429, headers: { 'retry-after': '3' } })
        : openaiCompletion(r.body.model, 'ok'),
    )
    try {
      const [a, b] = await Promise.all([0, 1].map(() => instance('tbrief', keys, [serving])))
      expect(await ask(a)).toBe(200)
      await b.waitForLog('key sk-...0051 cooling until')
      const left = async (i: RunningLmlb) => (await stats(i)).load_balancer_stats.openai.keys[0].health.cooldown_remaining_ms
      // The same deadline, not a cooldown restarted on arrival.
      const [leftA, leftB] = [await left(a), await left(b)]
      expect(leftB).toBeGreaterThan(0)
      expect(Math.abs(leftA - leftB)).toBeLessThan(100)
      limiting = false
      expect(await ask(b)).toBe(200)
      expect(sentWith(keys[0])).toBe(1)
      // Over: B sends to the key again.
      await until(async () => (await left(b)) === 0, "the key's cooldown to end in B", 5_000)
      for (let n = 0; n < 2; n++) expect(await ask(b)).toBe(200)
      expect(sentWith(keys[0])).toBe(2)
    } finally {
      serving.reset()
    }
  },
  30_000,
)

test.skipIf(!REDIS_SERVER)(
  'Redis unreachable at start: lmlb starts and serves, says so once, and connects when Redis comes',
  async () => {
    const port = await freePort()
    const lmlb = await startLmlb({
      process: true,
      env: {
        OPENAI_API_KEYS: 'sk-learn-start-0061',
        SERVICE_ENDPOINTS: JSON.stringify({ openai: [serving.base] }),
        LMLB_REDIS_URL: `redis://127.0.0.1:${port}`,
      },
    })
    instances.push(lmlb)
    await lmlb.waitForLog(`Redis at 127.0.0.1:${port} unreachable`)
    for (let n = 0; n < 3; n++) expect(await ask(lmlb)).toBe(200)
    expect((await (await fetch(`${lmlb.url}/health`)).json()).shared).toEqual({ redis: 'unreachable', instances: null })
    const late = await startRedisServer(port)
    try {
      await lmlb.waitForLog(`Redis at 127.0.0.1:${port} connected`)
      expect(lmlb.log().split('unreachable').length - 1).toBe(1)
      await until(async () => (await stats(lmlb)).shared?.instances === 1, 'the instance to count itself')
    } finally {
      await late.stop()
    }
  },
  30_000,
)

test.skipIf(!REDIS_SERVER)(
  'a Retry-After of 300,000 years through one instance: the others cool the key for a day at most, and live',
  async () => {
    const keys = ['sk-learn-forever-0071', 'sk-learn-forever-0072']
    serving.handle((r) =>
      r.headers.authorization === `Bearer ${keys[0]}`
        ? Response.json({ error: { message: 'go away' } }, { status: 429, headers: { 'retry-after': '10000000000000' } })
        : openaiCompletion(r.body.model, 'ok'),
    )
    try {
      const [a, b] = await Promise.all([0, 1].map(() => instance('tforever', keys, [serving])))
      expect(await ask(a)).toBe(200)
      await b.waitForLog('key sk-...0071 cooling until')
      expect(await ask(b)).toBe(200)
      for (const i of [a, b])
        expect((await stats(i)).load_balancer_stats.openai.keys[0].health.cooldown_remaining_ms).toBeLessThanOrEqual(86_400_000)
    } finally {
      serving.reset()
    }
  },
  30_000,
)

test.skipIf(!REDIS_SERVER)(
  'a key disabled elsewhere stays disabled here across a reload, and an instance that starts later reads it from Redis',
  async () => {
    const own = await startRedisServer(await freePort())
    const keys = ['sk-learn-refused-0081', 'sk-learn-fine-0082']
    serving.handle((r) =>
      r.headers.authorization === `Bearer ${keys[0]}`
        ? Response.json({ error: { message: 'invalid api key' } }, { status: 401 })
        : openaiCompletion(r.body.model, 'ok'),
    )
    try {
      const url = `redis://127.0.0.1:${own.port}`
      const [a, b] = await Promise.all([0, 1].map(() => instance('tkeep', keys, [serving], { url })))
      expect(await ask(a)).toBe(200)
      await b.waitForLog('key sk-...0081 disabled')
      const stateOfKey = async (i: RunningLmlb) => (await stats(i)).load_balancer_stats.openai.keys[0].health.state
      expect(await stateOfKey(b)).toBe('disabled')
      // B's operator reloads (a new key went in, say): the key stays out; a check or an operator brings it back.
      expect((await fetch(`${b.url}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${OPEN}` } })).status).toBe(200)
      expect(await stateOfKey(b)).toBe('disabled')
      const later = await instance('tkeep', keys, [serving], { url })
      await later.waitForLog('key sk-...0081 disabled')
      expect(await stateOfKey(later)).toBe('disabled')
      const before = serving.received.length
      for (let n = 0; n < 4; n++) expect(await ask(later)).toBe(200)
      expect(serving.received.slice(before).every((r) => r.headers.authorization === `Bearer ${keys[1]}`)).toBe(true)
    } finally {
      await own.stop()
      serving.reset()
    }
  },
  30_000,
)
