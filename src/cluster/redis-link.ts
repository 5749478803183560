/**
 * Redis behind a port that exists from the start (LMLB_REDIS_URL): its
 * client library loads only when a configuration names Redis, and connects
 * in the background. Until Redis answers, and whenever it is away, nothing
 * is told (the teller says so) and limited keys are counted here.
 */
import type Redis from 'ioredis'
import type { Logger } from '../observability/log'
import type { SharedFigures } from '../observability/stats'
import type { SharedState } from './redis'
import type { Hearer, Teller } from './shared-events'

export interface RedisLink {
  readonly prefix: string
  readonly tell: Teller
  figures(): SharedFigures
  /** The connection while Redis answers. */
  usable(): Redis | undefined
  /** True when this instance holds `name` (prefixed) for `ms` now, none having held it; true too while Redis is away (each checks alone). */
  claim(name: string, ms: number): Promise<boolean>
  /** Loads the client and connects; what the others tell is taken in through `hearer`. */
  connect(hearer: Hearer): void
  close(): Promise<void>
}

/** `instance` names this instance (its workers give the same), for the count of instances. */
export function redisLink(redis: { url: string; prefix: string }, instance: string, logger: Logger): RedisLink {
  let shared: SharedState | undefined
  return {
    prefix: redis.prefix,
    tell: (event) => shared?.tell(event) ?? false,
    figures: () => ({ redis: shared?.status() ?? 'connecting', instances: shared?.instances() ?? null }),
    usable: () => (shared?.status() === 'connected' ? shared.client : undefined),
    async claim(name, ms) {
      const client = shared?.status() === 'connected' ? shared.client : undefined
      if (!client) return true
      try {
        return (await client.set(`${redis.prefix}:${name}`, instance, 'PX', Math.max(1, Math.round(ms)), 'NX')) === 'OK'
      } catch {
        return true
      }
    },
    connect(hearer) {
      void import('./redis').then(
        ({ connectShared }) => void (shared = connectShared(redis.url, redis.prefix, instance, hearer, logger)),
        (error: Error) => logger.error(`shared state: the Redis client could not load: ${error.message}`),
      )
    },
    close: async () => shared?.close(),
  }
}
