/**
 * What each request spent, as it ends: its tokens and their cost, named by
 * the client key that asked (its id, never its value; `anonymous` where
 * lmlb takes no proxy keys), the upstream key that answered (its id), the
 * service and the model that served. Counted here for /stats and /metrics
 * (since start, per process, added up across workers), and handed to the
 * usage ledger that keeps it (usage-ledger.ts).
 */
import type { Config } from '../config/schema'
import { hashOf } from '../util/hash'
import { costOf, priceOf, type Tokens } from './cost'

/** One request's spending. */
export interface Spent {
  /** Epoch ms, when it ended. */
  at: number
  clientKey: string
  /** The upstream key's id; `none` for a keyless service. */
  key: string
  service: string
  model: string
  tokens: Tokens
  /** US dollars; undefined where the model has no price (counted in tokens, unpriced). */
  cost?: number
}

/** What a request's record knows when it ends (observability/request-record.ts). */
export interface Billed {
  service: string
  /** As routed, and as the upstream knows it (after the service's rename). */
  model: string
  upstreamModel: string
  keyId: string | null
}

export const ANONYMOUS = 'anonymous'

/** A client key's id: 12 hex digits of a hash of it, the same on every instance. */
export function clientKeyId(value: string): string {
  return hashOf(`client/${value}`).slice(0, 12)
}

/** The spending of a request that reached an upstream, priced by the model that served it. */
export function spentOf(config: Config, billed: Billed, clientKey: string | undefined, tokens: Tokens, at: number): Spent {
  const price = priceOf(config, billed.service, billed.upstreamModel) ?? priceOf(config, billed.service, billed.model)
  return {
    at,
    clientKey: clientKey ?? ANONYMOUS,
    key: billed.keyId ?? 'none',
    service: billed.service,
    model: billed.model,
    tokens,
    ...(price && { cost: costOf(tokens, price) }),
  }
}

/** The totals every usage answer has (/stats, /admin/usage), by name. */
export const TOTALS = [
  'requests',
  'input_tokens',
  'output_tokens',
  'cache_read_tokens',
  'cache_write_tokens',
  'cost_usd',
  'unpriced_requests',
] as const
export type Totals = Record<(typeof TOTALS)[number], number>

/** Totals by service, model and client key, as /stats gives them. */
export type SpendFigures = { service: string; model: string; client_key: string } & Totals

/** Past this many series, new ones count under model `other` (a client can name any model; memory must not follow). */
const MAX_SERIES = 2_000

export class SpendTotals {
  private readonly series = new Map<string, SpendFigures>()

  add(s: Spent): void {
    let model = s.model
    let id = idOf(s.service, model, s.clientKey)
    if (this.series.size >= MAX_SERIES && !this.series.has(id)) id = idOf(s.service, (model = 'other'), s.clientKey)
    let figures = this.series.get(id)
    if (!figures) this.series.set(id, (figures = emptyFigures(s.service, model, s.clientKey)))
    addTo(figures, s)
  }

  toJSON(): SpendFigures[] {
    return [...this.series.values()].map((f) => ({ ...f }))
  }
}

const idOf = (service: string, model: string, clientKey: string) => `${service}\u0000${model}\u0000${clientKey}`

function emptyFigures(service: string, model: string, client_key: string): SpendFigures {
  const zero = { requests: 0, input_tokens: 0, output_tokens: 0, cache_read_tokens: 0, cache_write_tokens: 0 }
  return { service, model, client_key, ...zero, cost_usd: 0, unpriced_requests: 0 }
}

function addTo(f: SpendFigures, s: Spent): void {
  f.requests++
  f.input_tokens += s.tokens.input
  f.output_tokens += s.tokens.output
  f.cache_read_tokens += s.tokens.cacheRead
  f.cache_write_tokens += s.tokens.cacheWrite
  if (s.cost === undefined) f.unpriced_requests++
  else f.cost_usd += s.cost
}

/** Several workers' totals, added up series by series. */
export function mergeSpend(all: readonly SpendFigures[][]): SpendFigures[] {
  const merged = new Map<string, SpendFigures>()
  for (const f of all.flat()) {
    const id = idOf(f.service, f.model, f.client_key)
    const into = merged.get(id)
    if (!into) merged.set(id, { ...f })
    else for (const k of TOTALS) into[k] += f[k]
  }
  return [...merged.values()]
}
