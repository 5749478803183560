/**
 * One service's key pool and endpoint pool, each in its own round-robin
 * order (the seed's design: a request takes the next key AND the next
 * endpoint, independently).
 */
import type { ServiceConfig } from '../config/schema'
import { TargetCounters } from '../observability/counters'
import { maskKey } from '../observability/redact'
import { RoundRobin } from './round-robin'

export interface KeyTarget {
  value: string
  masked: string
  counters: TargetCounters
}

export interface EndpointTarget {
  url: string
  counters: TargetCounters
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
    this.keys = new RoundRobin(service.keys.map((value) => ({ value, masked: maskKey(value), counters: new TargetCounters() })))
    this.endpoints = new RoundRobin(service.endpoints.map((url) => ({ url, counters: new TargetCounters() })))
  }

  pick(): Target {
    return { key: this.keys.next(), endpoint: this.endpoints.next()! }
  }
}

export function createPools(services: Record<string, ServiceConfig>): Map<string, ServicePool> {
  return new Map(Object.values(services).map((s) => [s.name, new ServicePool(s)]))
}
