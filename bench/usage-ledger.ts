/**
 * What keeping usage costs each request, alone: the usage ledger told of N
 * finished requests (state/usage-ledger.ts), with its flushes, against the
 * same ledger with no store (LMLB_USAGE=off: counted for /stats only). CPU
 * per request, the best of ROUNDS rounds each, alternated. Bounded; the
 * store lives in a temporary directory and is removed.
 * Usage: bun --no-env-file bench/usage-ledger.ts   (N=200000 ROUNDS=5)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config/load'
import { createLogger } from '../src/observability/log'
import { RequestRecord } from '../src/observability/request-record'
import { bunPlatform } from '../src/runtime/bun'
import { createRuntime } from '../src/state/runtime'
import { BATCH } from '../src/state/usage-ledger'
import { UsageStore } from '../src/state/usage-store'

const N = Number(process.env.N ?? 200_000)
const ROUNDS = Number(process.env.ROUNDS ?? 5)

const loaded = loadConfig({ env: { OPENAI_API_KEYS: 'sk-bench-key-000001,sk-bench-key-000002,sk-bench-key-000003', LOG_LEVEL: 'warn' } })
if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
const logger = createLogger(loaded.config.logLevel, '', () => {})
const dir = mkdtempSync(join(tmpdir(), 'lmlb-bench-ledger-'))
const store = new UsageStore(
  bunPlatform.openDatabase(join(dir, 'usage.sqlite')),
  () => 400,
  () => 7,
)
const runtimeOf = (usageStore?: UsageStore) =>
  createRuntime({ config: loaded.config, logger, read: () => loaded, streams: bunPlatform.streamFactory, usageStore })
const kept = runtimeOf(store)
const counted = runtimeOf()

/** A request as the flow leaves it: asked, tried once, answered with usage. */
function request(i: number): RequestRecord {
  const r = new RequestRecord(crypto.randomUUID(), 'openai', 'POST', '/v1/chat/completions', false)
  r.asked('gpt-4o-mini', false, () => '')
  r.ttfbMs = 1.2
  r.tokens = { input: 12, output: 7, cacheRead: 0, cacheWrite: 0 }
  r.billed = { service: 'openai', model: 'gpt-4o-mini', upstreamModel: 'gpt-4o-mini', keyId: `k0000000000${i % 3}` }
  r.attempts.push({ key: 'sk-...0001', endpoint: 'https://api.openai.com/v1', outcome: '200' })
  return r
}

function round(runtime: typeof kept): number {
  const usage = runtime.usage
  Bun.gc(true)
  const cpu = process.cpuUsage()
  // A flush every BATCH requests at most, as the ledger writes under load.
  for (let i = 1; i <= N; i++) {
    usage.finished(request(i), 200)
    if (i % BATCH === 0) usage.flush()
  }
  const used = process.cpuUsage(cpu)
  return (used.user + used.system) / N
}

const best = { kept: Infinity, counted: Infinity }
for (let r = 0; r < ROUNDS; r++) {
  best.counted = Math.min(best.counted, round(counted))
  best.kept = Math.min(best.kept, round(kept))
}
console.log(
  `usage ledger, ${N.toLocaleString()} requests, best of ${ROUNDS}: counted only (LMLB_USAGE=off) ${best.counted.toFixed(2)} µs of CPU a request, ` +
    `kept ${best.kept.toFixed(2)} µs: keeping costs ${(best.kept - best.counted).toFixed(2)} µs a request`,
)
store.close()
rmSync(dir, { recursive: true, force: true })
