/**
 * What several lmlb instances share through Redis (or Valkey): a key or
 * endpoint one instance cools (a 429, a 5xx, a timeout) or sets aside
 * (401/403) cools or is set aside in every instance. Each event is
 * published (the others apply it within milliseconds) and kept under a key
 * with its cooldown as TTL, so an instance that starts or reconnects later
 * reads what still holds. Requests never wait for Redis: they read local
 * state; writes are fire-and-forget. Redis unreachable: lmlb serves on its
 * own state, says so once, reconnects with backoff, and reads again.
 * Keys cross as a hash of their value, never the value.
 */
import Redis from 'ioredis'
import type { Logger } from '../observability/log'
import { hashOf } from '../routing/session-identity'
import { adoptCooled } from '../server/cooled-targets'
import type { CooledTarget } from '../server/dispatch'
import type { Runtime } from '../server/state'

/** How long a key set aside (401/403) stays set aside in other instances: until their own next reload, at most an hour. */
const INVALID_TTL_MS = 3_600_000

export interface SharedState {
  /** The connection, for what else is shared (client-key limits). */
  readonly client: Redis
  readonly prefix: string
  publish(target: CooledTarget): void
  status(): 'connected' | 'connecting' | 'unreachable'
  close(): Promise<void>
}

export function connectShared(url: string, prefix: string, runtime: Runtime, logger: Logger): SharedState {
  const where = hostOf(url)
  const origin = crypto.randomUUID()
  const channel = `${prefix}:cooled`
  const options = {
    // Commands fail at once while disconnected: a request never waits for Redis.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A Redis that stops answering must not hold a limited request for long: past this, it is counted here.
    commandTimeout: 500,
    retryStrategy: (times: number) => Math.min(times * 200, 5_000),
    lazyConnect: false,
  }
  const client = new Redis(url, options)
  const subscriber = new Redis(url, options)
  let reachable: boolean | undefined
  const said = (ok: boolean) => {
    if (reachable === ok) return
    reachable = ok
    if (ok) logger.always(`shared state: Redis at ${where} connected`)
    else logger.warn(`shared state: Redis at ${where} unreachable; serving on this instance's own state, reconnecting`)
  }
  client.on('error', () => said(false))
  subscriber.on('error', () => {})
  client.on('ready', () => {
    said(true)
    void resync()
  })
  subscriber.on('ready', () => void subscriber.subscribe(channel).catch(() => {}))
  subscriber.on('message', (_, text: string) => {
    const event = parse(text)
    if (event && event.origin !== origin) adoptCooled(runtime, event.target, logger, 'another instance')
  })

  /** What other instances cooled while this one was away, still in force. */
  const resync = async () => {
    try {
      let cursor = '0'
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:cool:*`, 'COUNT', 200)
        cursor = next
        const values = keys.length > 0 ? await client.mget(...keys) : []
        for (const value of values) {
          const event = value === null ? undefined : parse(value)
          if (event && (event.target.invalid || event.target.until > Date.now())) adoptCooled(runtime, event.target, logger, 'another instance')
        }
      } while (cursor !== '0')
    } catch {
      // Unreachable again: the next ready reads again.
    }
  }

  return {
    client,
    prefix,
    publish(target) {
      const wire: CooledTarget = { ...target, key: undefined, keyHash: target.key === undefined ? undefined : hashOf(target.key) }
      const text = JSON.stringify({ origin, target: wire })
      const ttl = target.invalid ? INVALID_TTL_MS : Math.max(1, target.until - Date.now())
      const name = `${prefix}:cool:${target.service}:${wire.keyHash ?? hashOf(target.endpoint ?? '')}`
      // Fire-and-forget: an unreachable Redis costs the request nothing.
      void client.set(name, text, 'PX', ttl).catch(() => {})
      void client.publish(channel, text).catch(() => {})
    },
    status: () => (reachable === undefined ? 'connecting' : reachable ? 'connected' : 'unreachable'),
    async close() {
      await Promise.all([client.quit().catch(() => {}), subscriber.quit().catch(() => {})])
    },
  }
}

function parse(text: string): { origin: string; target: CooledTarget } | undefined {
  try {
    const event = JSON.parse(text)
    return typeof event?.target?.service === 'string' && typeof event.target.until === 'number' ? event : undefined
  } catch {
    return undefined
  }
}

/** host:port of a Redis URL: its user and password never reach a log. */
function hostOf(url: string): string {
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || '6379'}`
  } catch {
    return '(the configured URL)'
  }
}
