/**
 * Sends one request where its route allows, moving on to the next key,
 * endpoint or deployment while nothing has reached the client. What each
 * answer means is upstream/verdict.ts's one table:
 * - 401/403: the key is set aside (until reload); the next key is tried, free.
 * - 429: the key cools down (Retry-After honoured); the next key is tried, free.
 * - 5xx, 408, timeouts, connection errors: the endpoint cools down, and the
 *   request uses one of its LMLB_MAX_ATTEMPTS attempts.
 * - anything else (2xx, the client's own 4xx): returned as it came.
 */
import type { Choice, Chooser } from '../balancer/choosers'
import type { KeyTarget, Target } from '../balancer/service-pool'
import { ProxyError } from '../errors'
import type { Logger } from '../observability/log'
import type { CooledTarget } from '../state/ports'
import type { ProxyState } from '../state/proxy-state'
import type { Runtime } from '../state/runtime'
import { readRateLimits } from '../upstream/rate-limits'
import { retryAfterMs } from '../upstream/retry-after'
import { UpstreamFailure } from '../upstream/send'
import { KINDS, kindOf } from '../upstream/verdict'
import type { Attempted } from './attempt'

/** One try at a target: its answer (and the way back for it), or a throw (UpstreamFailure: the target failed). */
export type Attempt = (choice: Choice) => Promise<Attempted>

export interface DispatchOptions {
  /** Told of every key or endpoint this request cooled or set aside. */
  onCooled?: (target: CooledTarget) => void
  /** Told when an answer reported what a key has left (its quota holds the report). */
  onQuota?: (service: string, key: KeyTarget) => void
  chooser: Chooser
  maxAttempts: number
  logger: Logger
  /** Masks keys in text that leaves lmlb. */
  scrub: (text: string) => string
  now?: () => number
}

/** The upstream's answer with its way back, and which deployment gave it. */
export interface Dispatched {
  attempted: Attempted
  choice: Choice
}

/** Dispatch as a request of `runtime` does it: its state's limits and masks, the runtime's log, and its sharing told of what it learns. */
export function dispatchOptions(runtime: Runtime, state: ProxyState, chooser: Chooser): DispatchOptions {
  const { logger, sharing } = runtime
  return {
    chooser,
    maxAttempts: state.config.limits.maxAttempts,
    logger,
    scrub: (t) => state.scrubber.text(t),
    onCooled: sharing.cooled,
    onQuota: sharing.quota,
  }
}

export async function dispatch(attempt: Attempt, o: DispatchOptions): Promise<Dispatched> {
  const now = o.now ?? Date.now
  const { chooser } = o
  let transientFailures = 0
  let last: Dispatched | UpstreamFailure | undefined
  // A key that answered 429 is not tried again in this request, however short its cooldown.
  let rateLimited: Set<object> | undefined // made on the first 429: none on the hot path
  // Each turn either returns or takes a target out of rotation: bounded by the pools' sizes.
  const maxTurns = chooser.pools.reduce((n, p) => n + p.keys.items.length + p.endpoints.items.length, o.maxAttempts)
  for (let turn = 0; turn < maxTurns; turn++) {
    const choice = chooser.pick(now(), rateLimited)
    if (!choice) break
    let attempted: Attempted
    try {
      attempted = await attempt(choice)
    } catch (error) {
      // The client left, or a bug: nothing to learn about the targets.
      if (!(error instanceof UpstreamFailure)) throw (released(choice.target), error)
      unreachable(choice, error, now(), o)
      last = error
      if (++transientFailures >= o.maxAttempts) break
      continue
    }
    const { key, endpoint } = choice.target
    const { status, headers } = attempted.answer
    // Every answer says what the key has left: a spent key is passed over until its reset, before it draws a 429.
    const limits = key ? readRateLimits(headers, now()) : undefined
    if (key && limits) {
      key.quota.observe(limits, now())
      o.onQuota?.(choice.deployment.pool.service.name, key)
    }
    if (o.logger.enabled('debug'))
      o.logger.debug(
        `${choice.deployment.pool.service.name}: ${endpoint.url} key=${key?.masked ?? '(none)'} model=${choice.deployment.model} → ${status}`,
      )
    const { retry, blame } = KINDS[kindOf(status)]
    if (!retry) {
      key?.health.succeeded()
      endpoint.health.succeeded()
      return { attempted, choice }
    }
    last = { attempted, choice }
    countFailure(choice.target, `status_${status}`)
    if (blame === 'key_set_aside') {
      // A keyless service refused: that is for the client to read, not ours to fix.
      if (!key) return (endpoint.health.released(), last)
      setAside(choice, key, status, now(), o)
    } else if (blame === 'key') {
      rateLimited ??= new Set()
      rateLimited.add(coolForLimit(choice, headers, now(), o))
    } else {
      endpointFailed(choice, headers, now(), o, `answered ${status}`)
      if (++transientFailures >= o.maxAttempts) break
    }
  }

  if (last instanceof UpstreamFailure) {
    throw new ProxyError(last.kind === 'timeout' ? 504 : 502, `upstream_${last.kind}`, o.scrub(last.message))
  }
  if (last) return last
  throw unavailable(chooser, now())
}

function released({ key, endpoint }: Target): void {
  key?.health.released()
  endpoint.health.released()
}

/** Not reached, or no answer in time: the endpoint cools. */
function unreachable(choice: Choice, failure: UpstreamFailure, now: number, o: DispatchOptions): void {
  const { key, endpoint } = choice.target
  endpoint.health.failed(now)
  o.onCooled?.({ service: choice.deployment.pool.service.name, endpoint: endpoint.url, until: endpoint.health.cooledUntil() })
  key?.health.released()
  countFailure(choice.target, failure.kind)
  o.logger.warn(`${choice.deployment.pool.service.name}: ${endpoint.url} failed (${failure.kind}): ${o.scrub(failure.message)}`)
}

/** The key was refused (401/403): out of rotation until the next configuration load. */
function setAside(choice: Choice, key: KeyTarget, status: number, now: number, o: DispatchOptions): void {
  const service = choice.deployment.pool.service.name
  key.health.setInvalid(now)
  o.onCooled?.({ service, key: key.value, until: now, invalid: true })
  choice.target.endpoint.health.released()
  o.logger.warn(`${service}: key ${key.masked} refused with ${status}; set aside until the next configuration load`)
}

/** A 429: limits belong to a key (a keyless service's to its endpoint), which cools as long as the upstream asks. Returns what cooled. */
function coolForLimit(choice: Choice, headers: Headers, now: number, o: DispatchOptions): object {
  const { key, endpoint } = choice.target
  const service = choice.deployment.pool.service.name
  const limited = key ?? endpoint
  limited.health.failed(now, retryAfterMs(headers, now))
  o.onCooled?.(
    key
      ? { service, key: key.value, until: key.health.cooledUntil() }
      : { service, endpoint: endpoint.url, until: endpoint.health.cooledUntil() },
  )
  if (key) endpoint.health.released()
  const what = key ? `key ${key.masked}` : endpoint.url
  o.logger.info(`${service}: ${what} rate limited (429), cooling ${limited.health.toJSON(now).cooldown_remaining_ms} ms`)
  return limited
}

/** A 5xx, 408 or 529: the endpoint cools (Retry-After honoured), the key is not to blame. */
function endpointFailed(choice: Choice, headers: Headers, now: number, o: DispatchOptions, what: string): void {
  const { key, endpoint } = choice.target
  const service = choice.deployment.pool.service.name
  endpoint.health.failed(now, retryAfterMs(headers, now))
  o.onCooled?.({ service, endpoint: endpoint.url, until: endpoint.health.cooledUntil() })
  key?.health.released()
  o.logger.warn(`${service}: ${endpoint.url} ${what}`)
}

function countFailure({ key, endpoint }: Target, kind: string): void {
  key?.counters.fail(kind)
  endpoint.counters.fail(kind)
}

/** No target can serve now: say why, and when to come back. */
function unavailable(chooser: Chooser, now: number): ProxyError {
  const names = chooser.pools.map((p) => `"${p.service.name}"`).join(', ')
  if (chooser.pools.every((p) => p.allKeysInvalid())) {
    const fix = chooser.pools.map((p) => p.service.keyVariables).join('; ')
    return new ProxyError(
      401,
      'upstream_keys_invalid',
      `every API key of ${names} was refused by the upstream (401/403); fix ${fix} and reload`,
    )
  }
  const at = Math.min(...chooser.pools.map((p) => p.recoversAt(now)))
  const seconds = Number.isFinite(at) ? Math.max(1, Math.ceil((at - now) / 1000)) : 60
  const message = `every key or endpoint of ${names} is cooling down after failures; retry in ${seconds} s`
  return new ProxyError(503, 'all_targets_cooling', message, { 'retry-after': String(seconds) })
}
