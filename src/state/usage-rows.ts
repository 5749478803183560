/**
 * What the usage ledger (usage-ledger.ts) hands its stores, and what they
 * answer: rows of totals, request records, queries; the stores are
 * usage-store.ts (SQLite, this instance) and cluster/redis-usage.ts (every
 * instance).
 */
import type { SpentSoFar } from '../balancer/spend-budgets'
import type { Totals } from '../observability/spend'
import type { AttemptLog } from '../observability/request-record'

export const HOUR_MS = 3_600_000

/** One hour's (or day's) totals for one client key, upstream key, service and model. */
export interface UsageRow {
  /** Epoch hours (or days, in the daily table). */
  period: number
  clientKey: string
  key: string
  service: string
  model: string
  requests: number
  input: number
  output: number
  cacheRead: number
  cacheWrite: number
  cost: number
  unpriced: number
}

/** One request as kept (GET /admin/requests): what the log line says, keys masked, bodies only with LOG_BODIES. */
export interface RequestRow {
  at: number
  id: string
  clientKey: string
  api: string
  method: string
  path: string
  model: string | null
  served: string | null
  /** The upstream key's id, or null where none answered. */
  key: string | null
  status: number
  input: number
  output: number
  cacheRead: number
  cacheWrite: number
  /** US dollars; null where it reached no upstream or its model has no price. */
  cost: number | null
  durationMs: number
  ttfbMs: number | null
  stream: boolean
  /** Each attempt: its masked key, endpoint and outcome. */
  attempts: readonly AttemptLog[]
  prompt: string | null
  completion: string | null
}

/**
 * A record as a line (the shared stream in Redis, and usage stores written before request-block.ts): one JSON array
 * of its fields in this order, which only grows (a line written before a field was added reads it as absent).
 */
const FIELDS = [
  'at',
  'id',
  'clientKey',
  'api',
  'method',
  'path',
  'model',
  'served',
  'key',
  'status',
  'input',
  'output',
  'cacheRead',
  'cacheWrite',
  'cost',
  'durationMs',
  'ttfbMs',
  'stream',
  'attempts',
  'prompt',
  'completion',
] as const satisfies readonly (keyof RequestRow)[]

/** A record's line: its fields in FIELDS' order (recordOf reads it back). */
export function recordLine(r: RequestRow): string {
  return JSON.stringify([
    r.at,
    r.id,
    r.clientKey,
    r.api,
    r.method,
    r.path,
    r.model,
    r.served,
    r.key,
    r.status,
    r.input,
    r.output,
    r.cacheRead,
    r.cacheWrite,
    r.cost,
    r.durationMs,
    r.ttfbMs,
    r.stream,
    r.attempts,
    r.prompt,
    r.completion,
  ])
}

export function recordOf(line: string): RequestRow {
  const values = JSON.parse(line) as unknown[]
  return Object.fromEntries(FIELDS.map((f, i) => [f, values[i] ?? null])) as unknown as RequestRow
}

/** What a batch of request records holds, to find it by (usage-store.ts). */
export interface BlockSummary {
  first: number
  last: number
  statuses: Set<number>
  clientKeys: Set<string>
  /** Each model asked for and each served. */
  models: Set<string>
}

/** A batch of request records as a store writes it (request-block.ts). */
export interface RecordsToWrite {
  readonly length: number
  summary(): BlockSummary
  bytes(): Uint8Array
}

/** Where flushed rows go, what each client key (or upstream key, `service/id`) spent there, and its totals. */
export interface UsageSink {
  add(rows: readonly UsageRow[], requests?: RecordsToWrite): void
  query(q: UsageQuery): UsageTotals[]
  requests(q: RequestQuery): RequestPage
  spentBy(by: 'client_key' | 'key', today: number, monthStart: number): Map<string, SpentSoFar>
}

export const GROUPINGS = ['client_key', 'key', 'service', 'model', 'day', 'hour'] as const
export type Grouping = (typeof GROUPINGS)[number]

export interface UsageQuery {
  /** Epoch ms, from (included) to (excluded). */
  from: number
  to: number
  groupBy: readonly Grouping[]
}

/** One row of an answer: what it is grouped by, then its totals. */
export type UsageTotals = Partial<Record<Grouping, string>> & Totals

/** Usage shared with other instances (cluster/redis-usage.ts); each answer undefined while that is away. */
export interface SharedUsage {
  /** Adds one flush's rows, once whatever the retries (`batchId`); false: not now, send it again later. */
  add(batchId: string, rows: readonly UsageRow[]): Promise<boolean>
  /** What each client key (or upstream key, `service/id`) spent on day `today` and in month `month` (UTC months since year 0). */
  spentBy(by: 'client_key' | 'key', today: number, month: number): Promise<Map<string, SpentSoFar> | undefined>
  query(q: UsageQuery): Promise<UsageTotals[] | undefined>
  /** Adds request records (their lines) to the shared, capped stream (none while Redis is away: they stay in the local store). */
  addRequests(lines: readonly string[]): Promise<void>
  requests(q: RequestQuery): Promise<RequestPage | undefined>
}

export interface RequestQuery {
  from: number
  to: number
  clientKey?: string
  /** As asked, or as served (`service/model`, or the model alone). */
  model?: string
  /** A status, or a class (`{from: 500}` for 5xx). */
  status?: number | { from: number }
  limit: number
  /** Where the previous page ended (its `next`): `<at>.<batch>.<line>` in the local store, a stream entry's id in Redis. */
  cursor?: string
}

/** A page of request records, and the cursor to the next (null: no more). */
export interface RequestPage {
  rows: object[]
  next: string | null
}

/** Whether a record is one `q` asks for (its time range and filters; not its page). */
export function asked(row: RequestRow, q: RequestQuery): boolean {
  if (row.at < q.from || row.at >= q.to) return false
  if (q.clientKey !== undefined && row.clientKey !== q.clientKey) return false
  if (q.model !== undefined && row.model !== q.model && row.served !== q.model && !row.served?.endsWith(`/${q.model}`)) return false
  if (typeof q.status === 'number') return row.status === q.status
  return q.status === undefined || (row.status >= q.status.from && row.status < q.status.from + 100)
}

/** A request record as GET /admin/requests gives it. */
export function requestView(r: RequestRow): object {
  return {
    at: new Date(r.at).toISOString(),
    id: r.id,
    client_key: r.clientKey,
    api: r.api,
    method: r.method,
    path: r.path,
    model: r.model,
    served: r.served,
    key: r.key,
    status: r.status,
    input_tokens: r.input,
    output_tokens: r.output,
    cache_read_tokens: r.cacheRead,
    cache_write_tokens: r.cacheWrite,
    cost_usd: r.cost,
    duration_ms: r.durationMs,
    ttfb_ms: r.ttfbMs,
    stream: r.stream,
    attempts: r.attempts,
    ...(r.prompt !== null && { prompt: r.prompt, completion: r.completion }),
  }
}
