/**
 * Sends one request where its route allows, moving on to the next key,
 * endpoint or deployment while nothing has reached the client:
 * - 401/403: the key is set aside (until reload); the next key is tried, free.
 * - 429: the key cools down (Retry-After honoured); the next key is tried, free.
 * - 5xx, 408, timeouts, connection errors: the endpoint cools down, and the
 *   request uses one of its LMLB_MAX_ATTEMPTS attempts.
 * - anything else (2xx, the client's own 4xx): returned as it came.
 */
import type { Choice, Chooser } from '../balancer/choosers'
import type { KeyTarget, Target } from '../balancer/service-pool'
import type { Logger } from '../observability/log'
import { readRateLimits } from '../upstream/rate-limits'
import { retryAfterMs } from '../upstream/retry-after'
import { UpstreamFailure } from '../upstream/send'
import type { CooledTarget } from '../state/ports'
import type { Attempted } from './attempt'
import { ProxyError } from '../errors'

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

type Verdict = 'success' | 'client_fault' | 'key_invalid' | 'rate_limited' | 'transient'

export function verdictOf(status: number): Verdict {
  if (status < 400) return 'success'
  if (status === 401 || status === 403) return 'key_invalid'
  if (status === 429) return 'rate_limited'
  if (status === 408 || status >= 500) return 'transient'
  return 'client_fault'
}

/** The upstream's answer with its way back, and which deployment gave it. */
export interface Dispatched {
  attempted: Attempted
  choice: Choice
}

export async function dispatch(attempt: Attempt, o: DispatchOptions): Promise<Dispatched> {
  const now = o.now ?? Date.now
  const { chooser, logger } = o
  let transientFailures = 0
  let last: Dispatched | UpstreamFailure | undefined
  // A key that answered 429 is not tried again in this request, however short its cooldown.
  let rateLimited: Set<object> | undefined // made on the first 429: none on the hot path
  // Each turn either returns or takes a target out of rotation: bounded by the pools' sizes.
  const maxTurns = chooser.pools.reduce((n, p) => n + p.keys.items.length + p.endpoints.items.length, o.maxAttempts)
  for (let turn = 0; turn < maxTurns; turn++) {
    const choice = chooser.pick(now(), rateLimited)
    if (!choice) break
    const { key, endpoint } = choice.target
    const service = choice.deployment.pool.service.name
    let attempted: Attempted
    try {
      attempted = await attempt(choice)
    } catch (error) {
      if (!(error instanceof UpstreamFailure)) {
        // The client left, or a bug: nothing to learn about the targets.
        key?.health.released()
        endpoint.health.released()
        throw error
      }
      endpoint.health.failed(now())
      o.onCooled?.({ service, endpoint: endpoint.url, until: endpoint.health.cooledUntil() })
      key?.health.released()
      countFailure(choice.target, error.kind)
      logger.warn(`${service}: ${endpoint.url} failed (${error.kind}): ${o.scrub(error.message)}`)
      last = error
      if (++transientFailures >= o.maxAttempts) break
      continue
    }

    const answer = attempted.answer
    // Every answer says what the key has left: a spent key is passed over until its reset, before it draws a 429.
    const limits = key ? readRateLimits(answer.headers, now()) : undefined
    if (key && limits) {
      key.quota.observe(limits, now())
      o.onQuota?.(service, key)
    }
    const verdict = verdictOf(answer.status)
    if (logger.enabled('debug'))
      logger.debug(`${service}: ${endpoint.url} key=${key?.masked ?? '(none)'} model=${choice.deployment.model} → ${answer.status}`)
    if (verdict === 'success' || verdict === 'client_fault') {
      key?.health.succeeded()
      endpoint.health.succeeded()
      return { attempted, choice }
    }
    last = { attempted, choice }
    countFailure(choice.target, `status_${answer.status}`)
    if (verdict === 'key_invalid') {
      // A keyless service refused: that is for the client to read, not ours to fix.
      if (!key) return (endpoint.health.released(), last)
      key.health.setInvalid(now())
      o.onCooled?.({ service, key: key.value, until: now(), invalid: true })
      endpoint.health.released()
      logger.warn(`${service}: key ${key.masked} refused with ${answer.status}; set aside until the next configuration load`)
      continue
    }
    if (verdict === 'rate_limited') {
      // Limits belong to a key; a keyless service's limit to its endpoint.
      const limited = key ?? endpoint
      limited.health.failed(now(), retryAfterMs(answer.headers, now()))
      o.onCooled?.(
        key
          ? { service, key: key.value, until: key.health.cooledUntil() }
          : { service, endpoint: endpoint.url, until: endpoint.health.cooledUntil() },
      )
      rateLimited ??= new Set()
      rateLimited.add(limited)
      if (key) endpoint.health.released()
      logger.info(
        `${service}: ${key ? `key ${key.masked}` : endpoint.url} rate limited (429), cooling ${limited.health.toJSON(now()).cooldown_remaining_ms} ms`,
      )
      continue
    }
    endpoint.health.failed(now(), retryAfterMs(answer.headers, now()))
    o.onCooled?.({ service, endpoint: endpoint.url, until: endpoint.health.cooledUntil() })
    key?.health.released()
    logger.warn(`${service}: ${endpoint.url} answered ${answer.status}`)
    if (++transientFailures >= o.maxAttempts) break
  }

  if (last instanceof UpstreamFailure) {
    throw new ProxyError(last.kind === 'timeout' ? 504 : 502, `upstream_${last.kind}`, o.scrub(last.message))
  }
  if (last) return last
  throw unavailable(chooser, now())
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
  return new ProxyError(
    503,
    'all_targets_cooling',
    `every key or endpoint of ${names} is cooling down after failures; retry in ${seconds} s`,
    {
      'retry-after': String(seconds),
    },
  )
}
