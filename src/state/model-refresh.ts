/**
 * Each service's own model listing, fetched in the background and kept in
 * the state: GET /v1/models reads only what is kept, so a slow or failing
 * upstream never delays it. Nothing is fetched until a client first asks
 * for the list (an upstream is sent nothing it was not asked for); from
 * then on a listing is fetched when the state is new (a reload) and again
 * once it is MODEL_LIST_TTL_MS old, and one that fails keeps what was
 * listed before and is asked again after the same while.
 */
import { isServiceable } from '../balancer/choosers'
import type { ServicePool } from '../balancer/service-pool'
import { PROVIDERS } from '../providers'
import { fetchListing } from '../upstream/model-listing'
import type { Hop } from '../upstream/via'
import type { ProxyState } from './proxy-state'

export const MODEL_LIST_TTL_MS = 5 * 60_000
/** How often the refresher looks for a listing due, once it runs. */
const LOOK_MS = 1_000

export interface ModelRefresh {
  /** A client asked for the list: the refresh runs from now on (the first call fetches at once). */
  wanted(): void
  stop(): void
}

export function createModelRefresh(current: () => ProxyState, hop: Hop): ModelRefresh {
  const asking = new Set<string>()
  let timer: ReturnType<typeof setInterval> | undefined
  const look = () => {
    const state = current()
    const now = Date.now()
    for (const pool of state.pools.values()) {
      const name = pool.service.name
      // An allow-list says what a service serves; one that cannot serve has nothing to say.
      if (pool.service.models || !isServiceable(pool) || asking.has(name)) continue
      const kept = state.modelLists.get(name)
      if (kept && now - kept.at < MODEL_LIST_TTL_MS) continue
      const target = listingTarget(pool, now)
      if (!target) continue
      asking.add(name)
      void fetchListing(target.endpoint, PROVIDERS[pool.service.provider], target.key, hop).then((models) => {
        asking.delete(name)
        state.modelLists.set(name, { at: Date.now(), models: models ?? kept?.models ?? [] })
      })
    }
  }
  return {
    wanted() {
      if (timer) return
      look()
      timer = setInterval(look, LOOK_MS)
      ;(timer as { unref?: () => void }).unref?.()
    },
    stop: () => clearInterval(timer),
  }
}

/** The first key and endpoint in rotation, taken without a turn of the round-robin: a listing is no request. */
function listingTarget(pool: ServicePool, now: number): { key?: string; endpoint: string } | undefined {
  const key = pool.keys.items.find((k) => k.health.available(now))
  const endpoint = pool.endpoints.items.find((e) => e.health.available(now))
  if (!endpoint || (pool.keys.items.length > 0 && !key)) return undefined
  return { key: key?.value, endpoint: endpoint.url }
}
