/**
 * Usage kept: each request's spending (observability/spend.ts) priced as
 * it ends, counted for /stats, and added to per-hour rows held in memory
 * (hour, client key, upstream key, service, model) until the next flush
 * writes them to the usage store in one batch (state/usage-store.ts). A
 * request never waits for a write; what a crash loses is at most what came
 * since the last flush.
 */
import type { Tokens } from '../observability/cost'
import { spentOf, type Billed, type Spent } from '../observability/spend'
import type { ProxyState } from './proxy-state'

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

/** Where flushed rows go. */
export interface UsageSink {
  add(rows: readonly UsageRow[]): void
}

const ZERO = { requests: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cost: 0, unpriced: 0 }

export class UsageLedger {
  private rows = new Map<string, UsageRow>()

  constructor(
    private readonly current: () => ProxyState,
    /** None: counted for /stats only (nothing is kept). */
    private readonly sink?: UsageSink,
    private readonly now: () => number = Date.now,
  ) {}

  /** A request reached an upstream and is over. */
  readonly spent = (billed: Billed, tokens: Tokens, clientKey: string | undefined): void => {
    const state = this.current()
    const spent = spentOf(state.config, billed, clientKey, tokens, this.now())
    state.requests.spend.add(spent)
    if (this.sink) this.hold(spent)
  }

  /** Writes what is held, in one batch. */
  flush(): void {
    if (this.rows.size === 0 || !this.sink) return
    const rows = [...this.rows.values()]
    this.rows = new Map()
    this.sink.add(rows)
  }

  private hold(s: Spent): void {
    const period = Math.floor(s.at / HOUR_MS)
    const id = `${period}\u0000${s.clientKey}\u0000${s.key}\u0000${s.service}\u0000${s.model}`
    let row = this.rows.get(id)
    if (!row) this.rows.set(id, (row = { period, clientKey: s.clientKey, key: s.key, service: s.service, model: s.model, ...ZERO }))
    row.requests++
    row.input += s.tokens.input
    row.output += s.tokens.output
    row.cacheRead += s.tokens.cacheRead
    row.cacheWrite += s.tokens.cacheWrite
    if (s.cost === undefined) row.unpriced++
    else row.cost += s.cost
  }
}
