/**
 * Usage kept in SQLite (`usage.sqlite` in LMLB_DATA_DIR): totals per hour
 * and per day, by client key, upstream key, service and model. A batch
 * from the ledger (usage-ledger.ts) is added in one transaction, each row
 * an upsert that adds to what is there, so several processes (--workers)
 * writing the same file add up. Hourly rows are kept HOURLY_DAYS days,
 * daily rows LMLB_USAGE_DAYS. Asked (GET /admin/usage) by time range and
 * any grouping: from the daily rows where the range falls on whole days
 * and no hour is asked for, else from the hourly ones. Request records
 * (GET /admin/requests) are kept LMLB_REQUESTS_DAYS, a flush's worth a row.
 */
import type { SpentSoFar } from '../balancer/spend-budgets'
import type { SqlDatabase, SqlValue } from '../util/sql-database'
import { blockRows } from './request-block'
import {
  asked,
  GROUPINGS,
  HOUR_MS,
  type Grouping,
  requestView,
  type RequestPage,
  type RequestQuery,
  recordOf,
  type RecordsToWrite,
  type RequestRow,
  type UsageQuery,
  type UsageRow,
  type UsageSink,
  type UsageTotals,
} from './usage-rows'

export const USAGE_FILE = 'usage.sqlite'
/** How long hour-by-hour rows are kept. */
export const HOURLY_DAYS = 35
const DAY_MS = 24 * HOUR_MS

const TABLES = ['usage_hourly', 'usage_daily'] as const
const COLUMNS = 'requests, input, output, cache_read, cache_write, cost, unpriced'

export class UsageStore implements UsageSink {
  private prunedAt = 0

  constructor(
    private readonly db: SqlDatabase,
    /** How many days daily rows are kept (LMLB_USAGE_DAYS, read at each prune). */
    private readonly days: () => number,
    /** How many days request records are kept (LMLB_REQUESTS_DAYS). */
    private readonly requestDays: () => number,
    private readonly now: () => number = Date.now,
    /** Records one page of request records reads at most (fewer in a test). */
    private readonly readMax = READ_MAX,
  ) {
    db.exec('PRAGMA page_size = 65536; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 5000')
    // Request records go in batches, one row each (a row per record cost several µs a request): each batch's statuses,
    // client keys and models listed beside it, so a filtered query opens only batches that hold a match.
    db.exec(
      'CREATE TABLE IF NOT EXISTS request_batches (first_at INTEGER NOT NULL, last_at INTEGER NOT NULL, statuses TEXT NOT NULL, ' +
        'client_keys TEXT NOT NULL, models TEXT NOT NULL, records BLOB NOT NULL); ' +
        'CREATE INDEX IF NOT EXISTS request_batches_last ON request_batches (last_at); ' +
        // A record a row, as builds of 2026-11 kept them (never released).
        'DROP TABLE IF EXISTS requests',
    )
    for (const table of TABLES)
      db.exec(
        `CREATE TABLE IF NOT EXISTS ${table} (period INTEGER NOT NULL, client_key TEXT NOT NULL, key TEXT NOT NULL, ` +
          'service TEXT NOT NULL, model TEXT NOT NULL, requests INTEGER NOT NULL, input INTEGER NOT NULL, output INTEGER NOT NULL, ' +
          'cache_read INTEGER NOT NULL, cache_write INTEGER NOT NULL, cost REAL NOT NULL, unpriced INTEGER NOT NULL, ' +
          'PRIMARY KEY (period, client_key, key, service, model)) WITHOUT ROWID',
      )
  }

  add(rows: readonly UsageRow[], requests?: RecordsToWrite): void {
    this.db.exec('BEGIN IMMEDIATE')
    try {
      if (requests && requests.length > 0) this.db.run(INSERT_BATCH, ...batchRow(requests))
      for (const r of rows) {
        const values = [
          r.clientKey,
          r.key,
          r.service,
          r.model,
          r.requests,
          r.input,
          r.output,
          r.cacheRead,
          r.cacheWrite,
          r.cost,
          r.unpriced,
        ]
        this.db.run(UPSERT.usage_hourly, r.period, ...values)
        this.db.run(UPSERT.usage_daily, Math.floor(r.period / 24), ...values)
      }
      this.db.exec('COMMIT')
    } catch (error) {
      this.db.exec('ROLLBACK')
      throw error
    }
    if (this.now() - this.prunedAt > HOUR_MS) this.prune()
  }

  query({ from, to, groupBy }: UsageQuery): UsageTotals[] {
    const daily = !groupBy.includes('hour') && from % DAY_MS === 0 && to % DAY_MS === 0
    const unit = daily ? DAY_MS : HOUR_MS
    const columns = groupBy.map((g) => `${COLUMN_OF[g](daily)} AS ${g}`)
    const sums =
      'SUM(requests) AS requests, SUM(input) AS input, SUM(output) AS output, SUM(cache_read) AS cache_read, ' +
      'SUM(cache_write) AS cache_write, SUM(cost) AS cost, SUM(unpriced) AS unpriced'
    const grouped = groupBy.length > 0 ? ` GROUP BY ${groupBy.join(', ')} ORDER BY ${groupBy.join(', ')}` : ''
    const sql = `SELECT ${[...columns, sums].join(', ')} FROM ${daily ? 'usage_daily' : 'usage_hourly'} WHERE period >= ? AND period < ?${grouped}`
    const rows = this.db.all(sql, Math.floor(from / unit), Math.ceil(to / unit))
    return rows.filter((row) => row.requests !== null).map((row) => totalsOf(row, groupBy))
  }

  /** Each client key's cost (`by` client_key), or each upstream key's (named `service/key`), on day `today` and since `monthStart` (epoch days). */
  spentBy(by: 'client_key' | 'key', today: number, monthStart: number): Map<string, SpentSoFar> {
    const who = by === 'key' ? "service || '/' || key" : 'client_key'
    const sql =
      `SELECT ${who} AS who, SUM(CASE WHEN period = ? THEN cost ELSE 0 END) AS day, SUM(cost) AS month ` +
      `FROM usage_daily WHERE period >= ? GROUP BY ${who}`
    return new Map(this.db.all(sql, today, monthStart).map((r) => [String(r.who), { day: Number(r.day), month: Number(r.month) }]))
  }

  close(): void {
    this.db.close()
  }

  /**
   * Request records, newest first, filtered; `cursor` is where the previous page ended. Batches are read newest first
   * (by their last record) until no batch left can hold a record newer than the page's last; a page that would read
   * more than `readMax` records ends early, with the records it is sure of and a cursor to go on from.
   */
  requests(q: RequestQuery): RequestPage {
    const where = ['last_at >= ?', 'first_at < ?']
    const params: SqlValue[] = [q.from, q.to]
    const and = (clause: string, ...values: SqlValue[]) => (where.push(clause), params.push(...values))
    if (q.clientKey !== undefined) and('instr(client_keys, ?) > 0', `\n${q.clientKey}\n`)
    if (q.model !== undefined) and('(instr(models, ?) > 0 OR instr(models, ?) > 0)', `\n${q.model}\n`, `/${q.model}\n`)
    if (typeof q.status === 'number') and('instr(statuses, ?) > 0', `\n${q.status}\n`)
    else if (q.status !== undefined) and('instr(statuses, ?) > 0', `\n${Math.floor(q.status.from / 100)}`)
    const cursor = /^(\d+)\.(\d+)\.(\d+)$/
      .exec(q.cursor ?? '')
      ?.slice(1)
      .map(Number) as Place | undefined
    if (cursor) and('first_at <= ?', cursor[0])
    const batches = this.db.all(
      `SELECT rowid, last_at FROM request_batches WHERE ${where.join(' AND ')} ORDER BY last_at DESC, rowid DESC`,
      ...params,
    )
    let found: Found[] = []
    let read = 0
    for (const batch of batches) {
      const last = Number(batch.last_at)
      if (found.length > q.limit && found[q.limit].place[0] > last) break
      if (read >= this.readMax) {
        const sure = found.filter((f) => f.place[0] > last)
        return { rows: sure.map((f) => requestView(f.row)), next: `${last + 1}.0.0` }
      }
      const [{ records }] = this.db.all('SELECT records FROM request_batches WHERE rowid = ?', batch.rowid)
      const rows = rowsIn(records)
      read += rows.length
      rows.forEach((row, i) => {
        const place: Place = [row.at, Number(batch.rowid), i]
        if (asked(row, q) && (!cursor || newer(cursor, place) < 0)) found.push({ row, place })
      })
      found = found.sort((a, b) => newer(a.place, b.place)).slice(0, q.limit + 1)
    }
    const page = found.slice(0, q.limit)
    return { rows: page.map((f) => requestView(f.row)), next: found.length > q.limit ? page.at(-1)!.place.join('.') : null }
  }

  private prune(): void {
    const now = this.now()
    this.prunedAt = now
    this.db.run('DELETE FROM request_batches WHERE last_at < ?', now - this.requestDays() * DAY_MS)
    this.db.run('DELETE FROM usage_hourly WHERE period < ?', Math.floor((now - HOURLY_DAYS * DAY_MS) / HOUR_MS))
    this.db.run('DELETE FROM usage_daily WHERE period < ?', Math.floor((now - this.days() * DAY_MS) / DAY_MS))
  }
}

const UPSERT = Object.fromEntries(
  TABLES.map((table) => [
    table,
    `INSERT INTO ${table} (period, client_key, key, service, model, ${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ` +
      'ON CONFLICT (period, client_key, key, service, model) DO UPDATE SET ' +
      COLUMNS.split(', ')
        .map((c) => `${c} = ${c} + excluded.${c}`)
        .join(', '),
  ]),
) as Record<(typeof TABLES)[number], string>

/** Rows (hourly) added up as `q` groups them, in the order the store's answer has. */
export function rollUp(rows: readonly UsageRow[], q: UsageQuery): UsageTotals[] {
  const groups = new Map<string, { named: Partial<Record<Grouping, string>>; sum: UsageRow }>()
  for (const row of rows) {
    const named: Partial<Record<Grouping, string>> = {}
    for (const g of q.groupBy)
      named[g] =
        g === 'day' ? dayOf(Math.floor(row.period / 24)) : g === 'hour' ? hourOf(row.period) : row[g === 'client_key' ? 'clientKey' : g]
    const id = q.groupBy.map((g) => named[g]).join('\u0000')
    let group = groups.get(id)
    if (!group)
      groups.set(
        id,
        (group = { named, sum: { ...row, requests: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cost: 0, unpriced: 0 } }),
      )
    for (const k of ['requests', 'input', 'output', 'cacheRead', 'cacheWrite', 'cost', 'unpriced'] as const) group.sum[k] += row[k]
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { named, sum }]) => ({
      ...named,
      requests: sum.requests,
      input_tokens: sum.input,
      output_tokens: sum.output,
      cache_read_tokens: sum.cacheRead,
      cache_write_tokens: sum.cacheWrite,
      cost_usd: roundUsd(sum.cost),
      unpriced_requests: sum.unpriced,
    }))
}

/** Records read for one page of request records, at most (a busy lmlb writes 8,000 a batch, a quiet one a few). */
const READ_MAX = 100_000

/** Where a record is, newest first: its time, its batch's rowid, its line in the batch. */
type Place = [at: number, batch: number, line: number]
type Found = { row: RequestRow; place: Place }

/** Negative where `a` comes first (is newer). */
const newer = (a: Place, b: Place) => b[0] - a[0] || b[1] - a[1] || b[2] - a[2]

const INSERT_BATCH = 'INSERT INTO request_batches (first_at, last_at, statuses, client_keys, models, records) VALUES (?, ?, ?, ?, ?, ?)'

/** A batch's row: its time span, what its records hold (each listed between newlines), and its block. */
function batchRow(block: RecordsToWrite): SqlValue[] {
  const s = block.summary()
  const listed = (values: Set<string | number>) => `\n${[...values].join('\n')}\n`
  return [s.first, s.last, listed(s.statuses), listed(s.clientKeys), listed(s.models), block.bytes()]
}

/** A batch's records: a block (request-block.ts), or lines as written before blocks (2026-12, never released). */
const rowsIn = (records: SqlValue) => (typeof records === 'string' ? records.split('\n').map(recordOf) : blockRows(records as Uint8Array))

/** A grouping's SQL, in the daily table or the hourly one. */
const COLUMN_OF: Record<Grouping, (daily: boolean) => string> = {
  client_key: () => 'client_key',
  key: () => 'key',
  service: () => 'service',
  model: () => 'model',
  day: (daily) => (daily ? 'period' : 'period / 24'),
  hour: () => 'period',
}

function totalsOf(row: Record<string, SqlValue>, groupBy: readonly Grouping[]): UsageTotals {
  const named: Partial<Record<Grouping, string>> = {}
  for (const g of groupBy) named[g] = g === 'day' ? dayOf(Number(row.day)) : g === 'hour' ? hourOf(Number(row.hour)) : String(row[g])
  return {
    ...named,
    requests: Number(row.requests),
    input_tokens: Number(row.input),
    output_tokens: Number(row.output),
    cache_read_tokens: Number(row.cache_read),
    cache_write_tokens: Number(row.cache_write),
    cost_usd: roundUsd(Number(row.cost)),
    unpriced_requests: Number(row.unpriced),
  }
}

/** Sums of many small floating-point costs, without their last-digit noise. */
export const roundUsd = (usd: number) => Math.round(usd * 1e10) / 1e10

const dayOf = (day: number) => new Date(day * DAY_MS).toISOString().slice(0, 10)
const hourOf = (hour: number) => `${new Date(hour * HOUR_MS).toISOString().slice(0, 13)}:00:00Z`
