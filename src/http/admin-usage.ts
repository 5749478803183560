/**
 * GET /admin/usage (CONTRACT), behind the admin key: usage and cost over a
 * time range (`from`, `to`: ISO 8601 dates or times, UTC; by default this
 * month so far), grouped by any of client_key, key, service, model, day,
 * hour (`group_by`, comma-separated), as JSON `{"rows", "total"}` or CSV.
 * What is held in memory is written first, so the answer includes every
 * request this process saw end.
 */
import { ProxyError } from '../errors'
import type { Runtime } from '../state/runtime'
import { GROUPINGS, roundUsd, type Grouping, type UsageTotals } from '../state/usage-store'
import { admitted } from './admin-keys'

const SUMS = [
  'requests',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cost_usd',
  'unpriced_requests',
] as const

export function usageAnswer(runtime: Runtime, request: Request): Response {
  admitted(runtime, request)
  const store = runtime.usageStore
  if (!store) throw new ProxyError(503, 'usage_unavailable', 'lmlb could not open its usage store (the log says why at start)')
  const q = new URL(request.url).searchParams
  const now = Date.now()
  const from = timeOf(q.get('from'), 'from') ?? startOfMonth(now)
  const to = timeOf(q.get('to'), 'to') ?? now
  if (to <= from) throw bad(`to (${new Date(to).toISOString()}) must come after from (${new Date(from).toISOString()})`)
  const groupBy = groupingsOf(q.get('group_by'))
  runtime.usage.flush()
  const rows = store.query({ from, to, groupBy })
  const total = totalOf(rows)
  const format = q.get('format') ?? 'json'
  if (format === 'csv') return new Response(csvOf(rows, groupBy), { headers: { 'content-type': 'text/csv; charset=utf-8' } })
  if (format !== 'json') throw bad(`format: must be json or csv, got ${JSON.stringify(format.slice(0, 20))}`)
  return Response.json({ from: new Date(from).toISOString(), to: new Date(to).toISOString(), group_by: groupBy, rows, total })
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

function totalOf(rows: readonly UsageTotals[]): Omit<UsageTotals, Grouping> {
  const total = Object.fromEntries(SUMS.map((k) => [k, 0])) as Record<(typeof SUMS)[number], number>
  for (const row of rows) for (const k of SUMS) total[k] += row[k]
  total.cost_usd = roundUsd(total.cost_usd)
  return total
}

function csvOf(rows: readonly UsageTotals[], groupBy: readonly Grouping[]): string {
  const header = [...groupBy, ...SUMS]
  const cell = (v: string | number | undefined) =>
    typeof v === 'string' && /[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : String(v ?? '')
  return [header.join(','), ...rows.map((r) => header.map((h) => cell(r[h as keyof UsageTotals])).join(','))].join('\n') + '\n'
}
