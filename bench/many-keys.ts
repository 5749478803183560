/**
 * `bun run bench:keys`: lmlb with a pool of 10,000 keys (issue 22), beside
 * a pool of 3. In process: loading the configuration, building the
 * runtime, a reload after one key changed, a pick (all keys healthy, half
 * disabled, all but 10 disabled), a whole request through the app (the
 * upstream's fetch stubbed), the heap per key, a batch of 10,000 keys
 * added through the admin API, a page of GET /admin/keys and GET /stats.
 * As a process: start-up to "listening", and RSS idle. Bounded: fixed
 * counts; traffic only to a stub (no socket) and to lmlb on 127.0.0.1.
 * Usage: bun --no-env-file bench/many-keys.ts   (K=10000 by default)
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createApp } from '../src/app'
import { loadConfig, type LoadResult } from '../src/config/load'
import { createLogger } from '../src/observability/log'
import { bunPlatform } from '../src/runtime/bun'
import { MAX_BATCH } from '../src/state/key-admin'
import { createRuntime } from '../src/state/runtime'
import { completion } from './answers'

const K = Number(process.env.K ?? 10_000)
const ADMIN = 'admin-key-for-the-bench-000001'
const UPSTREAM = 'http://127.0.0.1:9/v1'
const keysOf = (n: number, tag = 'k') => Array.from({ length: n }, (_, i) => `sk-bench-${tag}-${String(i).padStart(12, '0')}`)
const ms = (from: number) => performance.now() - from
const fmt = (n: number, digits = 1) => n.toFixed(digits)

function load(keys: string[]): Extract<LoadResult, { ok: true }> {
  const loaded = loadConfig({
    env: {
      OPENAI_API_KEYS: keys.join(','),
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [UPSTREAM] }),
      LOG_LEVEL: 'error',
      LMLB_ADMIN_KEY: ADMIN,
    },
  })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  return loaded
}

const completionBytes = new TextEncoder().encode(completion)
globalThis.fetch = (async () =>
  new Response(completionBytes, { headers: { 'content-type': 'application/json' } })) as unknown as typeof fetch

async function inProcess(n: number) {
  const keys = keysOf(n)
  Bun.gc(true)
  const heap0 = process.memoryUsage().heapUsed
  let t = performance.now()
  const loaded = load(keys)
  const loadMs = ms(t)
  const logger = createLogger('error', '', (line) => process.env.BENCH_LOG && console.error(line))
  let next = loaded
  t = performance.now()
  const runtime = createRuntime({ config: loaded.config, logger, read: () => next, streams: bunPlatform.streamFactory })
  const buildMs = ms(t)
  Bun.gc(true)
  const heapPerKey = (process.memoryUsage().heapUsed - heap0) / n
  next = load([...keys.slice(0, -1), 'sk-bench-k-changed000001'])
  t = performance.now()
  runtime.reloadHere('bench')
  const reloadMs = ms(t)

  const pool = runtime.current.pools.get('openai')!
  const picks = (rounds: number) => {
    const now = Date.now()
    const start = performance.now()
    for (let i = 0; i < rounds; i++) pool.pick(now)
    return ((performance.now() - start) * 1000) / rounds
  }
  const healthy = picks(200_000)
  pool.keys.items.forEach((k, i) => i % 2 === 0 && k.health.disable({ reason: 'bench', since: 0, by: 'operator' }))
  const half = picks(200_000)
  pool.keys.items.forEach((k, i) => i >= 10 && k.health.disable({ reason: 'bench', since: 0, by: 'operator' }))
  const few = picks(n > 100 ? 2_000 : 200_000)
  for (const k of pool.keys.items) k.health.enable(Date.now())

  const app = createApp(runtime)
  const body = JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
  const request = () =>
    app.fetch(
      new Request('http://localhost/v1/chat/completions', { method: 'POST', headers: { 'content-type': 'application/json' }, body }),
    )
  for (let i = 0; i < 5_000; i++) await (await request()).arrayBuffer()
  let cpu = process.cpuUsage()
  for (let i = 0; i < 20_000; i++) await (await request()).arrayBuffer()
  cpu = process.cpuUsage(cpu)
  const requestUs = (cpu.user + cpu.system) / 20_000

  const admin = (path: string, init: RequestInit = {}) =>
    app.fetch(new Request(`http://localhost${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, ...init.headers } }))
  // In batches of at most 10,000, the most one request may add.
  const batch = keysOf(n, 'added')
  let addedCount = 0
  t = performance.now()
  for (let at = 0; at < n; at += MAX_BATCH) {
    const body = batch.slice(at, at + MAX_BATCH).join('\n')
    const added = await admin('/admin/keys?service=openai', { method: 'POST', body, headers: { 'content-type': 'text/plain' } })
    const outcome = (await added.json()) as { added?: string[]; error?: { message: string } }
    if (!outcome.added) throw new Error(`POST /admin/keys: ${added.status} ${outcome.error?.message}`)
    addedCount += outcome.added.length
  }
  const addMs = ms(t)
  t = performance.now()
  await admin('/admin/keys?service=openai', {
    method: 'POST',
    body: 'sk-bench-one-more-key-000001',
    headers: { 'content-type': 'text/plain' },
  })
  const addOneMs = ms(t)
  t = performance.now()
  const page = await (await admin('/admin/keys?limit=1000')).text()
  const pageMs = ms(t)
  t = performance.now()
  const stats = await (await app.fetch(new Request('http://localhost/stats'))).text()
  const statsMs = ms(t)
  const page100 = await (await app.fetch(new Request('http://localhost/stats?keys=100'))).text()
  return {
    addOneMs,
    page100Kb: page100.length / 1024,
    loadMs,
    buildMs,
    reloadMs,
    heapPerKey,
    healthy,
    half,
    few,
    requestUs,
    addMs,
    addedCount,
    pageMs,
    pageKb: page.length / 1024,
    statsMs,
    statsKb: stats.length / 1024,
  }
}

async function asProcess(n: number) {
  const dir = mkdtempSync(join(tmpdir(), 'lmlb-keys-'))
  // In .env: 10,000 keys are more than one environment variable may hold (128 KiB on Linux).
  writeFileSync(join(dir, '.env'), `OPENAI_API_KEYS=${keysOf(n).join(',')}\n`)
  const t = performance.now()
  const proc = Bun.spawn([process.execPath, '--no-env-file', resolve(import.meta.dir, '../src/main.ts'), '--port', '0'], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', BUN_CONFIG_MAX_HTTP_REQUESTS: '65535', LOG_LEVEL: 'info' },
    stderr: 'pipe',
    stdout: 'pipe',
  })
  const reader = (proc.stderr as ReadableStream<Uint8Array>).getReader()
  let text = ''
  while (!text.includes('listening on')) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`lmlb exited: ${text}`)
    text += new TextDecoder().decode(value)
  }
  const startMs = ms(t)
  // Idle: after the first second, as the main bench measures it.
  await Bun.sleep(2_500)
  const status = await Bun.file(`/proc/${proc.pid}/status`).text()
  const rssMb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
  proc.kill()
  await proc.exited
  return { startMs, rssMb }
}

const small = await inProcess(3)
const large = await inProcess(K)
const [p3, pK] = [await asProcess(3), await asProcess(K)]
const row = (what: string, a: string, b: string) => console.log(`| ${what} | ${a} | ${b} |`)
console.log(`\n| with a pool of | 3 keys | ${K.toLocaleString('en')} keys |\n| --- | ---: | ---: |`)
row('start-up, process to "listening" (ms)', fmt(p3.startMs, 0), fmt(pK.startMs, 0))
row('RSS idle (MB)', fmt(p3.rssMb), fmt(pK.rssMb))
row('RSS per key (bytes)', '', fmt(((pK.rssMb - p3.rssMb) * 1024 * 1024) / (K - 3), 0))
row('heap per key, in process (bytes)', fmt(small.heapPerKey, 0), fmt(large.heapPerKey, 0))
row('loading the configuration (ms)', fmt(small.loadMs), fmt(large.loadMs))
row('building the runtime (ms)', fmt(small.buildMs), fmt(large.buildMs))
row('reload after one key changed (ms)', fmt(small.reloadMs), fmt(large.reloadMs))
row('a pick, all keys healthy (µs)', fmt(small.healthy, 3), fmt(large.healthy, 3))
row('a pick, half the keys disabled (µs)', fmt(small.half, 3), fmt(large.half, 3))
row('a pick, all but 10 disabled (µs)', fmt(small.few, 3), fmt(large.few, 3))
row('a whole request in process, CPU (µs)', fmt(small.requestUs), fmt(large.requestUs))
row(
  `adding ${K.toLocaleString('en')} keys through POST /admin/keys, 10,000 a request (ms)`,
  `${fmt(small.addMs)} (3)`,
  `${fmt(large.addMs)} (${large.addedCount})`,
)
row('adding one key to that pool (ms)', fmt(small.addOneMs), fmt(large.addOneMs))
row(
  'GET /admin/keys, a page of 1,000 (ms, KB)',
  `${fmt(small.pageMs)}, ${fmt(small.pageKb, 0)}`,
  `${fmt(large.pageMs)}, ${fmt(large.pageKb, 0)}`,
)
row('GET /stats (ms, KB)', `${fmt(small.statsMs)}, ${fmt(small.statsKb, 0)}`, `${fmt(large.statsMs)}, ${fmt(large.statsKb, 0)}`)
row("GET /stats?keys=100, the status page's poll (KB)", fmt(small.page100Kb, 0), fmt(large.page100Kb, 0))
