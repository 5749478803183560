/** --workers: several processes on one port, answering /stats and reloads for the whole. */
import { afterEach, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startLmlb, UNDER_DENO, type RunningLmlb } from '../helpers/lmlb'
import { raw } from '../helpers/raw-http'
import { openaiCompletion } from '../helpers/canned'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

// Workers are Bun's (runtime/bun.ts spawns them); on Deno, --workers is refused (test/e2e/deno.test.ts).
const workersTest = test.skipIf(UNDER_DENO)

const running: { stop(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()))
})

const dotenv = (up: FakeUpstream, keys: string) => `OPENAI_API_KEYS=${keys}\nSERVICE_ENDPOINTS={"openai": ["${up.base}"]}\n`

/** Fresh connections, so the kernel spreads them over the workers. */
const burst = (lmlb: RunningLmlb, n: number) =>
  Promise.all(
    Array.from({ length: n }, () =>
      fetch(`${lmlb.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', connection: 'close' },
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      }).then((r) => r.status),
    ),
  )

workersTest('2 workers: /stats and /metrics add both up; a reload reaches both; SIGTERM stops both', async () => {
  const up = startUpstream('up')
  const lmlb = await startLmlb({ args: ['--workers', '2'], dotenv: dotenv(up, 'sk-first-key-000001') })
  running.push(up)
  await lmlb.waitForLog('[worker 1] ready')
  expect(lmlb.log()).toContain('(2 workers)')

  expect(await burst(lmlb, 200)).toEqual(Array(200).fill(200))
  const stats = await (await fetch(`${lmlb.url}/stats`)).json()
  expect(stats.workers).toBe(2)
  expect(stats.load_balancer_stats.openai.keys[0].requests).toBe(200)
  expect(stats.load_balancer_stats.openai.endpoint_stats[0].in_flight).toBe(0)
  const metrics = await (await fetch(`${lmlb.url}/metrics`)).text()
  expect(metrics).toContain('lmlb_workers 2')
  expect(metrics).toMatch(/lmlb_upstream_requests_total\{service="openai",target="key",id="sk-...0001"\} 200/)
  // Histograms add up bucket by bucket: every request counted once, whichever worker took it.
  expect(stats.requests.by_api).toEqual({ openai: { '2xx': 200 } })
  expect(stats.requests.duration.map((s: any) => [s.outcome, s.histogram.count])).toEqual([['success', 200]])
  expect(stats.load_balancer_stats.openai.endpoint_stats[0].latency.count).toBe(200)
  expect(metrics).toMatch(/^lmlb_request_duration_seconds_bucket\{service="openai",model="[^"]+",outcome="success",le="\+Inf"\} 200$/m)

  writeFileSync(join(lmlb.cwd, '.env'), dotenv(up, 'sk-second-key-00002'))
  const reload = await fetch(`${lmlb.url}/admin/reload`, { method: 'POST', headers: { connection: 'close' } })
  expect(reload.status).toBe(200)
  up.received.length = 0
  expect(await burst(lmlb, 60)).toEqual(Array(60).fill(200))
  expect(new Set(up.received.map((r) => r.headers.authorization))).toEqual(new Set(['Bearer sk-second-key-00002']))

  lmlb.proc!.kill('SIGTERM')
  expect(await lmlb.proc!.exited).toBe(0)
  const refused = await fetch(`${lmlb.url}/health`).then(
    () => 'served',
    () => 'refused',
  )
  expect(refused).toBe('refused')
})

workersTest('a worker that dies is started again, and what it counted stays in /stats', async () => {
  const up = startUpstream('up')
  running.push(up)
  const lmlb = await startLmlb({ args: ['--workers', '2'], dotenv: dotenv(up, 'sk-counted-key-000001') })
  running.push(lmlb)
  await lmlb.waitForLog('[worker 1] ready')
  expect(await burst(lmlb, 100)).toEqual(Array(100).fill(200))
  const requests = async () =>
    (await (await fetch(`${lmlb.url}/stats`, { headers: { connection: 'close' } })).json()).load_balancer_stats.openai.keys[0].requests
  expect(await requests()).toBe(100) // the primary now holds the worker's latest figures
  const { readFileSync } = await import('node:fs')
  const children = readFileSync(`/proc/${lmlb.proc!.pid}/task/${lmlb.proc!.pid}/children`, 'utf8').trim().split(/\s+/).map(Number)
  expect(children).toHaveLength(1)
  const restarted = lmlb.waitForLog('worker 1 exited')
  process.kill(children[0], 'SIGKILL')
  await restarted
  await lmlb.waitForLog('[worker 1] ready', 2)
  expect((await fetch(`${lmlb.url}/health`)).status).toBe(200)
  // Killed outright, it could say nothing more: its requests still count (before: they left /stats with it).
  expect(await requests()).toBe(100)
})

workersTest('2 workers: every worker routes a short Host and answers CONNECT with a short 400', async () => {
  const lmlb = await startLmlb({ args: ['--workers', '2'] })
  running.push(lmlb)
  await lmlb.waitForLog('[worker 1] ready')
  // Each raw request is a fresh connection, so the kernel spreads them over the workers.
  const answers = await Promise.all(Array.from({ length: 20 }, () => raw(lmlb.url, 'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1')))
  for (const a of answers) expect([a.status, JSON.parse(a.body).error.code]).toEqual([400, 'invalid_request_target'])
  const health = await Promise.all(Array.from({ length: 20 }, () => raw(lmlb.url, 'GET /health HTTP/1.1\r\nHost: llm')))
  expect(health.map((h) => h.status)).toEqual(Array(20).fill(200))
})

workersTest('2 workers: a 429 seen by one cools the key for the other (through the primary)', async () => {
  // Key A answers 429 (Retry-After: 30) every time; key B serves.
  const up = startUpstream('up', (r) =>
    r.headers.authorization === 'Bearer sk-shared-key-aaaa01'
      ? Response.json({ error: { message: 'slow down' } }, { status: 429, headers: { 'retry-after': '30' } })
      : openaiCompletion(r.body.model, 'ok'),
  )
  const lmlb = await startLmlb({ args: ['--workers', '2'], dotenv: dotenv(up, 'sk-shared-key-aaaa01,sk-shared-key-bbbb02') })
  running.push(up, lmlb)
  await lmlb.waitForLog('[worker 1] ready')
  // One request meets A's 429 in whichever process takes it; the other process hears of it.
  expect(await burst(lmlb, 1)).toEqual([200])
  await lmlb.waitForLog('key sk-...aa01 cooling until')
  // Then both processes take requests (fresh connections), and neither sends one to A.
  expect(await burst(lmlb, 40)).toEqual(Array(40).fill(200))
  const onA = up.received.filter((r) => r.headers.authorization === 'Bearer sk-shared-key-aaaa01')
  expect(onA).toHaveLength(1)
  const stats = await (await fetch(`${lmlb.url}/stats`)).json()
  expect(stats.load_balancer_stats.openai.keys[0].health.state).toBe('cooling')
})

workersTest('2 workers: a client key limit holds for both together (counted in the primary)', async () => {
  const lmlb = await startLmlb({
    args: ['--workers', '2', '--config', 'lmlb.yaml'],
    files: { 'lmlb.yaml': 'proxy_api_keys:\n  - { value: team-workers-key-01, rpm: 4 }\n' },
  })
  running.push(lmlb)
  await lmlb.waitForLog('[worker 1] ready')
  // Fresh connections, so both processes take some; one at a time, so the count is exact.
  const statuses: number[] = []
  for (let i = 0; i < 30; i++) {
    const res = await fetch(`${lmlb.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close', authorization: 'Bearer team-workers-key-01' },
      body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'x' }] }),
    })
    await res.text()
    statuses.push(res.status)
  }
  expect(statuses).toEqual([...Array(4).fill(200), ...Array(26).fill(429)])
  // Both processes answered some of them (else this would not test the sharing): their request lines say so.
  const lines = lmlb
    .log()
    .split('\n')
    .filter((l) => l.includes(' POST /v1/chat/completions mock/echo'))
  expect(lines).toHaveLength(30)
  expect(new Set(lines.map((l) => l.includes('[worker 1]')))).toEqual(new Set([true, false]))
})

/** One request on a fresh connection (so the kernel may give it to either process); the key it reached. */
async function keyUsed(lmlb: RunningLmlb, up: FakeUpstream, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${lmlb.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', connection: 'close', ...headers },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
  })
  expect(res.status).toBe(200)
  await res.text()
  return up.received.at(-1)!.headers.authorization
}

workersTest("2 workers: a provider's report that a key is spent, through one, keeps the other off it too", async () => {
  const spent = 'Bearer sk-workers-spent-0001'
  const up = startUpstream('up', (r) => {
    const answer = openaiCompletion(r.body.model, 'ok')
    if (r.headers.authorization === spent)
      for (const [name, value] of Object.entries({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '30s' }))
        answer.headers.set(name, value)
    return answer
  })
  const lmlb = await startLmlb({ args: ['--workers', '2'], dotenv: dotenv(up, 'sk-workers-spent-0001,sk-workers-fine-0002') })
  running.push(up, lmlb)
  await lmlb.waitForLog('[worker 1] ready')
  for (let n = 0; n < 4 && !up.received.some((r) => r.headers.authorization === spent); n++) await keyUsed(lmlb, up)
  await lmlb.waitForLog('key sk-...0001 reported spent until')
  for (let n = 0; n < 30; n++) expect(await keyUsed(lmlb, up)).not.toBe(spent)
  expect(up.received.filter((r) => r.headers.authorization === spent)).toHaveLength(1)
})

workersTest('2 workers: a session pinned by one stays on its key through both', async () => {
  const keys = Array.from({ length: 6 }, (_, i) => `sk-workers-pin-000${i}`)
  const up = startUpstream('up')
  const lmlb = await startLmlb({ args: ['--workers', '2'], dotenv: dotenv(up, keys.join(',')) + 'LOG_LEVEL=debug\n' })
  running.push(up, lmlb)
  await lmlb.waitForLog('[worker 1] ready')
  const session = { 'x-lmlb-session': 'workers-session-5512' }
  const pinned = await keyUsed(lmlb, up, session)
  await lmlb.waitForLog(`pinned to key sk-...${pinned.slice(-4)} (by another worker)`)
  const used = []
  for (let n = 0; n < 30; n++) used.push(await keyUsed(lmlb, up, session))
  expect(used).toEqual(Array(30).fill(pinned))
  // Both processes served the session (else this would not test the sharing).
  const lines = lmlb
    .log()
    .split('\n')
    .filter((l) => l.includes(' POST /v1/chat/completions gpt-4o'))
  expect(new Set(lines.map((l) => l.includes('[worker 1]')))).toEqual(new Set([true, false]))
})

workersTest(
  '2 workers: keys added through the admin API of either serve from both, and the first keeps them across a restart',
  async () => {
    const admin = 'admin-key-workers-test-000001'
    const up = startUpstream('up')
    running.push(up)
    const env = { LMLB_ADMIN_KEY: admin }
    const lmlb = await startLmlb({ args: ['--workers', '2'], dotenv: dotenv(up, 'sk-first-key-000001'), env })
    running.push(lmlb)
    await lmlb.waitForLog('[worker 1] ready')
    const added = await fetch(`${lmlb.url}/admin/keys?service=openai`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'text/plain', connection: 'close' },
      body: 'sk-added-by-worker-0002',
    })
    expect(added.status).toBe(201)
    // The process that did not add it hears of it.
    await lmlb.waitForLog('taken in')
    up.received.length = 0
    expect(await burst(lmlb, 40)).toEqual(Array(40).fill(200))
    const sent = up.received.map((r) => r.headers.authorization)
    // Each process in exact round-robin over both keys: 20 each, whichever took the connections.
    expect(sent.filter((a) => a === 'Bearer sk-added-by-worker-0002').length).toBeGreaterThanOrEqual(19)

    lmlb.proc!.kill('SIGTERM')
    expect(await lmlb.proc!.exited).toBe(0)
    const again = await startLmlb({ args: ['--workers', '2'], cwd: lmlb.cwd, env })
    running.push(again)
    await again.waitForLog('[worker 1] ready')
    const list = await (
      await fetch(`${again.url}/admin/keys`, { headers: { authorization: `Bearer ${admin}`, connection: 'close' } })
    ).json()
    expect(list.keys.map((k: { key: string; source: string }) => `${k.key} ${k.source}`)).toEqual(['sk-...0001 config', 'sk-...0002 admin'])
  },
)

workersTest(
  'kill -9 of the primary: its worker keeps the port and answers, alone; a new lmlb on the port lets it drain and exit',
  async () => {
    const up = startUpstream('up')
    running.push(up)
    const first = await startLmlb({ args: ['--workers', '2'], dotenv: dotenv(up, 'sk-orphan-key-000001') })
    running.push(first)
    await first.waitForLog('[worker 1] ready')
    const port = new URL(first.url).port
    const { readFileSync } = await import('node:fs')
    const [orphan] = readFileSync(`/proc/${first.proc!.pid}/task/${first.proc!.pid}/children`, 'utf8').trim().split(/\s+/).map(Number)
    first.proc!.kill('SIGKILL')
    await first.proc!.exited
    await first.waitForLog('the primary process is gone: serving on alone')
    // Fresh connections: only the worker listens now, and it answers every one (before: every one refused).
    expect(await burst(first, 200)).toEqual(Array(200).fill(200))
    const stats = await (await fetch(`${first.url}/stats`, { headers: { connection: 'close' } })).json()
    expect(stats.workers).toBe(1)

    // A supervisor starts lmlb again on the port: the orphan sees it and drains.
    const second = await startLmlb({ args: ['--port', port], cwd: first.cwd, process: true })
    running.push(second)
    await first.waitForLog('a new lmlb took the port')
    // Once the orphan has gone (a connection the kernel queued for it as it closed may be refused: docs/several-instances.md).
    // Gone, or a zombie no init has reaped yet (its socket is closed all the same).
    const alive = () => {
      try {
        return !/^State:\s+Z/m.test(readFileSync(`/proc/${orphan}/status`, 'utf8'))
      } catch {
        return false
      }
    }
    for (let i = 0; i < 500 && alive(); i++) await Bun.sleep(10)
    expect(alive()).toBe(false)
    expect(await burst(second, 20)).toEqual(Array(20).fill(200))
  },
  20_000,
)
