/**
 * The usage ledger and its SQLite store with an injected clock: requests
 * ending either side of an hour, a day and a month boundary land in their
 * own hours and days; totals add up the same whatever the grouping; a month's
 * range counts only that month; what was held is written at the flush.
 */
import { expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/load'
import { RequestRecord } from '../../src/observability/request-record'
import { bunPlatform } from '../../src/runtime/bun'
import { createState } from '../../src/state/proxy-state'
import { BATCH, UsageLedger } from '../../src/state/usage-ledger'
import { UsageStore } from '../../src/state/usage-store'

const loaded = loadConfig({ env: { OPENAI_API_KEYS: 'sk-ledger-test-0001' } })
if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
const state = createState(loaded.config)

function ledgerAt() {
  const clock = { now: 0 }
  const store = new UsageStore(
    bunPlatform.openDatabase(join(mkdtempSync(join(tmpdir(), 'lmlb-ledger-')), 'usage.sqlite')),
    () => 400,
    () => 7,
    () => clock.now,
  )
  const ledger = new UsageLedger(() => state, { store, now: () => clock.now })
  /** A gpt-4o request (1,000 in, 100 out: $0.0035 at list price) ending at `iso`. */
  const request = (iso: string) => {
    clock.now = Date.parse(iso)
    const record = new RequestRecord(crypto.randomUUID(), 'openai', 'POST', '/v1/chat/completions', false)
    record.billed = { service: 'openai', model: 'gpt-4o', upstreamModel: 'gpt-4o', keyId: 'abcdef012345' }
    record.tokens = { input: 1000, output: 100, cacheRead: 0, cacheWrite: 0 }
    ledger.finished(record, 200)
  }
  return { ledger, request, store }
}

const COST = (1000 * 2.5 + 100 * 10) / 1e6
const range = (from: string, to: string) => ({ from: Date.parse(from), to: Date.parse(to) })

test('either side of an hour, a day and a month: each request in its own hour and day; every grouping adds up to the same', async () => {
  const { ledger, request, store } = ledgerAt()
  for (const at of [
    '2026-11-30T22:59:59.999Z',
    '2026-11-30T23:00:00Z',
    '2026-11-30T23:59:59Z',
    '2026-12-01T00:00:00Z',
    '2026-12-01T10:30:00Z',
  ])
    request(at)
  // Held until the flush.
  expect(store.query({ ...range('2026-11-01', '2026-12-31'), groupBy: [] })).toEqual([])
  ledger.flush()

  const hours = store.query({ ...range('2026-11-30T00:00:00Z', '2026-12-02T00:00:00Z'), groupBy: ['hour'] })
  expect(hours.map((r) => [r.hour, r.requests])).toEqual([
    ['2026-11-30T22:00:00Z', 1],
    ['2026-11-30T23:00:00Z', 2],
    ['2026-12-01T00:00:00Z', 1],
    ['2026-12-01T10:00:00Z', 1],
  ])
  const days = store.query({ ...range('2026-11-30T00:00:00Z', '2026-12-02T00:00:00Z'), groupBy: ['day'] })
  expect(days.map((r) => [r.day, r.requests])).toEqual([
    ['2026-11-30', 3],
    ['2026-12-01', 2],
  ])
  // The same from the hourly rows, over a range that is not whole days.
  const daysFromHours = store.query({ ...range('2026-11-30T12:00:00Z', '2026-12-01T12:00:00Z'), groupBy: ['day'] })
  expect(daysFromHours.map((r) => [r.day, r.requests])).toEqual([
    ['2026-11-30', 3],
    ['2026-12-01', 2],
  ])
  const november = store.query({ ...range('2026-11-01', '2026-12-01'), groupBy: ['client_key', 'model'] })
  expect(november).toEqual([expect.objectContaining({ client_key: 'anonymous', model: 'gpt-4o', requests: 3, input_tokens: 3000 })])
  expect(november[0].cost_usd).toBeCloseTo(3 * COST, 12)
  const december = store.query({ ...range('2026-12-01', '2026-12-31'), groupBy: ['key', 'service'] })
  expect(december).toEqual([expect.objectContaining({ key: 'abcdef012345', service: 'openai', requests: 2 })])
  // Spending as budgets read it on December 1st: November's three are neither this day's nor this month's.
  expect(ledger.spentBy('anonymous').day).toBeCloseTo(2 * COST, 12)
  expect(ledger.spentBy('anonymous').month).toBeCloseTo(2 * COST, 12)
})

test('written in batches that add to what is there: two flushes of the same hour make one row', () => {
  const { ledger, request, store } = ledgerAt()
  request('2026-12-06T09:10:00Z')
  ledger.flush()
  request('2026-12-06T09:50:00Z')
  request('2026-12-06T09:55:00Z')
  ledger.flush()
  const rows = store.query({ ...range('2026-12-06', '2026-12-07'), groupBy: ['hour'] })
  expect(rows).toEqual([expect.objectContaining({ hour: '2026-12-06T09:00:00Z', requests: 3, output_tokens: 300 })])
  expect(store.requests({ from: 0, to: Date.parse('2027-01-01'), limit: 10 }).rows).toHaveLength(3)
})

test('rows and records are made in bulk, yet a flush writes every request that ended; a busy ledger writes without waiting for the timer', async () => {
  const { ledger, request, store } = ledgerAt()
  // Fewer than a bulk's worth: all written at the flush, totals and records.
  for (let i = 0; i < 5; i++) request(`2026-12-01T10:00:0${i}Z`)
  ledger.flush()
  expect(store.query({ ...range('2026-12-01', '2026-12-02'), groupBy: [] })[0].requests).toBe(5)
  expect(store.requests({ ...range('2026-12-01', '2026-12-02'), limit: 100 }).rows).toHaveLength(5)
  // Past BATCH held records a flush is set for the next turn of the event loop, no flush called here.
  for (let i = 0; i < BATCH + 100; i++) request('2026-12-01T11:00:00Z')
  expect(store.query({ ...range('2026-12-01T11:00:00Z', '2026-12-01T12:00:00Z'), groupBy: [] })).toEqual([])
  await new Promise((resolve) => setTimeout(resolve, 0))
  const written = store.query({ ...range('2026-12-01T11:00:00Z', '2026-12-01T12:00:00Z'), groupBy: [] })[0].requests
  expect(written).toBeGreaterThanOrEqual(BATCH)
  ledger.flush()
  expect(store.query({ ...range('2026-12-01T11:00:00Z', '2026-12-01T12:00:00Z'), groupBy: [] })[0].requests).toBe(BATCH + 100)
})
