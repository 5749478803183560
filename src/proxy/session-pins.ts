/**
 * Affinity on a request's path: find the session's pin before the call
 * (balancer/affinity.ts takes it when it can serve), and after a served
 * answer pin the session where it landed, counting a hit, a new pin or a
 * re-pin with its reason.
 */
import { pinnedChooser, type RepinReason } from '../balancer/affinity'
import type { Choice, Chooser } from '../balancer/choosers'
import type { Pin } from '../balancer/pins'
import type { AffinityMode } from '../config/schema'
import { asksForLongCache, sessionIdentity } from '../routing/session-identity'
import type { ProxyState } from '../state/proxy-state'

const LONG_CACHE_S = 3_600

export interface SessionPin {
  /** The session's hash and the route it took: one conversation may use several models. */
  id: string
  pin?: Pin
  ttlMs: number
  /** What the first pick found at the pin (set while dispatching). */
  found?: Choice | RepinReason
}

/** The session this request belongs to and its pin, or undefined when it has none (or affinity is off). */
export function findSession(
  state: ProxyState,
  mode: AffinityMode,
  route: string,
  headers: Headers,
  body: Record<string, unknown>,
  now: number,
): SessionPin | undefined {
  const identity = sessionIdentity(headers, body, mode)
  if (identity === undefined) return undefined
  const id = `${identity}\u0000${route}`
  const ttlS = asksForLongCache(body) ? Math.max(LONG_CACHE_S, state.config.limits.affinityTtlS) : state.config.limits.affinityTtlS
  return { id, pin: state.pins.get(id, now), ttlMs: ttlS * 1000 }
}

/** `chooser`, trying the session's pin first. */
export function withPin(chooser: Chooser, session: SessionPin | undefined, tokensNeeded: number): Chooser {
  if (!session?.pin) return chooser
  return pinnedChooser(chooser, session.pin, tokensNeeded, (found) => (session.found = found))
}

/** After an answer the client is served: the session is pinned where it landed (and other instances told, with `share`). */
export function rememberSession(
  state: ProxyState,
  session: SessionPin,
  choice: Choice,
  now: number,
  share?: (id: string, pin: Pin) => boolean,
): void {
  const { pool, model } = choice.deployment
  const { key, endpoint } = choice.target
  const counters = state.affinity.get(pool.service.name)!
  const found = session.found
  if (!session.pin) counters.newPins++
  else if (typeof found === 'object' && found.target.key === key && found.target.endpoint === endpoint) counters.hits++
  // The pin could not serve (found says why), or it was tried and failed in this request.
  else counters.repinned(typeof found === 'string' ? found : 'failed')
  const old = session.pin
  const moved = !old || old.service !== pool.service.name || old.model !== model || old.key !== key?.value || old.endpoint !== endpoint.url
  const pin: Pin = {
    service: pool.service.name,
    model,
    key: key?.value,
    endpoint: endpoint.url,
    expiresAt: now + session.ttlMs,
    sharedAt: moved ? undefined : old.sharedAt,
  }
  // Told when it is new or moved, and again before the others' copy expires while the session goes on here (or at the next turn, if Redis was away).
  if (share && (moved || old.sharedAt === undefined || now - old.sharedAt > session.ttlMs / 2) && share(session.id, pin)) pin.sharedAt = now
  state.pins.set(session.id, pin)
}
