/**
 * What lmlb processes tell each other, and what each does with it: a key or
 * endpoint cooled, a key disabled or enabled, what a provider reported of a key's quota,
 * and where a session was pinned. The workers of one instance tell each
 * other through the primary (cluster/workers.ts); instances through Redis
 * (redis.ts), where each event is also stored under a name of its own with
 * a TTL as long as it says anything, so an instance that starts or
 * reconnects later reads what still holds, and nothing accumulates. Keys
 * cross as a hash of their value, never the value; sessions as the hash
 * they already are.
 */
import type { Pin } from '../balancer/pins'
import type { Quota } from '../balancer/quota'
import type { KeyTarget, ServicePool } from '../balancer/service-pool'
import type { Logger } from '../observability/log'
import { hashOf } from '../util/hash'
import type { SharedFigures } from '../observability/stats'
import { adoptAddedKeys } from '../state/key-admin'
import { isAddedKey, type AddedKey } from '../state/key-store'
import type { CooledTarget, KeyChange, Sharing } from '../state/ports'
import type { ProxyState } from '../state/proxy-state'
import type { Runtime } from '../state/runtime'
import { MAX_WAIT_MS, type RateLimits } from '../upstream/rate-limits'

/** How long Redis keeps that a key is disabled (an instance that starts within it reads it back), or that it was enabled. */
const DISABLED_TTL_MS = 30 * 86_400_000
const ENABLED_TTL_MS = 3_600_000
/** The added keys say something for as long as lmlb runs: kept for ten years. */
const ADDED_TTL_MS = 10 * 365 * 86_400_000
/** A key's quota report is told at most this often (every answer carries one), and at once when it says the key is spent. */
const QUOTA_EVERY_MS = 1_000

export type SharedEvent =
  | { kind: 'cooled'; target: CooledTarget }
  | { kind: 'key'; change: KeyChange }
  /** Every word on a service's keys added through the admin API (their values: the others must be able to send them). */
  | { kind: 'keys'; service: string; words: AddedKey[] }
  | { kind: 'quota'; service: string; keyHash: string; limits: RateLimits; at: number }
  | { kind: 'pin'; id: string; service: string; model: string; keyHash?: string; endpoint: string; expiresAt: number }

/** The kinds an instance reads back when it (re)connects: added keys first, so that what is said of them finds them. */
export const STORED_KINDS: readonly SharedEvent['kind'][] = ['keys', 'cooled', 'key', 'quota', 'pin']

export function cooledEvent(target: CooledTarget): SharedEvent {
  return { kind: 'cooled', target: { ...target, key: undefined, keyHash: target.key === undefined ? undefined : hashOf(target.key) } }
}

export function keyEvent(change: KeyChange): SharedEvent {
  return { kind: 'key', change: { ...change, key: undefined, keyHash: change.keyHash ?? hashOf(change.key ?? '') } }
}

function quotaEvent(service: string, key: KeyTarget): SharedEvent {
  const { limits, at } = key.quota.latest()
  return { kind: 'quota', service, keyHash: key.hash, limits, at }
}

export function pinEvent(id: string, pin: Pin): SharedEvent {
  return {
    kind: 'pin',
    id,
    service: pin.service,
    model: pin.model,
    keyHash: pin.key === undefined ? undefined : hashOf(pin.key),
    endpoint: pin.endpoint,
    expiresAt: pin.expiresAt,
  }
}

/**
 * What this instance knows that still holds: cooldowns, keys set aside and
 * quota reports. Told again when Redis comes back, so what it learned while
 * Redis was away reaches the others too. (Pins are not: a session's next
 * turn here tells its pin again.)
 */
export function eventsInForce(state: ProxyState, now: number): SharedEvent[] {
  const out: SharedEvent[] = []
  for (const pool of state.pools.values()) {
    const service = pool.service.name
    for (const key of pool.keys.items) {
      const state = key.health.state(now)
      const disabled = key.health.disabled()
      if (disabled) out.push(keyEvent({ service, key: key.value, disabled, at: disabled.since }))
      else if (state === 'cooling') out.push(cooledEvent({ service, key: key.value, until: key.health.cooledUntil() }))
      if (key.quota.latest().at > 0) out.push(quotaEvent(service, key))
    }
    for (const endpoint of pool.endpoints.items)
      if (endpoint.health.state(now) === 'cooling')
        out.push(cooledEvent({ service, endpoint: endpoint.url, until: endpoint.health.cooledUntil() }))
  }
  return out
}

/** What another process told, taken in here (`live`: just told, not read back from storage); and what this one knows that still holds. */
export interface Hearer {
  hear(event: SharedEvent, live: boolean): void
  inForce(): SharedEvent[]
}

/** The hearer for a runtime's state, as it is when each event comes. */
export function hearerFor(runtime: Runtime, from?: string): Hearer {
  return {
    // Added keys change the state itself (a new one is swapped in); the rest is taken into the current one.
    hear: (event, live) =>
      event.kind === 'keys'
        ? adoptAddedKeys(runtime, event.service, event.words, from ?? 'another instance')
        : adoptEvent(runtime.current, event, runtime.logger, Date.now(), live, from),
    inForce: () => [...eventsInForce(runtime.current, Date.now()), ...addedKeyEvents(runtime)],
  }
}

/** The added keys of every service, as this process knows them: told again when Redis comes back. */
function addedKeyEvents(runtime: Runtime): SharedEvent[] {
  return runtime.keyStore.services().map((service) => ({ kind: 'keys', service, words: runtime.keyStore.words(service) }))
}

/** Tells the other processes of an event; false when it could not (Redis away), so it is told again later. */
export type Teller = (event: SharedEvent) => boolean

/**
 * The sharing port (state/ports.ts) over `tellers`: the workers of this
 * instance (through the primary), other instances (Redis), or both. An
 * event is told to each; it counts as told when every one took it.
 */
export function sharingThrough(
  tellers: readonly Teller[],
  redis?: { figures(): SharedFigures; claim(name: string, ms: number): Promise<boolean>; close(): Promise<void> },
): Sharing {
  const all: Teller = tellers.length === 1 ? tellers[0] : (event) => tellers.map((tell) => tell(event)).every(Boolean)
  return {
    cooled: (target) => void all(cooledEvent(target)),
    keyChanged: (change) => void all(keyEvent(change)),
    keysChanged: (service, words) => void all({ kind: 'keys', service, words: [...words] }),
    claimCheck: async (service, keyHash, ms) => (redis ? redis.claim(`check:${service}:${keyHash}`, ms) : true),
    quota: quotaSharing(all),
    pinned: (id, pin) => all(pinEvent(id, pin)),
    figures: () => redis?.figures(),
    close: async () => redis?.close(),
  }
}

/** Tells a key's quota report at most every QUOTA_EVERY_MS, and at once when it says the key is spent. */
function quotaSharing(tell: Teller): (service: string, key: KeyTarget) => void {
  const lastTold = new WeakMap<Quota, number>()
  return (service, key) => {
    const now = Date.now()
    if (now - (lastTold.get(key.quota) ?? 0) < QUOTA_EVERY_MS && key.quota.allows(now)) return
    lastTold.set(key.quota, now)
    tell(quotaEvent(service, key))
  }
}

/** Where an event is kept in Redis and for how long (ms; 0: it says nothing any more, not kept). */
export function storedAs(prefix: string, event: SharedEvent, now: number): { name: string; ttlMs: number } {
  switch (event.kind) {
    case 'cooled': {
      const t = event.target
      return { name: `${prefix}:cooled:${t.service}:${t.keyHash ?? hashOf(t.endpoint ?? '')}`, ttlMs: Math.max(0, t.until - now) }
    }
    case 'keys':
      return { name: `${prefix}:keys:${event.service}`, ttlMs: ADDED_TTL_MS }
    case 'key': {
      // The latest word on a key replaces the one before under the same name.
      const c = event.change
      return {
        name: `${prefix}:key:${c.service}:${c.keyHash}`,
        ttlMs: Math.max(0, c.at + (c.disabled ? DISABLED_TTL_MS : ENABLED_TTL_MS) - now),
      }
    }
    case 'quota': {
      const resets = Object.values(event.limits).map((l) => l.resetAt)
      return { name: `${prefix}:quota:${event.service}:${event.keyHash}`, ttlMs: Math.max(0, ...resets.map((r) => r - now)) }
    }
    case 'pin':
      return { name: `${prefix}:pin:${hashOf(event.id)}`, ttlMs: Math.max(0, event.expiresAt - now) }
  }
}

/**
 * An event another instance sent, taken into this one's state (what no
 * longer fits this configuration is ignored). `live`: it has just been
 * told (pub/sub), so it is the latest word; else it was read back from
 * storage, and a pin held here wins over it. Another host's clock may run
 * ahead: no report is dated later than now, no cooldown lasts past the
 * longest wait an upstream may impose.
 */
export function adoptEvent(
  state: ProxyState,
  event: SharedEvent,
  logger: Logger,
  now: number,
  live: boolean,
  from = 'another instance',
): void {
  switch (event.kind) {
    case 'cooled': {
      const t = event.target
      if (t.until > now) adoptCooled(state, { ...t, until: Math.min(t.until, now + MAX_WAIT_MS) }, logger, from)
      return
    }
    case 'key':
      return adoptKeyChange(state, event.change, logger, now, from)
    case 'quota': {
      const key = keyByHash(state.pools.get(event.service), event.keyHash)
      if (!key) return
      const allowed = key.quota.allows(now)
      key.quota.observe(event.limits, Math.min(event.at, now))
      if (allowed && !key.quota.allows(now))
        logger.info(
          `${event.service}: key ${key.masked} reported spent until ${new Date(key.quota.recoversAt(now)).toISOString()} (seen by ${from})`,
        )
      return
    }
    case 'pin': {
      const pool = state.pools.get(event.service)
      const key = event.keyHash === undefined ? undefined : keyByHash(pool, event.keyHash)
      if (
        !pool ||
        (event.keyHash !== undefined && !key) ||
        !pool.endpoints.items.some((e) => e.url === event.endpoint) ||
        event.expiresAt <= now
      )
        return
      const pin = {
        service: event.service,
        model: event.model,
        key: key?.value,
        endpoint: event.endpoint,
        expiresAt: event.expiresAt,
        sharedAt: now,
      }
      if (live) state.pins.set(event.id, pin)
      else state.pins.adopt(event.id, pin)
      if (logger.enabled('debug'))
        logger.debug(
          `${event.service}: session ${event.id.slice(0, 8)}… pinned to ${key ? `key ${key.masked}` : event.endpoint} (by ${from})`,
        )
    }
  }
}

/** A key or endpoint another process cooled: the same cooldown here. */
function adoptCooled(state: ProxyState, t: CooledTarget, logger: Logger, from: string): void {
  const pool = state.pools.get(t.service)
  const key = t.keyHash === undefined ? undefined : keyByHash(pool, t.keyHash)
  const target = key ?? pool?.endpoints.items.find((e) => e.url === t.endpoint)
  if (!target) return // gone after a reload
  // Known already (told again after a reconnect): nothing to change or say.
  if (target.health.cooledUntil() >= t.until) return
  target.health.adoptCooldown(t.until)
  const what = key ? `key ${key.masked}` : t.endpoint
  logger.info(`${t.service}: ${what} cooling until ${new Date(t.until).toISOString()} (seen by ${from})`)
}

/** A key another process disabled or enabled: the same here, unless what this one knows is newer. */
function adoptKeyChange(state: ProxyState, c: KeyChange, logger: Logger, now: number, from: string): void {
  const key = c.keyHash === undefined ? undefined : keyByHash(state.pools.get(c.service), c.keyHash)
  if (!key) return
  const at = Math.min(c.at, now)
  const changed = c.disabled ? key.health.disable({ ...c.disabled, since: at }) : key.health.enable(at)
  if (changed) logger.info(`${c.service}: key ${key.masked} ${c.disabled ? `disabled (${c.disabled.reason})` : 'enabled'} (by ${from})`)
}

/** A message read from Redis: an event (its shape checked, so a stranger's value cannot throw later), or an instance's hello. */
export function parseEvent(text: string): { origin: string; event: SharedEvent } | 'hello' | undefined {
  let m
  try {
    m = JSON.parse(text)
  } catch {
    return undefined
  }
  if (m?.hello === true) return 'hello'
  const e = m?.event
  const ok =
    typeof m?.origin === 'string' &&
    ((e?.kind === 'cooled' && typeof e.target?.service === 'string' && finite(e.target.until)) ||
      (e?.kind === 'key' && isKeyChange(e.change)) ||
      (e?.kind === 'keys' && typeof e.service === 'string' && Array.isArray(e.words) && e.words.every(isAddedKey)) ||
      (e?.kind === 'quota' && typeof e.service === 'string' && typeof e.keyHash === 'string' && finite(e.at) && isLimits(e.limits)) ||
      (e?.kind === 'pin' &&
        typeof e.id === 'string' &&
        typeof e.service === 'string' &&
        typeof e.model === 'string' &&
        typeof e.endpoint === 'string' &&
        finite(e.expiresAt)))
  return ok ? m : undefined
}

const finite = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n)

function isKeyChange(c: KeyChange | undefined): boolean {
  const d = c?.disabled
  return (
    typeof c?.service === 'string' &&
    typeof c.keyHash === 'string' &&
    finite(c.at) &&
    (d === undefined || (typeof d.reason === 'string' && finite(d.since) && (d.by === 'lmlb' || d.by === 'operator')))
  )
}

function isLimits(limits: unknown): limits is RateLimits {
  if (typeof limits !== 'object' || limits === null) return false
  return Object.values(limits).every(
    (l) => typeof l === 'object' && l !== null && finite(l.remaining) && finite(l.resetAt) && (l.limit === undefined || finite(l.limit)),
  )
}

function keyByHash(pool: ServicePool | undefined, keyHash: string): KeyTarget | undefined {
  return pool?.keyByHash.get(keyHash)
}
