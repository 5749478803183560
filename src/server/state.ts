/** What a request reads: the configuration and what is built from it, replaced whole on reload. */
import { createPools, type ServicePool } from '../balancer/service-pool'
import type { Config } from '../config/schema'
import type { Logger } from '../observability/log'
import { Scrubber } from '../observability/scrub'

export interface ProxyState {
  readonly config: Config
  readonly pools: ReadonlyMap<string, ServicePool>
  /** Masks every configured secret (upstream and proxy keys) in what leaves lmlb. */
  readonly scrubber: Scrubber
  readonly loadedAt: number
}

export function createState(config: Config): ProxyState {
  const secrets = [...Object.values(config.services).flatMap((s) => s.keys), ...config.proxyApiKeys]
  return { config, pools: createPools(config.services), scrubber: new Scrubber(secrets), loadedAt: Date.now() }
}

/** The live state holder: each request takes `current` once, at its start. */
export interface Runtime {
  current: ProxyState
  readonly logger: Logger
  readonly startedAt: number
}
