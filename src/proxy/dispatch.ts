/**
 * Sends one request where its route allows, moving on to the next key,
 * endpoint or deployment while nothing has reached the client. What each
 * answer means is upstream/verdict.ts's one table, as the service's
 * key_policy and its provider's phrasing refine it (upstream/key-verdict.ts):
 * - a key refused (401, 402, 403, or a body saying the key is invalid,
 *   revoked or out of credit): the key is struck, and disabled after
 *   `disable_after` strikes, unless the endpoint refuses every key alike
 *   (balancer/key-failures.ts); the next key is tried, free.
 * - 429: the key cools down (Retry-After honoured); the next key is tried, free.
 * - 5xx, 408, timeouts, connection errors: the endpoint cools down, is not
 *   tried again by this request, and the request uses one of its
 *   LMLB_MAX_ATTEMPTS attempts.
 * - anything else (2xx, the client's own 4xx): returned as it came.
 */
import type { Choice, Chooser } from '../balancer/choosers'
import type { KeyTarget, Target } from '../balancer/service-pool'
import { ProxyError } from '../errors'
import type { Logger } from '../observability/log'
import { PROVIDERS } from '../providers'
import type { CooledTarget, KeyChange } from '../state/ports'
import type { ProxyState } from '../state/proxy-state'
import type { Runtime } from '../state/runtime'
import { readRateLimits } from '../upstream/rate-limits'
import { retryAfterMs, retryDelayMs } from '../upstream/retry-after'
import { UpstreamFailure } from '../upstream/send'
import { BODY_READ, COMMON_KEY_RULES, judgeAnswer, type KeyVerdict } from '../upstream/key-verdict'
import { KINDS } from '../upstream/verdict'
import { byteText } from '../util/byte-text'
import type { Attempted } from './attempt'

/** One try at a target: its answer (and the way back for it), or a throw (UpstreamFailure: the target failed). */
export type Attempt = (choice: Choice) => Promise<Attempted>

export interface DispatchOptions {
  /** Told of every key or endpoint this request cooled. */
  onCooled?: (target: CooledTarget) => void
  /** Told of every key this request disabled or brought back. */
  onKeyChanged?: (change: KeyChange) => void
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
    onKeyChanged: sharing.keyChanged,
    onQuota: sharing.quota,
  }
}

export async function dispatch(attempt: Attempt, o: DispatchOptions): Promise<Dispatched> {
  const now = o.now ?? Date.now
  const { chooser } = o
  let transientFailures = 0
  let last: Dispatched | UpstreamFailure | undefined
  // Passed over for the rest of this request, however short their cooldown (another request's success ends one at once):
  // a key that answered 429, an endpoint that failed. Made on the first: none on the hot path.
  let passed: Set<object> | undefined
  // Each turn either returns or takes a target out of rotation: bounded by the pools' sizes.
  const maxTurns = chooser.pools.reduce((n, p) => n + p.keys.items.length + p.endpoints.items.length, o.maxAttempts)
  for (let turn = 0; turn < maxTurns; turn++) {
    const choice = chooser.pick(now(), passed)
    if (!choice) break
    let attempted: Attempted
    try {
      attempted = await attempt(choice)
    } catch (error) {
      // The client left, or a bug: nothing to learn about the targets.
      if (!(error instanceof UpstreamFailure)) throw (released(choice.target), error)
      unreachable(choice, error, now(), o)
      ;(passed ??= new Set()).add(choice.target.endpoint)
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
    const verdict = status < 400 ? SUCCESS : verdictOn(choice, attempted)
    if (!KINDS[verdict.kind].retry) {
      key?.health.succeeded()
      endpoint.health.succeeded()
      endpoint.refusals.answered()
      return { attempted, choice }
    }
    last = { attempted, choice }
    countFailure(choice.target, `status_${status}`)
    if (verdict.kind === 'key_refused' && key) {
      if (keyRefused(choice, key, status, verdict, now(), o) === 'key') continue
      if (++transientFailures >= o.maxAttempts) break
    } else if (verdict.kind === 'key_refused') {
      // A keyless service refused: that is for the client to read, not ours to fix.
      return (endpoint.health.released(), last)
    } else if (verdict.kind === 'rate_limited') {
      const wait = verdict.cooldownMs ?? retryAfterMs(headers, now()) ?? retryDelayMs(bodyText(attempted))
      ;(passed ??= new Set()).add(coolForLimit(choice, wait, now(), o))
    } else {
      endpointFailed(choice, headers, now(), o, `answered ${status}`)
      ;(passed ??= new Set()).add(endpoint)
      if (++transientFailures >= o.maxAttempts) break
    }
  }

  if (last instanceof UpstreamFailure) {
    throw new ProxyError(last.kind === 'timeout' ? 504 : 502, `upstream_${last.kind}`, o.scrub(last.message))
  }
  if (last) return last
  throw unavailable(chooser, now())
}

const SUCCESS: KeyVerdict = { kind: 'success', reason: 'ok' }

/** What a failed answer says, by the service's rules, its provider's and the common ones. */
function verdictOn({ deployment }: Choice, attempted: Attempted): KeyVerdict {
  const service = deployment.pool.service
  const body = bodyText(attempted).toLowerCase()
  return judgeAnswer(attempted.answer.status, body, service.keyPolicy.rules, PROVIDERS[service.provider].keyRules, COMMON_KEY_RULES)
}

/** The start of a failed answer's body, as text. */
const bodyText = ({ answer }: Attempted) => (answer.bytes ? byteText(answer.bytes.subarray(0, BODY_READ)) : '')

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

/**
 * The key was refused: struck, and disabled after the service's
 * `disable_after` strikes in a row, unless this endpoint refuses every key
 * alike (then the endpoint cools and the keys stay). Returns who was blamed.
 */
function keyRefused(choice: Choice, key: KeyTarget, status: number, verdict: KeyVerdict, now: number, o: DispatchOptions) {
  const { endpoint } = choice.target
  const { pool } = choice.deployment
  const { name: service, keyPolicy } = pool.service
  const why = `${status} ${verdict.reason}`
  const inRotation = () => pool.keys.items.reduce((n, k) => (k.health.disabled() ? n : n + 1), 0)
  const blame = endpoint.refusals.refused(key, why, now, inRotation)
  if (blame.on === 'endpoint') {
    for (const k of blame.restore) if (k.health.enable(now)) o.onKeyChanged?.({ service, key: k.value, at: now, enabledBy: 'lmlb' })
    key.health.released()
    endpoint.health.failed(now)
    o.onCooled?.({ service, endpoint: endpoint.url, until: endpoint.health.cooledUntil() })
    if (blame.found)
      o.logger.warn(
        `${service}: ${endpoint.url} refused one key after another (${why}): the endpoint is to blame ` +
          '(a WAF, a blocked server IP, an outage?); it cools and its keys stay in rotation',
      )
    return 'endpoint'
  }
  endpoint.health.released()
  const strikes = key.health.strike()
  if (strikes < keyPolicy.disableAfter) {
    key.health.failed(now)
    o.logger.warn(`${service}: key ${key.masked} refused (${why}), ${strikes} of ${keyPolicy.disableAfter} before it is disabled`)
    return 'key'
  }
  const disabled = { reason: verdict.reason, since: now, by: 'lmlb' as const, detail: `${status}` }
  if (key.health.disable(disabled)) {
    endpoint.refusals.disabled(key)
    o.onKeyChanged?.({ service, key: key.value, disabled, at: now })
    o.logger.warn(`${service}: key ${key.masked} disabled (${why}); a check or an operator brings it back`)
  }
  return 'key'
}

/**
 * A 429 (or a policy's cooldown): limits belong to a key (a keyless
 * service's to its endpoint), which cools as long as the policy or the
 * upstream asks. Returns what cooled.
 */
function coolForLimit(choice: Choice, waitMs: number | undefined, now: number, o: DispatchOptions): object {
  const { key, endpoint } = choice.target
  const service = choice.deployment.pool.service.name
  const limited = key ?? endpoint
  limited.health.failed(now, waitMs)
  o.onCooled?.(
    key
      ? { service, key: key.value, until: key.health.cooledUntil() }
      : { service, endpoint: endpoint.url, until: endpoint.health.cooledUntil() },
  )
  if (key) endpoint.health.released()
  const what = key ? `key ${key.masked}` : endpoint.url
  o.logger.info(`${service}: ${what} rate limited, cooling ${limited.health.toJSON(now).cooldown_remaining_ms} ms`)
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
  if (chooser.pools.every((p) => p.allKeysDisabled())) {
    const fix = chooser.pools.map((p) => p.service.keyVariables).join('; ')
    return new ProxyError(
      401,
      'upstream_keys_invalid',
      `every API key of ${names} is disabled, refused by the upstream; a background check or an operator ` +
        `(POST /admin/keys/{id}/enable) brings one back; or fix ${fix}`,
    )
  }
  const at = Math.min(...chooser.pools.map((p) => p.recoversAt(now)))
  const seconds = Number.isFinite(at) ? Math.max(1, Math.ceil((at - now) / 1000)) : 60
  const endpoints = chooser.pools.flatMap((p) => p.endpoints.items)
  const refusal = endpoints[0]?.refusals.blamed()
  if (refusal && endpoints.every((e) => e.refusals.blamed() !== undefined)) {
    // Every endpoint refused every key alike: say what they answered, and what to look at.
    const fix = chooser.pools.map((p) => p.service.keyVariables).join('; ')
    const message =
      `every endpoint of ${names} refused one key after another (${refusal}): lmlb blames the endpoints ` +
      `(a WAF, a blocked server IP, or every key revoked), keeps the keys and tries again in ${seconds} s; check ${fix}`
    return new ProxyError(Number.parseInt(refusal, 10), 'upstream_keys_refused', message, { 'retry-after': String(seconds) })
  }
  const message = `every key or endpoint of ${names} is cooling down after failures; retry in ${seconds} s`
  return new ProxyError(503, 'all_targets_cooling', message, { 'retry-after': String(seconds) })
}
