/**
 * Session affinity: a conversation's next turn goes to the key and endpoint
 * that served it last (its prompt cache lives there), unless they cannot
 * serve now; then the strategy picks as for any request, and the session is
 * pinned again where it lands. Requests without a session are untouched.
 */
import type { Choice, Chooser } from './choosers'
import type { Pin } from './pins'
import type { EndpointTarget, KeyTarget } from './service-pool'

/** Why a session left its pinned target. */
export type RepinReason = 'cooling' | 'disabled' | 'gone' | 'quota' | 'failed'

/** Per service: what affinity did. */
export class AffinityCounters {
  hits = 0
  newPins = 0
  repins: Partial<Record<RepinReason, number>> = {}

  repinned(why: RepinReason): void {
    this.repins[why] = (this.repins[why] ?? 0) + 1
  }
}

/** The pinned key and endpoint, claimed for this request when both can serve now; otherwise why not. */
export function takePinned(pin: Pin, chooser: Chooser, now: number, tokensNeeded: number): Choice | RepinReason {
  const pool = chooser.pools.find((p) => p.service.name === pin.service)
  if (!pool || !chooser.serves(pin.service, pin.model)) return 'gone'
  const key = pin.key === undefined ? undefined : pool.keys.items.find((k) => k.value === pin.key)
  const endpoint = pool.endpoints.items.find((e) => e.url === pin.endpoint)
  if (!endpoint || (pin.key === undefined ? pool.keys.items.length > 0 : !key)) return 'gone'
  const why = reasonAgainst(key, endpoint, now, tokensNeeded)
  if (why) return why
  key?.health.claim()
  endpoint.health.claim()
  return { deployment: { pool, model: pin.model }, target: { key, endpoint } }
}

function reasonAgainst(key: KeyTarget | undefined, endpoint: EndpointTarget, now: number, tokensNeeded: number): RepinReason | undefined {
  if (key?.health.disabled()) return 'disabled'
  if ((key && !key.health.available(now)) || !endpoint.health.available(now)) return 'cooling'
  if (key && !key.quota.allows(now, tokensNeeded)) return 'quota'
  return undefined
}

/**
 * `chooser`, whose first pick is the pinned target when it can serve;
 * every later pick (a retry elsewhere), and the first when it cannot, is
 * the chooser's own. `onFirst` learns what the first pick found.
 */
export function pinnedChooser(chooser: Chooser, pin: Pin, tokensNeeded: number, onFirst: (found: Choice | RepinReason) => void): Chooser {
  let first = true
  return {
    pools: chooser.pools,
    serves: chooser.serves,
    pick(now, skip) {
      if (first) {
        first = false
        const found = takePinned(pin, chooser, now, tokensNeeded)
        onFirst(found)
        if (typeof found !== 'string') return found
      }
      return chooser.pick(now, skip)
    },
  }
}
