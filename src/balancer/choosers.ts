/**
 * Where one request may go: a single service, or an alias's deployments
 * across services chosen by the alias's strategy. A choice is a deployment
 * (pool + model) and a claimed key and endpoint in it.
 */
import type { AliasConfig } from '../config/schema'
import type { ServicePool, Target } from './service-pool'
import { createSelector, type Member, type Selector } from './strategies'

export interface Deployment {
  pool: ServicePool
  /** The model name as routed (before the service's rename map). */
  model: string
}

export interface Choice {
  deployment: Deployment
  target: Target
}

export interface Chooser {
  readonly pools: readonly ServicePool[]
  /** `skip`: keys (or keyless endpoints) this request saw rate limited. */
  pick(now: number, skip?: ReadonlySet<object>): Choice | undefined
  /** Whether `model` on `service` is one of its deployments (a session pinned there may stay). */
  serves(service: string, model: string): boolean
}

/** A service that could take a request (it has keys, or needs none). */
export function isServiceable(pool: ServicePool): boolean {
  return pool.keys.items.length > 0 || !pool.service.keysRequired
}

/** `tokensNeeded`: the request's estimated input, which a key's reported token quota must cover. */
export function singleChooser(pool: ServicePool, model: string, tokensNeeded = 0): Chooser {
  const deployment = { pool, model }
  return {
    pools: [pool],
    pick(now, skip) {
      const target = pool.pick(now, skip, tokensNeeded)
      return target && { deployment, target }
    },
    serves: (service, m) => service === pool.service.name && m === model,
  }
}

interface AliasMember extends Deployment, Member {}

/** The deployments of every alias, each alias with its own selector (its cursor lives as long as the configuration). */
export function createAliasSelectors(
  aliases: Record<string, AliasConfig>,
  pools: ReadonlyMap<string, ServicePool>,
): Map<string, Selector<AliasMember>> {
  const selectors = new Map<string, Selector<AliasMember>>()
  for (const [name, alias] of Object.entries(aliases)) {
    const members = alias.targets.flatMap((t) => {
      const pool = pools.get(t.service)
      if (!pool) return [] // the mock service: not balanced
      const busy = () => pool.endpoints.items.reduce((n, e) => n + e.counters.inFlight, 0)
      return [{ pool, model: t.model, weight: t.weight, priority: t.priority, inFlight: busy }]
    })
    selectors.set(name, createSelector(alias.strategy, members))
  }
  return selectors
}

export function aliasChooser(selector: Selector<AliasMember>, tokensNeeded = 0): Chooser {
  return {
    pools: [...new Set(selector.items.map((m) => m.pool))],
    pick(now, skip) {
      // Only deployments that can serve now are in the running, so the strategy's order holds among them.
      const member = selector.next((m) => isServiceable(m.pool) && m.pool.recoversAt(now, tokensNeeded) === 0)
      if (!member) return undefined
      const target = member.pool.pick(now, skip, tokensNeeded)
      return target && { deployment: member, target }
    },
    serves: (service, model) => selector.items.some((m) => m.pool.service.name === service && m.model === model),
  }
}
