/** What a request reads: the configuration and what is built from it, replaced whole on reload. */
import { createAliasSelectors } from '../balancer/choosers'
import { AffinityCounters } from '../balancer/affinity'
import { PinTable, type Pin } from '../balancer/pins'
import { createPools, type KeyTarget, type ServicePool } from '../balancer/service-pool'
import type { Config } from '../config/schema'
import type { Logger } from '../observability/log'
import { RequestMetrics } from '../observability/request-metrics'
import { Scrubber } from '../observability/scrub'
import { createBudgets, type Admission, type ClientBudget } from '../balancer/client-budgets'
import type { CooledTarget } from '../proxy/dispatch'
import type { SharedState } from '../cluster/redis'
import type { Teller } from '../cluster/shared-events'
import type { Stats } from '../observability/stats'
import type { RequestTracer } from '../observability/tracing'
import type { StreamFactory } from '../upstream/byte-stream'

export interface ProxyState {
  readonly config: Config
  readonly pools: ReadonlyMap<string, ServicePool>
  readonly serviceNames: readonly string[]
  readonly aliases: ReturnType<typeof createAliasSelectors>
  /** Masks every configured secret (upstream and proxy keys) in what leaves lmlb. */
  readonly scrubber: Scrubber
  readonly loadedAt: number
  /** Sessions pinned to their key and endpoint; kept across reloads (a pin to a target gone is moved when next met). */
  readonly pins: PinTable
  /** Per service (by name, kept across reloads): what affinity did. */
  readonly affinity: ReadonlyMap<string, AffinityCounters>
  /** Per client request: durations, first bytes, answers by API (kept across reloads). */
  readonly requests: RequestMetrics
  /** What each limited client key has spent (kept across reloads). */
  readonly budgets: ReadonlyMap<string, ClientBudget>
}

/** A state for `config`; keys and endpoints that `previous` had keep their counters and health. */
export function createState(config: Config, previous?: ProxyState): ProxyState {
  const secrets = [...Object.values(config.services).flatMap((s) => s.keys.map((k) => k.value)), ...config.proxyApiKeys]
  const pools = createPools(config.services, previous?.pools)
  const pins = previous?.pins ?? new PinTable(config.limits.affinityMaxSessions)
  pins.max = config.limits.affinityMaxSessions
  const affinity = new Map([...pools.keys()].map((name) => [name, previous?.affinity.get(name) ?? new AffinityCounters()]))
  return {
    config,
    pools,
    serviceNames: [...pools.keys()],
    aliases: createAliasSelectors(config.aliases, pools),
    scrubber: new Scrubber(secrets),
    loadedAt: Date.now(),
    pins,
    affinity,
    requests: previous?.requests ?? new RequestMetrics(),
    budgets: createBudgets(config.clientLimits, previous?.budgets),
  }
}

export type ReloadOutcome = { ok: true; loadedAt: number } | { ok: false; errors: string[] }

/** The live state holder: each request takes `current` once, at its start, and keeps it to the end. */
export interface Runtime {
  current: ProxyState
  readonly logger: Logger
  readonly startedAt: number
  /** How a response body is made of a byte source (the runtime's fastest way). */
  readonly streams: StreamFactory
  /** The last refused reload, shown in /health until a reload succeeds. */
  lastError?: { at: number; errors: string[] }
  reload(reason: string): ReloadOutcome | Promise<ReloadOutcome>
  /** The /stats figures: this process's, or every worker's added up. */
  collectStats(): Promise<Stats>
  /** Set when OTEL_EXPORTER_OTLP_ENDPOINT asks for traces. */
  tracer?: RequestTracer
  /** With --workers or Redis (cluster/shared-events.ts shareThrough): tells the other processes what this one learned. */
  tell?: Teller
  /** Tells them of a key or endpoint this one cooled or set aside. */
  shareCooled?: (target: CooledTarget) => void
  /** Tells them what a provider reported of a key's quota. */
  shareQuota?: (service: string, key: KeyTarget) => void
  /** Tells them where a session was pinned (false: Redis is away, not told). */
  sharePin?: (id: string, pin: Pin) => boolean
  /** Where limited client keys are counted (with --workers, the primary). */
  admission: Admission
  /** With LMLB_REDIS_URL: the state shared with other instances. */
  shared?: SharedState
}
