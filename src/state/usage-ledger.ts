/**
 * Usage kept: each request's spending (observability/spend.ts) priced as
 * it ends and counted for /stats and budgets; its record held in memory
 * (request-block.ts) until the next flush writes the records, and what
 * they add up to per hour (hour, client key, upstream key, service, model),
 * to the usage store in one batch (state/usage-store.ts). A request never
 * waits for a write; what a crash loses is at most what came since the last
 * flush.
 */
import type { Tokens } from '../observability/cost'
import type { RequestRecord } from '../observability/request-record'
import { spentOf, type Spent } from '../observability/spend'
import type { ProxyState } from './proxy-state'
import { type Ended, RequestBlock } from './request-block'
import {
  type RequestPage,
  type RequestQuery,
  recordLine,
  type SharedUsage,
  type UsageQuery,
  type UsageRow,
  type UsageSink,
  type UsageTotals,
} from './usage-rows'
import { budgetsWarned, DAY_MS, dayOf, monthOf, monthStartDay, nextMonthStart, type SpentSoFar } from '../balancer/spend-budgets'
import type { Logger } from '../observability/log'

/** Spending by id in the current day and month (UTC): the store's, and this process's since. */
class PeriodSpend {
  private readonly by = new Map<string, { day: number; dayUsd: number; month: number; monthUsd: number }>()

  get(id: string, now: number): SpentSoFar {
    const c = this.by.get(id)
    if (!c) return { day: 0, month: 0 }
    return { day: c.day === dayOf(now) ? c.dayUsd : 0, month: c.month === monthOf(now) ? c.monthUsd : 0 }
  }

  /** What `id` has spent once `cost` is added at `at`. */
  add(id: string, cost: number, at: number): SpentSoFar {
    const [day, month] = [dayOf(at), monthOf(at)]
    let c = this.by.get(id)
    if (!c) this.by.set(id, (c = { day, dayUsd: 0, month, monthUsd: 0 }))
    if (c.day !== day) Object.assign(c, { day, dayUsd: 0 })
    if (c.month !== month) Object.assign(c, { month, monthUsd: 0 })
    c.dayUsd += cost
    c.monthUsd += cost
    return { day: c.dayUsd, month: c.monthUsd }
  }

  /** The store's word, for `now`'s day and month. */
  replace(spent: ReadonlyMap<string, SpentSoFar>, now: number): void {
    const [day, month] = [dayOf(now), monthOf(now)]
    this.by.clear()
    for (const [id, s] of spent) this.by.set(id, { day, dayUsd: s.day, month, monthUsd: s.month })
  }

  ids(): IterableIterator<string> {
    return this.by.keys()
  }
}

/** When a cap's period ends, if `spent` has reached it (0: not reached). */
function capped(cap: { usdDay?: number; usdMonth?: number }, spent: SpentSoFar, now: number): number {
  if (cap.usdDay !== undefined && spent.day >= cap.usdDay) return (dayOf(now) + 1) * DAY_MS
  if (cap.usdMonth !== undefined && spent.month >= cap.usdMonth) return nextMonthStart(now)
  return 0
}

/**
 * Request records held before they are written, at most (a busy lmlb writes more often than LMLB_USAGE_FLUSH_S). Each
 * write has a cost of its own (about 1 ms: a transaction, SQLite's pages rewritten): 8,000 a write gave 0.6-1.1% more
 * throughput than 2,000 in three paired runs, 20,000 no more than 8,000 (docs/usage.md).
 */
export const BATCH = 8_000

/** Batches kept for Redis while it is away (an hour of 5-second flushes, less when busy); older ones stay in this instance's store only. */
const MAX_PENDING = 720

const NO_TOKENS: Tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 }

/** Requests ended and not yet added to the block, at most: taken in bulk (see `ended`). */
const ENDED = 64

export class UsageLedger {
  /**
   * Requests ended since they were last taken: added to the block ENDED at a time, not one as each ends. Added in bulk
   * the block's code and tables stay in the cache between records; added one at a time between requests they cost a
   * request about 2-3% more of lmlb's throughput (docs/usage.md).
   */
  private ended: Ended[] = []
  /** Each request's record, since the last flush. */
  private readonly unwritten = new RequestBlock()
  /** Each client key's spending this day and month (budget_usd_day, _month). */
  private readonly clients = new PeriodSpend()
  /** Each upstream key's (`service/id`), for its service's key_spend_cap. */
  private readonly keys = new PeriodSpend()
  /** Each service's, for its spend_cap. */
  private readonly services = new PeriodSpend()

  private readonly sink?: UsageSink
  private readonly shared?: SharedUsage
  private readonly logger?: Logger
  /** The clock spending is counted by. */
  readonly now: () => number
  /** Flushed batches not yet in the shared store (Redis away), oldest first. */
  private pending: { id: string; rows: UsageRow[] }[] = []
  /** The sharing under way, if any. */
  private sharing?: Promise<void>
  /** Request records (lines) flushed since the last sharing, for the shared stream. */
  private records: string[] = []

  constructor(
    private readonly current: () => ProxyState,
    /** No store: counted for /stats only (nothing is kept). `shared`: every instance's usage, in Redis. */
    o: { store?: UsageSink; shared?: SharedUsage; logger?: Logger; now?: () => number } = {},
  ) {
    this.sink = o.store
    this.shared = o.store && o.shared
    this.logger = o.logger
    this.now = o.now ?? Date.now
    // The state is not built yet: keys past their cap are set aside at the first flush.
    this.reread(false)
  }

  /** A request is over: what it spent, if it reached an upstream, and its record. */
  finished(record: RequestRecord, status: number): void {
    const state = this.current()
    const at = this.now()
    const spent = record.billed && spentOf(state.config, record.billed, record.clientKey, record.tokens ?? NO_TOKENS, at)
    if (spent) {
      state.requests.spend.add(spent)
      if (spent.cost !== undefined) this.count(spent, spent.cost)
    }
    if (!this.sink) return
    const bodies = record.bodies
    this.ended.push({
      record,
      status,
      at,
      endedAt: performance.now(),
      cost: spent?.cost,
      prompt: bodies ? state.scrubber.text(record.prompt ?? '') : null,
      completion: bodies ? state.scrubber.text(record.completion) : null,
    })
    if (this.ended.length < ENDED) return
    const before = this.unwritten.length
    this.take()
    // Written in batches of about this many at most, between the timer's flushes: what is held stays small and young.
    // Only written: what every process spent is read back at the timer's flushes (each read is a query, and a busy
    // lmlb writes a batch a few times a second).
    if (before < BATCH && this.unwritten.length >= BATCH) setTimeout(() => this.logged(() => this.write()), 0)
  }

  /** The requests ended since the last take, added to the block to write. */
  private take(): void {
    const ended = this.ended
    this.ended = []
    for (const e of ended) this.unwritten.add(e)
  }

  /** A flush whose failure (a full disk) is said, not thrown: the requests go on. */
  flushLogged(): void {
    this.logged(() => this.flush())
  }

  private logged(step: () => void): void {
    try {
      step()
    } catch (error) {
      this.logger?.error(`usage: could not write to the usage store: ${(error as Error).message}`)
    }
  }

  /** What a client key (its id) has spent this day and this month (UTC). */
  spentBy(clientKey: string): SpentSoFar {
    return this.clients.get(clientKey, this.now())
  }

  /** Writes what is held, in one batch, then shares it and reads back what every process spent. */
  flush(): void {
    if (!this.sink) return
    this.write()
    if (!this.shared) return this.reread()
    this.sharing ??= this.share()
      .catch((error: Error) => this.logger?.error(`usage: could not read back what was spent: ${error.message}`))
      .finally(() => (this.sharing = undefined))
  }

  /** What is held, written in one batch (and kept to share): read back and shared at the next flush. */
  private write(): void {
    if (!this.sink) return
    this.take()
    if (this.unwritten.length > 0) {
      const requests = this.unwritten
      const rows = requests.usageRows()
      try {
        this.sink.add(rows, requests)
        if (this.shared && rows.length > 0) this.pending.push({ id: crypto.randomUUID(), rows })
        if (this.shared) this.records.push(...requests.rows().map(recordLine))
      } finally {
        // Written or not (a full disk: said by `logged`), the next records start afresh.
        requests.clear()
      }
    }
  }

  /** Flushed, and shared where it is (what GET /admin/usage waits for). */
  async settled(): Promise<void> {
    this.flush()
    await this.sharing
  }

  /** Totals as `q` asks: every instance's while Redis answers (`shared`), else this one's. */
  async query(q: UsageQuery): Promise<{ rows: UsageTotals[]; shared: boolean }> {
    const everyone = await this.shared?.query(q)
    return everyone ? { rows: everyone, shared: true } : { rows: this.sink!.query(q), shared: false }
  }

  /** Request records as `q` asks: every instance's while Redis answers, else this one's. */
  async requests(q: RequestQuery): Promise<RequestPage> {
    return (await this.shared?.requests(q)) ?? this.sink!.requests(q)
  }

  /** Sends the batches Redis has not taken yet, in order, each once; then reads back what every instance spent. */
  private async share(): Promise<void> {
    const shared = this.shared!
    // Records go once, or not at all while Redis is away (they stay in the local store).
    const records = this.records
    this.records = []
    await shared.addRequests(records)
    while (this.pending.length > 0 && (await shared.add(this.pending[0].id, this.pending[0].rows))) this.pending.shift()
    if (this.pending.length > MAX_PENDING) this.pending.splice(0, this.pending.length - MAX_PENDING)
    const now = this.now()
    const [clients, keys] = await Promise.all([
      shared.spentBy('client_key', dayOf(now), monthOf(now)),
      shared.spentBy('key', dayOf(now), monthOf(now)),
    ])
    if (!clients || !keys || this.pending.length > 0) return this.reread()
    this.clients.replace(clients, now)
    this.readBack(keys, now)
    this.capKeys(now)
  }

  /** The store's word on this day's and month's spending, once all this process holds is in it; keys past their cap set aside. */
  private reread(caps = true): void {
    if (!this.sink) return
    const now = this.now()
    const [today, monthStart] = [dayOf(now), monthStartDay(now)]
    this.clients.replace(this.sink.spentBy('client_key', today, monthStart), now)
    this.readBack(this.sink.spentBy('key', today, monthStart), now)
    if (caps) this.capKeys(now)
  }

  /** The keys' spending as read back, and the services' added up from it. */
  private readBack(keys: ReadonlyMap<string, SpentSoFar>, now: number): void {
    this.keys.replace(keys, now)
    const services = new Map<string, SpentSoFar>()
    for (const [id, spent] of keys) {
      const service = id.slice(0, id.indexOf('/'))
      const sum = services.get(service) ?? { day: 0, month: 0 }
      services.set(service, { day: sum.day + spent.day, month: sum.month + spent.month })
    }
    this.services.replace(services, now)
  }

  /** Every key's and service's spending against their caps. */
  private capKeys(now: number): void {
    for (const id of this.keys.ids()) this.capKey(id, this.keys.get(id, now), now)
    for (const service of this.services.ids()) this.capService(service, this.services.get(service, now), now)
  }

  /** Adds to the client key's and the upstream key's day and month; warns once as a client passes its budgets' warning share. */
  private count(s: Spent, cost: number): void {
    const spent = this.clients.add(s.clientKey, cost, s.at)
    const limits = this.current().spendLimits.get(s.clientKey)
    for (const warning of limits ? budgetsWarned(limits, spent, cost) : [])
      this.logger?.warn(`client key ${s.clientKey} has spent ${warning}`)
    const key = `${s.service}/${s.key}`
    this.capKey(key, this.keys.add(key, cost, s.at), s.at)
    this.capService(s.service, this.services.add(s.service, cost, s.at), s.at)
  }

  /** A service past its spend_cap: every key of it set aside until the day (or month) resets, said once. */
  private capService(name: string, spent: SpentSoFar, now: number): void {
    const pool = this.current().pools.get(name)
    const until = pool?.service.spendCap ? capped(pool.service.spendCap, spent, now) : 0
    if (!pool || until === 0) return
    const fresh = pool.keys.items.filter((k) => k.health.asideFor(now) !== 'service_spend_cap')
    for (const key of fresh) key.health.setAside(until, 'service_spend_cap')
    if (fresh.length > 0)
      this.logger?.warn(
        `${name}: the service reached its spend cap ($${spent.day.toFixed(4)} today, $${spent.month.toFixed(4)} this month); ` +
          `its keys are set aside until ${new Date(until).toISOString()}`,
      )
  }

  /** An upstream key past its service's key_spend_cap: set aside until the day (or month) resets, said once. */
  private capKey(id: string, spent: SpentSoFar, now: number): void {
    const slash = id.indexOf('/')
    const pool = this.current().pools.get(id.slice(0, slash))
    const cap = pool?.service.keySpendCap
    const key = cap && pool.keyById.get(id.slice(slash + 1))
    if (!cap || !key) return
    const until = capped(cap, spent, now)
    if (until === 0 || key.health.asideFor(now) === 'spend_cap') return
    key.health.setAside(until, 'spend_cap')
    this.logger?.warn(
      `${pool.service.name}: key ${key.masked} reached its spend cap ($${spent.day.toFixed(4)} today, $${spent.month.toFixed(4)} this month); ` +
        `set aside until ${new Date(until).toISOString()}`,
    )
  }
}
