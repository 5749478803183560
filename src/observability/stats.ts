/**
 * The /stats document: the seed's shape (`load_balancer_stats.<service>.
 * {keys_count, endpoints}`) with per-target figures beside it, and how
 * several workers' documents add up into one.
 */
import type { HealthJSON, HealthState } from '../balancer/health'
import { addFigures, type CounterFigures } from './counters'
import { mergeKeyEvents, type KeyEventFigures } from './key-events'
import { mergeRequestFigures, type RequestFigures } from './request-metrics'

export type HealthFigures = HealthJSON

/** What a key's last background check found (null: none yet). */
export interface CheckFigures {
  at: string
  ok: boolean
  status: number | null
  message: string
}

export type TargetStats = CounterFigures & { health: HealthFigures }

/** What the provider last reported of a key's rate limits (null: unknown, or its reset has passed). */
export interface QuotaFigures {
  remaining_requests: number | null
  remaining_tokens: number | null
  requests_reset_at: string | null
  tokens_reset_at: string | null
}

/** Session affinity in one service: live pins, and how requests with a session fared. */
export interface AffinityFigures {
  mode: string
  pinned_sessions: number
  hits: number
  new_pins: number
  repins: Record<string, number>
}

export interface ServiceStats {
  keys_count: number
  endpoints: string[]
  strategy: string
  format: string
  keys: (TargetStats & { key: string; id: string; source: 'config' | 'admin'; quota: QuotaFigures; last_check: CheckFigures | null })[]
  /** With `/stats?keys=N` and more keys than that: how many `keys` lists (the most notable). */
  keys_listed?: number
  endpoint_stats: (TargetStats & { url: string })[]
  affinity: AffinityFigures
  /** How many keys are in each state now (with --workers, as the first process sees them: states are shared). */
  key_states: { active: number; cooling: number; disabled: number }
  /** Keys disabled (by reason) and enabled (by what brought them back), checks run (passed, failed). */
  key_events: KeyEventFigures
}

export interface Stats {
  load_balancer_stats: Record<string, ServiceStats>
  /** Per client request, across services: durations, first bytes, answers by API and status class. */
  requests: RequestFigures
  /** How many processes these figures add up (1 without --workers). */
  workers: number
  /** With Redis: whether it answers, and how many instances share the state through it (null while unknown). */
  shared?: SharedFigures
}

export interface SharedFigures {
  redis: 'connected' | 'connecting' | 'unreachable'
  instances: number | null
}

const SEVERITY: Record<HealthState, number> = { healthy: 0, probing: 1, cooling: 2, disabled: 3 }

/** The worst state any worker sees: a target cooling in one worker is cooling. */
function worstHealth(all: HealthFigures[]): HealthFigures {
  const worst = all.reduce((a, b) => (SEVERITY[b.state] > SEVERITY[a.state] ? b : a))
  return {
    state: worst.state,
    consecutive_failures: Math.max(...all.map((h) => h.consecutive_failures)),
    cooldown_remaining_ms: Math.max(...all.map((h) => h.cooldown_remaining_ms)),
    ...(worst.disabled && { disabled: worst.disabled }),
  }
}

function mergeTargets<T extends TargetStats>(lists: T[][]): T[] {
  // Workers load the same configuration: the same targets in the same order.
  return lists[0].map((first, i) => {
    const same = lists.map((l) => l[i]).filter((t): t is T => t !== undefined)
    return { ...first, ...addFigures(same), health: worstHealth(same.map((t) => t.health)) }
  })
}

const NOTABLE: Record<HealthState, number> = { disabled: 0, cooling: 1, probing: 2, healthy: 3 }

/**
 * At most `n` keys of each service listed (a pool of 10,000 keys makes a
 * 10 MB document): the disabled ones first, then the cooling, then the
 * busiest. Applied to the whole document, after the workers' are added up.
 */
export function withKeysLimited(stats: Stats, n: number): Stats {
  const services: Record<string, ServiceStats> = {}
  for (const [name, s] of Object.entries(stats.load_balancer_stats)) {
    if (s.keys.length <= n) services[name] = s
    else {
      const order = (k: ServiceStats['keys'][number]) => NOTABLE[k.health.state]
      const keys = s.keys.toSorted((a, b) => order(a) - order(b) || b.requests - a.requests).slice(0, n)
      services[name] = { ...s, keys, keys_listed: n }
    }
  }
  return { ...stats, load_balancer_stats: services }
}

export function mergeStats(all: Stats[]): Stats {
  if (all.length === 1) return all[0]
  const services = Object.keys(all[0].load_balancer_stats)
  return {
    workers: all.reduce((n, s) => n + s.workers, 0),
    // The primary's view (its figures come first).
    ...(all[0].shared && { shared: all[0].shared }),
    requests: mergeRequestFigures(all.map((s) => s.requests)),
    load_balancer_stats: Object.fromEntries(
      services.map((name) => {
        const each = all.map((s) => s.load_balancer_stats[name]).filter((s): s is ServiceStats => s !== undefined)
        return [
          name,
          {
            ...each[0],
            keys: mergeTargets(each.map((s) => s.keys)),
            endpoint_stats: mergeTargets(each.map((s) => s.endpoint_stats)),
            affinity: mergeAffinity(each.map((s) => s.affinity)),
            key_events: mergeKeyEvents(each.map((s) => s.key_events)),
          },
        ]
      }),
    ),
  }
}

/** The hits and pins made add up; the pins themselves every worker holds (they are shared through the primary): counted once. */
function mergeAffinity(all: AffinityFigures[]): AffinityFigures {
  const repins: Record<string, number> = {}
  for (const a of all) for (const [why, n] of Object.entries(a.repins)) repins[why] = (repins[why] ?? 0) + n
  const sum = (field: 'hits' | 'new_pins') => all.reduce((n, a) => n + a[field], 0)
  return {
    mode: all[0].mode,
    pinned_sessions: Math.max(...all.map((a) => a.pinned_sessions)),
    hits: sum('hits'),
    new_pins: sum('new_pins'),
    repins,
  }
}
