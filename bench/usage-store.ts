/**
 * The usage store at scale (state/usage-store.ts): a million request
 * records written as the ledger writes them (batches of what five seconds
 * at ~2,000 requests a second hold), the file's size; then a month of daily
 * and hourly totals for 100 client keys over 10,000 upstream keys (each
 * key used by 3 clients a day, and in 4 hours of it), and how long
 * GET /admin/usage's queries over that month take. Bounded; the file lives
 * in a temporary directory and is removed.
 * Usage: bun --no-env-file bench/usage-store.ts   (REQUESTS=1000000 KEYS=10000 CLIENTS=100)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bunPlatform } from '../src/runtime/bun'
import { type Ended, RequestBlock } from '../src/state/request-block'
import { HOUR_MS, type UsageRow } from '../src/state/usage-rows'
import { UsageStore } from '../src/state/usage-store'

const REQUESTS = Number(process.env.REQUESTS ?? 1_000_000)
const KEYS = Number(process.env.KEYS ?? 10_000)
const CLIENTS = Number(process.env.CLIENTS ?? 100)
const BATCH = 10_000
const DAY_MS = 24 * HOUR_MS
const MONTH_START = Date.UTC(2026, 10, 1)
const now = MONTH_START + 30 * DAY_MS

const dir = mkdtempSync(join(tmpdir(), 'lmlb-usage-bench-'))
const file = join(dir, 'usage.sqlite')
const db = bunPlatform.openDatabase(file)
const store = new UsageStore(
  db,
  () => 400,
  () => 30,
  () => now,
)
// What the store holds once written through: the log's pages in the file, the log emptied (it is reused, not grown).
const size = () => (db.exec('PRAGMA wal_checkpoint(TRUNCATE)'), fileSize())
const fileSize = () => ['', '-wal'].reduce((n, suffix) => n + (statSync(file + suffix, { throwIfNoEntry: false })?.size ?? 0), 0)
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

const clientOf = (i: number) => `c${String(i % CLIENTS).padStart(11, '0')}`
const keyOf = (i: number) => `k${String(i % KEYS).padStart(11, '0')}`

/** A request as it ended, as the ledger hands it to a block. */
function request(i: number): Ended {
  const served = { service: 'openai', model: 'gpt-4o' }
  return {
    record: {
      id: crypto.randomUUID(),
      api: 'openai',
      method: 'POST',
      path: '/v1/chat/completions',
      model: 'gpt-4o',
      clientKey: clientOf(i),
      billed: { ...served, upstreamModel: 'gpt-4o', keyId: keyOf(i * 7) },
      tokens: { input: 1200, output: 300, cacheRead: 400, cacheWrite: 0 },
      ttfbMs: 240.1,
      start: 0,
      stream: i % 2 === 0,
      attempts: [{ key: 'sk-...abcd', endpoint: 'https://api.openai.com/v1', outcome: '200' }],
    },
    status: i % 50 === 0 ? 429 : 200,
    at: MONTH_START + Math.floor((i / REQUESTS) * 30 * DAY_MS),
    endedAt: 812.4,
    cost: 0.0055,
    prompt: null,
    completion: null,
  }
}

let started = performance.now()
for (let i = 0; i < REQUESTS; i += BATCH) {
  const batch = new RequestBlock()
  for (let j = i; j < Math.min(i + BATCH, REQUESTS); j++) batch.add(request(j))
  store.add([], batch)
}
const recordsMs = performance.now() - started
console.log(
  `${REQUESTS.toLocaleString()} request records: ${mb(size())} (${(size() / REQUESTS) | 0} bytes each), written in ${(recordsMs / 1000).toFixed(1)} s`,
)

// A month of totals: each day, every key used by 3 clients, in 4 hours of the day.
const before = size()
started = performance.now()
for (let day = 0; day < 30; day++) {
  const rows: UsageRow[] = []
  for (let k = 0; k < KEYS; k++)
    for (let c = 0; c < 3; c++)
      for (const hour of [9, 11, 14, 16]) {
        const period = (MONTH_START + day * DAY_MS) / HOUR_MS + hour
        const base = { period, clientKey: clientOf(k * 3 + c), key: keyOf(k), service: 'openai', model: k % 2 ? 'gpt-4o' : 'gpt-4.1' }
        rows.push({ ...base, requests: 5, input: 6000, output: 1500, cacheRead: 2000, cacheWrite: 0, cost: 0.0275, unpriced: 0 })
      }
  store.add(rows)
}
console.log(
  `a month of totals (${KEYS.toLocaleString()} keys x 3 clients x 4 hours a day): ${mb(size() - before)} more, written in ${((performance.now() - started) / 1000).toFixed(1)} s`,
)

const from = MONTH_START
const to = MONTH_START + 30 * DAY_MS
for (const groupBy of [[], ['client_key'], ['client_key', 'model'], ['day'], ['key'], ['client_key', 'day']] as const) {
  const times: number[] = []
  let rows = 0
  for (let run = 0; run < 3; run++) {
    const t = performance.now()
    rows = store.query({ from, to, groupBy: [...groupBy] }).length
    times.push(performance.now() - t)
  }
  console.log(
    `month by ${groupBy.join(',') || '(total)'}: ${rows.toLocaleString()} rows in ${Math.min(...times).toFixed(0)} ms (best of 3)`,
  )
}
const t = performance.now()
const page = store.requests({ from: 0, to: now, status: { from: 400 }, limit: 100 })
console.log(
  `GET /admin/requests?status=4xx&limit=100 over ${REQUESTS.toLocaleString()} records: ${page.rows.length} rows in ${(performance.now() - t).toFixed(0)} ms`,
)
store.close()
rmSync(dir, { recursive: true, force: true })
