/**
 * One service's key pool and endpoint pool, each chosen by the service's
 * strategy (the seed's design: a request takes the next key AND the next
 * endpoint, independently), skipping targets that are cooling down and keys
 * whose provider has reported them spent until the limit resets.
 */
import type { ServiceConfig } from '../config/schema'
import { TargetCounters } from '../observability/counters'
import { maskKey } from '../observability/redact'
import { hashOf } from '../util/hash'
import { AnswerTimes } from './answer-times'
import { Health } from './health'
import { Refusals } from './key-failures'
import { Quota } from './quota'
import { createSelector, type Member, type Selector } from './strategies'

interface Tracked extends Member {
  counters: TargetCounters
  health: Health
}

export interface KeyTarget extends Tracked {
  value: string
  masked: string
  /** What names it to an operator (the admin API, /stats): a hash of its service and value, never the value. */
  id: string
  /** Where it comes from: the configuration, or the admin API. */
  source: 'config' | 'admin'
  /** What names it where it leaves this process for another host (Redis), never the value (util/hash.ts). */
  hash: string
  /** What the provider last reported of this key's rate limits. */
  quota: Quota
  /** Its quota's share left, at the time of the pick under way (for `most-remaining`). */
  share(): number
  /** What its last background check found, and when the next is due. */
  check: KeyCheck
}

/** A key's background checks (state/key-checks.ts): the last one's finding, the next one's time. */
export interface KeyCheck {
  last?: { at: number; ok: boolean; status?: number; message: string }
  /** When the next is due (undefined: not scheduled, the key needs none). */
  nextAt?: number
  running?: boolean
}

export interface EndpointTarget extends Tracked {
  url: string
  /** The run of keys refused here, to tell a key's fault from the endpoint's. */
  refusals: Refusals<KeyTarget>
  /** How long it usually takes to answer: a client that gave up waiting far longer counts against it. */
  answerTimes: AnswerTimes
}

export interface Target {
  /** Undefined for a service with no keys (a local server that needs none). */
  key?: KeyTarget
  endpoint: EndpointTarget
}

/** What a reload hands over from the pool it replaces, so counters, cooldowns and reported quotas survive. */
export interface Carried {
  counters: TargetCounters
  health: Health
  quota: Quota
  check: KeyCheck
}

export class ServicePool {
  readonly keys: Selector<KeyTarget>
  readonly endpoints: Selector<EndpointTarget>
  /** Its keys by id (an operator's word) and by hash (another instance's): found at once among 10,000. */
  readonly keyById: ReadonlyMap<string, KeyTarget>
  readonly keyByHash: ReadonlyMap<string, KeyTarget>
  /** The `now` of the pick under way: what the key members' `share()` reads, so a strategy needs no clock. */
  private pickedAt = 0

  constructor(
    readonly service: ServiceConfig,
    previous?: ServicePool,
  ) {
    // A disabled key stays disabled across a reload: a check or an operator brings it back.
    const carry = (found: (Tracked & { quota?: Quota; check?: KeyCheck }) | undefined): Carried =>
      found
        ? { counters: found.counters, health: found.health, quota: found.quota ?? new Quota(), check: found.check ?? {} }
        : { counters: new TargetCounters(), health: new Health(), quota: new Quota(), check: {} }
    // Found by value and URL at once: a pool of 10,000 keys is rebuilt in one pass.
    const previousKeys = new Map(previous?.keys.items.map((k) => [k.value, k]))
    const previousEndpoints = new Map(previous?.endpoints.items.map((e) => [e.url, e]))
    const tracked = (c: Carried, weight: number, priority: number): Tracked => ({
      counters: c.counters,
      health: c.health,
      weight,
      priority,
      inFlight: () => c.counters.inFlight,
    })
    this.keys = createSelector(
      service.strategy,
      service.keys.map((k): KeyTarget => {
        const before = previousKeys.get(k.value)
        const c = carry(before)
        return {
          value: k.value,
          // Two hashes a key: what rebuilding a pool of 10,000 keys would spend most on, carried over instead.
          masked: before?.masked ?? maskKey(k.value),
          id: before?.id ?? keyId(service.name, k.value),
          source: k.source ?? 'config',
          hash: before?.hash ?? hashOf(k.value),
          ...tracked(c, k.weight, k.priority),
          quota: c.quota,
          share: () => c.quota.share(this.pickedAt),
          check: c.check,
        }
      }),
    )
    this.keyById = new Map(this.keys.items.map((k) => [k.id, k]))
    this.keyByHash = new Map(this.keys.items.map((k) => [k.hash, k]))
    // Endpoints report no quota: theirs (a fresh one from `carry`) is dropped, and `most-remaining` takes them in turn.
    this.endpoints = createSelector(
      service.strategy,
      service.endpoints.map(
        (e): EndpointTarget => ({
          url: e.url,
          ...tracked(carry(previousEndpoints.get(e.url)), e.weight, e.priority),
          refusals: new Refusals(),
          answerTimes: previousEndpoints.get(e.url)?.answerTimes ?? new AnswerTimes(),
        }),
      ),
    )
  }

  /**
   * The next available key and endpoint, claimed for one request; undefined
   * when none can serve now. `skip`: targets this request has already seen
   * rate limited (a cooldown of 0, `Retry-After: 0`, would hand them back).
   * A key whose reported quota is spent (no request left, or fewer tokens
   * than `tokensNeeded`) is skipped until that limit resets.
   */
  pick(now: number, skip?: ReadonlySet<object>, tokensNeeded = 0): Target | undefined {
    const available = (t: Tracked) => t.health.available(now) && !skip?.has(t)
    const usableKey = (k: KeyTarget) => available(k) && k.quota.allows(now, tokensNeeded)
    this.pickedAt = now
    const key = this.keys.items.length > 0 ? this.keys.next(usableKey) : undefined
    if (this.keys.items.length > 0 && !key) return undefined
    const endpoint = this.endpoints.next(available)
    if (!endpoint) return undefined
    key?.health.claim()
    endpoint.health.claim()
    return { key, endpoint }
  }

  /**
   * When some key and some endpoint will both be available again (0: now;
   * Infinity: never, until a key is enabled). A key serves once both its cooldown has
   * passed and its reported quota (for `tokensNeeded`) has reset.
   */
  recoversAt(now: number, tokensNeeded = 0): number {
    const soonest = (times: number[]) => Math.min(...times)
    const key =
      this.keys.items.length > 0
        ? soonest(this.keys.items.map((k) => Math.max(k.health.recoversAt(now), k.quota.recoversAt(now, tokensNeeded))))
        : 0
    return Math.max(key, soonest(this.endpoints.items.map((e) => e.health.recoversAt(now))))
  }

  /** True when every key is disabled. */
  allKeysDisabled(): boolean {
    return this.keys.items.length > 0 && this.keys.items.every((k) => k.health.disabled() !== undefined)
  }
}

/** A key's id: 12 hex digits of a hash of its service and value, stable across restarts and instances. */
export function keyId(service: string, value: string): string {
  return hashOf(`${service}/${value}`).slice(0, 12)
}

/** Pools for a configuration; those of `previous` hand over their targets' counters and health. */
export function createPools(
  services: Record<string, ServiceConfig>,
  previous?: ReadonlyMap<string, ServicePool>,
): Map<string, ServicePool> {
  return new Map(Object.values(services).map((s) => [s.name, new ServicePool(s, previous?.get(s.name))]))
}
