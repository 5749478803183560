/**
 * One service's key pool and endpoint pool, each in its own round-robin
 * order (the seed's design: a request takes the next key AND the next
 * endpoint, independently), skipping targets that are cooling down.
 */
import type { ServiceConfig } from '../config/schema'
import { TargetCounters } from '../observability/counters'
import { maskKey } from '../observability/redact'
import { Health } from './health'
import { RoundRobin } from './round-robin'

export interface KeyTarget {
  value: string
  masked: string
  counters: TargetCounters
  health: Health
}

export interface EndpointTarget {
  url: string
  counters: TargetCounters
  health: Health
}

export interface Target {
  /** Undefined for a service with no keys (a local server that needs none). */
  key?: KeyTarget
  endpoint: EndpointTarget
}

export class ServicePool {
  readonly keys: RoundRobin<KeyTarget>
  readonly endpoints: RoundRobin<EndpointTarget>

  constructor(readonly service: ServiceConfig) {
    this.keys = new RoundRobin(service.keys.map((value) => ({ value, masked: maskKey(value), counters: new TargetCounters(), health: new Health() })))
    this.endpoints = new RoundRobin(service.endpoints.map((url) => ({ url, counters: new TargetCounters(), health: new Health() })))
  }

  /** The next available key and endpoint, claimed for one request; undefined when none can serve now. */
  pick(now: number): Target | undefined {
    const available = (t: { health: Health }) => t.health.available(now)
    const key = this.keys.items.length > 0 ? this.keys.next(available) : undefined
    if (this.keys.items.length > 0 && !key) return undefined
    const endpoint = this.endpoints.next(available)
    if (!endpoint) return undefined
    key?.health.claim()
    endpoint.health.claim()
    return { key, endpoint }
  }

  /** When some key and some endpoint will both be available again (Infinity: never, until reload). */
  recoversAt(now: number): number {
    const soonest = (items: readonly { health: Health }[]) => Math.min(...items.map((t) => t.health.recoversAt(now)))
    const key = this.keys.items.length > 0 ? soonest(this.keys.items) : 0
    return Math.max(key, soonest(this.endpoints.items))
  }

  /** True when every key has been refused as invalid. */
  allKeysInvalid(): boolean {
    return this.keys.items.length > 0 && this.keys.items.every((k) => k.health.state(0) === 'invalid')
  }
}

export function createPools(services: Record<string, ServiceConfig>): Map<string, ServicePool> {
  return new Map(Object.values(services).map((s) => [s.name, new ServicePool(s)]))
}
