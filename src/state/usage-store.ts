/**
 * Usage kept in SQLite (`usage.sqlite` in LMLB_DATA_DIR): totals per hour
 * and per day, by client key, upstream key, service and model. A batch
 * from the ledger (usage-ledger.ts) is added in one transaction, each row
 * an upsert that adds to what is there, so several processes (--workers)
 * writing the same file add up. Hourly rows are kept HOURLY_DAYS days,
 * daily rows LMLB_USAGE_DAYS. Asked (GET /admin/usage) by time range and
 * any grouping: from the daily rows where the range falls on whole days
 * and no hour is asked for, else from the hourly ones.
 */
import type { SpentSoFar } from '../balancer/spend-budgets'
import type { SqlDatabase, SqlValue } from '../util/sql-database'
import {
  GROUPINGS,
  HOUR_MS,
  type Grouping,
  requestView,
  type RequestPage,
  type RequestQuery,
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
  ) {
    db.exec('PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000')
    db.exec(
      'CREATE TABLE IF NOT EXISTS requests (at INTEGER NOT NULL, id TEXT NOT NULL, client_key TEXT NOT NULL, api TEXT NOT NULL, ' +
        'method TEXT NOT NULL, path TEXT NOT NULL, model TEXT, served TEXT, key TEXT, status INTEGER NOT NULL, input INTEGER NOT NULL, ' +
        'output INTEGER NOT NULL, cache_read INTEGER NOT NULL, cache_write INTEGER NOT NULL, cost REAL, duration_ms REAL NOT NULL, ' +
        'ttfb_ms REAL, stream INTEGER NOT NULL, attempts TEXT NOT NULL, prompt TEXT, completion TEXT); ' +
        'CREATE INDEX IF NOT EXISTS requests_at ON requests (at)',
    )
    for (const table of TABLES)
      db.exec(
        `CREATE TABLE IF NOT EXISTS ${table} (period INTEGER NOT NULL, client_key TEXT NOT NULL, key TEXT NOT NULL, ` +
          'service TEXT NOT NULL, model TEXT NOT NULL, requests INTEGER NOT NULL, input INTEGER NOT NULL, output INTEGER NOT NULL, ' +
          'cache_read INTEGER NOT NULL, cache_write INTEGER NOT NULL, cost REAL NOT NULL, unpriced INTEGER NOT NULL, ' +
          'PRIMARY KEY (period, client_key, key, service, model)) WITHOUT ROWID',
      )
  }

  add(rows: readonly UsageRow[], requests: readonly RequestRow[] = []): void {
    this.db.exec('BEGIN IMMEDIATE')
    try {
      for (const q of requests) this.db.run(INSERT_REQUEST, ...requestValues(q))
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

  /** Request records, newest first, filtered; `before` is where the previous page ended. */
  requests(q: RequestQuery): RequestPage {
    const where = ['at >= ?', 'at < ?']
    const params: SqlValue[] = [q.from, q.to]
    const and = (clause: string, ...values: SqlValue[]) => (where.push(clause), params.push(...values))
    if (q.clientKey !== undefined) and('client_key = ?', q.clientKey)
    if (q.model !== undefined) and('(model = ? OR served = ? OR served LIKE ?)', q.model, q.model, `%/${q.model}`)
    if (typeof q.status === 'number') and('status = ?', q.status)
    else if (q.status !== undefined) and('status >= ? AND status < ?', q.status.from, q.status.from + 100)
    const before = q.cursor && /^(\d+)\.(\d+)$/.exec(q.cursor)
    if (before) and('(at < ? OR (at = ? AND rowid < ?))', Number(before[1]), Number(before[1]), Number(before[2]))
    const sql = `SELECT rowid, * FROM requests WHERE ${where.join(' AND ')} ORDER BY at DESC, rowid DESC LIMIT ?`
    const found = this.db.all(sql, ...params, q.limit + 1)
    const rows = found.slice(0, q.limit)
    const last = rows.at(-1)
    return { rows: rows.map((r) => requestView(rowOf(r))), next: found.length > q.limit && last ? `${last.at}.${last.rowid}` : null }
  }

  private prune(): void {
    const now = this.now()
    this.prunedAt = now
    this.db.run('DELETE FROM requests WHERE at < ?', now - this.requestDays() * DAY_MS)
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

const INSERT_REQUEST =
  'INSERT INTO requests (at, id, client_key, api, method, path, model, served, key, status, input, output, cache_read, cache_write, ' +
  'cost, duration_ms, ttfb_ms, stream, attempts, prompt, completion) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'

function requestValues(q: RequestRow): SqlValue[] {
  const tokens = [q.input, q.output, q.cacheRead, q.cacheWrite]
  return [q.at, q.id, q.clientKey, q.api, q.method, q.path, q.model, q.served, q.key, q.status, ...tokens, q.cost, q.durationMs].concat([
    q.ttfbMs,
    q.stream ? 1 : 0,
    q.attempts,
    q.prompt,
    q.completion,
  ])
}

/** A record as the requests table holds it. */
function rowOf(r: Record<string, SqlValue>): RequestRow {
  const n = (v: SqlValue) => Number(v)
  const text = (v: SqlValue) => (v === null ? null : String(v))
  return {
    at: n(r.at),
    id: String(r.id),
    clientKey: String(r.client_key),
    api: String(r.api),
    method: String(r.method),
    path: String(r.path),
    model: text(r.model),
    served: text(r.served),
    key: text(r.key),
    status: n(r.status),
    input: n(r.input),
    output: n(r.output),
    cacheRead: n(r.cache_read),
    cacheWrite: n(r.cache_write),
    cost: r.cost === null ? null : n(r.cost),
    durationMs: n(r.duration_ms),
    ttfbMs: r.ttfb_ms === null ? null : n(r.ttfb_ms),
    stream: r.stream === 1,
    attempts: String(r.attempts),
    prompt: text(r.prompt),
    completion: text(r.completion),
  }
}

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
