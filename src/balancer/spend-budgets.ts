/**
 * What a client key may spend in US dollars a day and a calendar month
 * (UTC; `budget_usd_day`, `budget_usd_month`): a request that would start
 * once the key's spending has reached a budget is refused with a 429 that
 * names the budget and when it resets, nothing sent upstream. The request
 * that crosses a budget is served (its cost is known only at its end).
 */
import type { ClientLimits } from '../config/schema'
import { ProxyError } from '../errors'

export const DAY_MS = 86_400_000

/** What a key has spent in the current day and month. */
export interface SpentSoFar {
  day: number
  month: number
}

/** Throws the 429 when a budget is used up. */
export function checkSpend(limits: ClientLimits, spent: SpentSoFar, now: number): void {
  const over =
    limits.budgetUsdDay !== undefined && spent.day >= limits.budgetUsdDay
      ? { which: 'daily', budget: limits.budgetUsdDay, used: spent.day, resets: nextDay(now) }
      : limits.budgetUsdMonth !== undefined && spent.month >= limits.budgetUsdMonth
        ? { which: 'monthly', budget: limits.budgetUsdMonth, used: spent.month, resets: nextMonthStart(now) }
        : undefined
  if (!over) return
  const seconds = Math.max(1, Math.ceil((over.resets - now) / 1000))
  const message =
    `this key has spent $${usd(over.used)} of its ${over.which} budget of $${usd(over.budget)}; ` +
    `it resets at ${new Date(over.resets).toISOString()}`
  throw new ProxyError(429, 'budget_exceeded', message, { 'retry-after': String(seconds) })
}

/** The budgets `spent` has just passed the warning share of (`budget_warn_at`), having been below it before `cost`. */
export function budgetsWarned(limits: ClientLimits, spent: SpentSoFar, cost: number): string[] {
  const share = limits.budgetWarnAt
  if (share === undefined || cost <= 0) return []
  const crossed = (budget: number | undefined, after: number) =>
    budget !== undefined && after >= share * budget && after - cost < share * budget
  return [
    ...(crossed(limits.budgetUsdDay, spent.day) ? [`$${usd(spent.day)} of its daily budget of $${usd(limits.budgetUsdDay!)}`] : []),
    ...(crossed(limits.budgetUsdMonth, spent.month)
      ? [`$${usd(spent.month)} of its monthly budget of $${usd(limits.budgetUsdMonth!)}`]
      : []),
  ]
}

/** Where a key's spending stands against its budgets: past one, past a warning share of one, or neither. */
export function budgetState(limits: ClientLimits, spent: SpentSoFar): 'exceeded' | 'warning' | 'ok' {
  const pairs: [number | undefined, number][] = [
    [limits.budgetUsdDay, spent.day],
    [limits.budgetUsdMonth, spent.month],
  ]
  if (pairs.some(([budget, used]) => budget !== undefined && used >= budget)) return 'exceeded'
  const share = limits.budgetWarnAt
  if (share !== undefined && pairs.some(([budget, used]) => budget !== undefined && used >= share * budget)) return 'warning'
  return 'ok'
}

/** Epoch days and UTC months, as spending is counted in. */
export const dayOf = (now: number) => Math.floor(now / DAY_MS)
export const monthOf = (now: number) => {
  const d = new Date(now)
  return d.getUTCFullYear() * 12 + d.getUTCMonth()
}
/** The first day (epoch days) of the month `now` is in. */
export const monthStartDay = (now: number) => {
  const d = new Date(now)
  return dayOf(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1))
}

const nextDay = (now: number) => (dayOf(now) + 1) * DAY_MS
/** When the month `now` is in ends (epoch ms). */
export const nextMonthStart = (now: number) => {
  const d = new Date(now)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)
}
/** Cents; below a cent, three significant digits (a budget of $0.005 reads as such). */
const usd = (n: number) => (n >= 0.01 ? n.toFixed(2) : String(Number(n.toPrecision(3))))
