/**
 * One service's key pool and endpoint pool, each chosen by the service's
 * strategy (the seed's design: a request takes the next key AND the next
 * endpoint, independently), skipping targets that are cooling down.
 */
import type { ServiceConfig } from '../config/schema'
import { TargetCounters } from '../observability/counters'
import { maskKey } from '../observability/redact'
import { Health } from './health'
import { createSelector, type Member, type Selector } from './strategies'

interface Tracked extends Member {
  counters: TargetCounters
  health: Health
}

export interface KeyTarget extends Tracked {
  value: string
  masked: string
}

export interface EndpointTarget extends Tracked {
  url: string
}

export interface Target {
  /** Undefined for a service with no keys (a local server that needs none). */
  key?: KeyTarget
  endpoint: EndpointTarget
}

/** What a reload hands over from the pool it replaces, so counters and cooldowns survive. */
export interface Carried {
  counters: TargetCounters
  health: Health
}

export class ServicePool {
  readonly keys: Selector<KeyTarget>
  readonly endpoints: Selector<EndpointTarget>

  constructor(
    readonly service: ServiceConfig,
    previous?: ServicePool,
  ) {
    const carry = (found: Tracked | undefined): Carried => {
      if (!found) return { counters: new TargetCounters(), health: new Health() }
      // A key set aside as invalid gets another chance with a new configuration.
      found.health.forgiveInvalid()
      return { counters: found.counters, health: found.health }
    }
    const tracked = (c: Carried, weight: number, priority: number) => ({ ...c, weight, priority, inFlight: () => c.counters.inFlight })
    this.keys = createSelector(
      service.strategy,
      service.keys.map((k) => ({
        value: k.value,
        masked: maskKey(k.value),
        ...tracked(carry(previous?.keys.items.find((p) => p.value === k.value)), k.weight, k.priority),
      })),
    )
    this.endpoints = createSelector(
      service.strategy,
      service.endpoints.map((e) => ({ url: e.url, ...tracked(carry(previous?.endpoints.items.find((p) => p.url === e.url)), e.weight, e.priority) })),
    )
  }

  /**
   * The next available key and endpoint, claimed for one request; undefined
   * when none can serve now. `skip`: targets this request has already seen
   * rate limited (a cooldown of 0, `Retry-After: 0`, would hand them back).
   */
  pick(now: number, skip?: ReadonlySet<object>): Target | undefined {
    const available = (t: Tracked) => t.health.available(now) && !skip?.has(t)
    const key = this.keys.items.length > 0 ? this.keys.next(available) : undefined
    if (this.keys.items.length > 0 && !key) return undefined
    const endpoint = this.endpoints.next(available)
    if (!endpoint) return undefined
    key?.health.claim()
    endpoint.health.claim()
    return { key, endpoint }
  }

  /** When some key and some endpoint will both be available again (0: now; Infinity: never, until reload). */
  recoversAt(now: number): number {
    const soonest = (items: readonly Tracked[]) => Math.min(...items.map((t) => t.health.recoversAt(now)))
    const key = this.keys.items.length > 0 ? soonest(this.keys.items) : 0
    return Math.max(key, soonest(this.endpoints.items))
  }

  /** True when every key has been refused as invalid. */
  allKeysInvalid(): boolean {
    return this.keys.items.length > 0 && this.keys.items.every((k) => k.health.state(0) === 'invalid')
  }
}

/** Pools for a configuration; those of `previous` hand over their targets' counters and health. */
export function createPools(services: Record<string, ServiceConfig>, previous?: ReadonlyMap<string, ServicePool>): Map<string, ServicePool> {
  return new Map(Object.values(services).map((s) => [s.name, new ServicePool(s, previous?.get(s.name))]))
}
