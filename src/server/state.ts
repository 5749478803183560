/** What a request reads: the configuration and the pools built from it, replaced whole on reload. */
import type { Config } from '../config/schema'
import { createPools, type ServicePool } from '../balancer/service-pool'
import type { Logger } from '../observability/log'

export interface ProxyState {
  readonly config: Config
  readonly pools: ReadonlyMap<string, ServicePool>
  readonly loadedAt: number
}

export function createState(config: Config): ProxyState {
  return { config, pools: createPools(config.services), loadedAt: Date.now() }
}

/** The live state holder: each request takes `current` once, at its start. */
export interface Runtime {
  current: ProxyState
  readonly logger: Logger
  readonly startedAt: number
}
