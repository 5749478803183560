/**
 * GET /admin/requests (CONTRACT), behind the admin key: the request
 * records kept (LMLB_REQUESTS_DAYS), newest first, filtered by client key
 * (its id), model (as asked or as served), status (`429`, or a class:
 * `5xx`) and time, `limit` at a time (1-1000, default 100); `cursor` (the
 * last page's `next`) gives the page after.
 *
 * GET /admin/usage (CONTRACT), behind the admin key: usage and cost over a
 * time range (`from`, `to`: ISO 8601 dates or times, UTC; by default this
 * month so far), grouped by any of client_key, key, service, model, day,
 * hour (`group_by`, comma-separated), as JSON `{"rows", "total"}` or CSV.
 * What is held in memory is written first, so the answer includes every
 * request this process saw end.
 */
import { budgetState } from '../balancer/spend-budgets'
import { ProxyError } from '../errors'
import { TOTALS, type Totals } from '../observability/spend'
import type { Runtime } from '../state/runtime'
import { GROUPINGS, type Grouping, type UsageTotals } from '../state/usage-rows'
import { roundUsd } from '../state/usage-store'
import { admitted } from './admin-keys'

export async function usageAnswer(runtime: Runtime, request: Request): Promise<Response> {
  admitted(runtime, request)
  storeOf(runtime)
  const q = new URL(request.url).searchParams
  const now = Date.now()
  const from = timeOf(q.get('from'), 'from') ?? startOfMonth(now)
  const to = timeOf(q.get('to'), 'to') ?? now
  if (to <= from) throw bad(`to (${new Date(to).toISOString()}) must come after from (${new Date(from).toISOString()})`)
  const groupBy = groupingsOf(q.get('group_by'))
  await runtime.usage.settled()
  const { rows, shared } = await runtime.usage.query({ from, to, groupBy })
  const total = totalOf(rows)
  const format = q.get('format') ?? 'json'
  if (format === 'csv') return new Response(csvOf(rows, groupBy), { headers: { 'content-type': 'text/csv; charset=utf-8' } })
  if (format !== 'json') throw bad(`format: must be json or csv, got ${JSON.stringify(format.slice(0, 20))}`)
  const budgets = budgetsOf(runtime)
  return Response.json({
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    group_by: groupBy,
    shared,
    rows,
    total,
    budgets,
  })
}

export async function requestsAnswer(runtime: Runtime, request: Request): Promise<Response> {
  admitted(runtime, request)
  storeOf(runtime)
  const q = new URL(request.url).searchParams
  const limitText = q.get('limit') ?? '100'
  const limit = Number(limitText)
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
    throw bad(`limit: must be a whole number from 1 to 1000, got ${JSON.stringify(limitText.slice(0, 20))}`)
  const status = statusOf(q.get('status'))
  const cursor = q.get('cursor')
  if (cursor !== null && !/^\d+(\.\d+\.\d+|-\d+)$/.test(cursor)) throw bad('cursor: not one a previous page gave (its `next`)')
  await runtime.usage.settled()
  const page = await runtime.usage.requests({
    from: timeOf(q.get('from'), 'from') ?? 0,
    to: timeOf(q.get('to'), 'to') ?? Date.now() + 1,
    limit,
    ...(q.get('client_key') !== null && { clientKey: q.get('client_key')! }),
    ...(q.get('model') !== null && { model: q.get('model')! }),
    ...(status !== undefined && { status }),
    ...(cursor !== null && { cursor }),
  })
  return Response.json({ data: page.rows, next: page.next })
}

/** Each client key with a budget: what it may spend, what it spent this day and month (UTC), and where that stands. */
function budgetsOf(runtime: Runtime): object[] {
  return [...runtime.current.spendLimits].map(([id, limits]) => {
    const spent = runtime.usage.spentBy(id)
    return {
      client_key: id,
      budget_usd_day: limits.budgetUsdDay ?? null,
      budget_usd_month: limits.budgetUsdMonth ?? null,
      warn_at: limits.budgetWarnAt ?? null,
      spent_usd_day: roundUsd(spent.day),
      spent_usd_month: roundUsd(spent.month),
      state: budgetState(limits, spent),
    }
  })
}

function storeOf(runtime: Runtime) {
  if (!runtime.usageStore)
    throw new ProxyError(
      503,
      'usage_unavailable',
      runtime.current.config.keepUsage
        ? 'lmlb could not open its usage store (the log says why at start)'
        : 'usage is not kept here (LMLB_USAGE=off): /stats and /metrics count it since start',
    )
  return runtime.usageStore
}

/** `429`, or a class: `5xx`. */
function statusOf(text: string | null): number | { from: number } | undefined {
  if (text === null || text === '') return undefined
  if (/^[1-5]\d\d$/.test(text)) return Number(text)
  if (/^[1-5]xx$/i.test(text)) return { from: Number(text[0]) * 100 }
  throw bad(`status: a status (429) or a class (5xx), got ${JSON.stringify(text.slice(0, 20))}`)
}

const bad = (message: string) => new ProxyError(400, 'invalid_request', message)

/** An ISO 8601 date (`2026-12-01`, midnight UTC) or time; a day given for `to` includes that day. */
function timeOf(text: string | null, name: string): number | undefined {
  if (text === null || text === '') return undefined
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(text)
  const at = Date.parse(dateOnly ? `${text}T00:00:00Z` : text)
  if (Number.isNaN(at)) throw bad(`${name}: not an ISO 8601 date or time: ${JSON.stringify(text.slice(0, 40))}`)
  return dateOnly && name === 'to' ? at + 24 * 3_600_000 : at
}

function startOfMonth(now: number): number {
  const d = new Date(now)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)
}

function groupingsOf(text: string | null): Grouping[] {
  if (text === null || text.trim() === '') return []
  const asked = text.split(',').map((g) => g.trim())
  const unknown = asked.filter((g) => !(GROUPINGS as readonly string[]).includes(g))
  if (unknown.length > 0) throw bad(`group_by: ${JSON.stringify(unknown[0].slice(0, 40))} is not one of ${GROUPINGS.join(', ')}`)
  return [...new Set(asked as Grouping[])]
}

function totalOf(rows: readonly UsageTotals[]): Totals {
  const total = Object.fromEntries(TOTALS.map((k) => [k, 0])) as Totals
  for (const row of rows) for (const k of TOTALS) total[k] += row[k]
  total.cost_usd = roundUsd(total.cost_usd)
  return total
}

function csvOf(rows: readonly UsageTotals[], groupBy: readonly Grouping[]): string {
  const header = [...groupBy, ...TOTALS]
  const cell = (v: string | number | undefined) =>
    typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : String(v ?? '')
  return [header.join(','), ...rows.map((r) => header.map((h) => cell(r[h as keyof UsageTotals])).join(','))].join('\n') + '\n'
}
