/**
 * Sends one request to its service, moving on to the next key or endpoint
 * while nothing has reached the client:
 * - 401/403: the key is set aside (until reload); the next key is tried, free.
 * - 429: the key cools down (Retry-After honoured); the next key is tried, free.
 * - 5xx, 408, timeouts, connection errors: the endpoint cools down, and the
 *   request uses one of its LMLB_MAX_ATTEMPTS attempts.
 * - anything else (2xx, the client's own 4xx): returned as it came.
 */
import type { ServicePool, Target } from '../balancer/service-pool'
import type { Logger } from '../observability/log'
import { retryAfterMs } from '../upstream/retry-after'
import { UpstreamFailure } from '../upstream/send'
import { ProxyError } from './errors'

export type Attempt = (target: Target) => Promise<Response>

export interface DispatchOptions {
  pool: ServicePool
  maxAttempts: number
  logger: Logger
  /** What an unreachable or silent upstream becomes for the client, scrubbed. */
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

export async function dispatch(attempt: Attempt, o: DispatchOptions): Promise<Response> {
  const now = o.now ?? Date.now
  const { pool, logger } = o
  let transientFailures = 0
  let last: Response | Error | undefined
  // Each turn either returns or takes a target out of rotation: bounded by the pool's size.
  const maxTurns = pool.keys.items.length + pool.endpoints.items.length + o.maxAttempts
  for (let turn = 0; turn < maxTurns; turn++) {
    const target = pool.pick(now())
    if (!target) break
    const { key, endpoint } = target
    let response: Response
    try {
      response = await attempt(target)
    } catch (error) {
      if (!(error instanceof UpstreamFailure)) {
        // The client left, or a bug: nothing to learn about the targets.
        key?.health.released()
        endpoint.health.released()
        throw error
      }
      endpoint.health.failed(now())
      key?.health.released()
      countFailure(target, error.kind)
      logger.warn(`${pool.service.name}: ${endpoint.url} failed (${error.kind}): ${o.scrub(error.message)}`)
      last = error
      if (++transientFailures >= o.maxAttempts) break
      continue
    }

    const verdict = verdictOf(response.status)
    if (verdict === 'success' || verdict === 'client_fault') {
      key?.health.succeeded()
      endpoint.health.succeeded()
      return response
    }
    last = response
    countFailure(target, `status_${response.status}`)
    if (verdict === 'key_invalid') {
      // A keyless service refused: that is for the client to read, not ours to fix.
      if (!key) return (endpoint.health.released(), response)
      key.health.setInvalid()
      endpoint.health.released()
      logger.warn(`${pool.service.name}: key ${key.masked} refused with ${response.status}; set aside until the next configuration load`)
      continue
    }
    if (verdict === 'rate_limited') {
      // Limits belong to a key; a keyless service's limit to its endpoint.
      const limited = key ?? endpoint
      limited.health.failed(now(), retryAfterMs(response.headers, now()))
      if (key) endpoint.health.released()
      logger.info(`${pool.service.name}: ${key ? `key ${key.masked}` : endpoint.url} rate limited (429), cooling ${limited.health.toJSON(now()).cooldown_remaining_ms} ms`)
      continue
    }
    endpoint.health.failed(now(), retryAfterMs(response.headers, now()))
    key?.health.released()
    logger.warn(`${pool.service.name}: ${endpoint.url} answered ${response.status}`)
    if (++transientFailures >= o.maxAttempts) break
  }

  if (last instanceof Response) return last
  if (last instanceof UpstreamFailure) {
    throw new ProxyError(last.kind === 'timeout' ? 504 : 502, `upstream_${last.kind}`, o.scrub(last.message))
  }
  throw unavailable(pool, now())
}

function countFailure({ key, endpoint }: Target, kind: string): void {
  key?.counters.fail(kind)
  endpoint.counters.fail(kind)
}

/** No target can serve now: say why, and when to come back. */
function unavailable(pool: ServicePool, now: number): ProxyError {
  const name = pool.service.name
  if (pool.allKeysInvalid()) {
    return new ProxyError(401, 'upstream_keys_invalid', `every API key of service "${name}" was refused by the upstream (401/403); fix ${pool.service.keyVariables} and reload`)
  }
  const at = pool.recoversAt(now)
  const seconds = Math.max(1, Math.ceil((at - now) / 1000))
  return new ProxyError(503, 'all_targets_cooling', `every key or endpoint of service "${name}" is cooling down after failures; retry in ${seconds} s`, {
    'retry-after': String(seconds),
  })
}
