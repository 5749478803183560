/** What a request reads: the configuration and what is built from it, replaced whole on reload. */
import { createAliasSelectors } from '../balancer/choosers'
import { AffinityCounters } from '../balancer/affinity'
import { PinTable } from '../balancer/pins'
import { createPools, type ServicePool } from '../balancer/service-pool'
import type { ClientLimits, Config } from '../config/schema'
import { KeyEvents } from '../observability/key-events'
import type { ListedModel } from '../upstream/model-listing'
import { RequestMetrics } from '../observability/request-metrics'
import { Scrubber } from '../observability/scrub'
import { clientKeyId } from '../observability/spend'
import { createBudgets, type ClientBudget } from '../balancer/client-budgets'

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
  /** Per service (by name, kept across reloads): keys disabled and enabled, and checks run. */
  readonly keyEvents: ReadonlyMap<string, KeyEvents>
  /** What each limited client key has spent (kept across reloads). */
  readonly budgets: ReadonlyMap<string, ClientBudget>
  /** Each proxy key → its id (a hash), as usage names it. */
  readonly clientKeyIds: ReadonlyMap<string, string>
  /** Client keys (by id) with a spend budget → their limits. */
  readonly spendLimits: ReadonlyMap<string, ClientLimits>
  /** GET /v1/models: what each service's upstream listed, and when (fetched anew for a new configuration). */
  readonly modelLists: ModelLists
}

export type ModelLists = Map<string, { at: number; models: ListedModel[] }>

/** A state for `config`; keys and endpoints that `previous` had keep their counters and health. */
export function createState(config: Config, previous?: ProxyState): ProxyState {
  const secrets = [
    ...Object.values(config.services).flatMap((s) => s.keys.map((k) => k.value)),
    ...config.proxyApiKeys,
    ...(config.adminKey ? [config.adminKey] : []),
  ]
  const pools = createPools(config.services, previous?.pools)
  const pins = previous?.pins ?? new PinTable(config.limits.affinityMaxSessions)
  pins.max = config.limits.affinityMaxSessions
  const affinity = new Map([...pools.keys()].map((name) => [name, previous?.affinity.get(name) ?? new AffinityCounters()]))
  const keyEvents = new Map([...pools.keys()].map((name) => [name, previous?.keyEvents.get(name) ?? new KeyEvents()]))
  return {
    config,
    pools,
    serviceNames: [...pools.keys()],
    aliases: createAliasSelectors(config.aliases, pools),
    scrubber: new Scrubber(secrets),
    loadedAt: Date.now(),
    pins,
    affinity,
    keyEvents,
    requests: previous?.requests ?? new RequestMetrics(),
    budgets: createBudgets(config.clientLimits, previous?.budgets),
    clientKeyIds: new Map(config.proxyApiKeys.map((k) => [k, clientKeyId(k)])),
    spendLimits: new Map(
      config.clientLimits.filter((l) => (l.budgetUsdDay ?? l.budgetUsdMonth) !== undefined).map((l) => [clientKeyId(l.key), l]),
    ),
    modelLists: new Map(),
  }
}
