/**
 * The connection several lmlb instances share through Redis (or Valkey):
 * what one learns (shared-events.ts) is published, so the others apply it
 * within milliseconds, and stored with a TTL, so one that starts or
 * reconnects later reads what still holds. A request reads local state and
 * never waits here (one whose client key has limits waits for its one
 * script: redis-limits.ts); writes are fire-and-forget, at most
 * MAX_PENDING_WRITES under way (past that they are dropped, not queued).
 * Redis unreachable, or connected but not answering: lmlb serves on its
 * own state, says so once, reconnects with backoff, and reads again. Each
 * instance beats in a sorted set, so every one can say how many share the
 * state.
 */
import Redis from 'ioredis'
import type { Logger } from '../observability/log'
import { redisTarget, redisWhere } from './redis-url'
import { parseEvent, storedAs, STORED_KINDS, type Hearer, type SharedEvent } from './shared-events'

const MAX_PENDING_WRITES = 1_000
/** An instance beats this often; one silent for three beats no longer counts. */
const HEARTBEAT_MS = 5_000
const BACKOFF = (times: number) => Math.min(times * 200, 5_000)

export interface SharedState {
  /** The connection, for what else is shared (client-key limits). */
  readonly client: Redis
  readonly prefix: string
  /** Tells the others (false: Redis is not answering now, nothing was sent). */
  tell(event: SharedEvent): boolean
  status(): 'connected' | 'connecting' | 'unreachable'
  /** How many instances share the state (their workers count as one), as last counted; undefined while not connected. */
  instances(): number | undefined
  close(): Promise<void>
}

/** `instance` names this instance (its workers give the same), for the count of instances. */
export function connectShared(url: string, prefix: string, instance: string, hearer: Hearer, logger: Logger): SharedState {
  const where = redisWhere(url)
  const origin = crypto.randomUUID()
  const channel = `${prefix}:events`
  const beats = `${prefix}:instances`
  const target = redisTarget(url)
  const options = {
    // Commands fail at once while disconnected: nothing queues for a Redis that is away.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A Redis that stops answering must not hold a limited request for long: past this, it is counted here.
    commandTimeout: 500,
    retryStrategy: BACKOFF,
    ...('sentinel' in target && { ...target.sentinel, sentinelRetryStrategy: BACKOFF }),
  }
  const connect = () => ('url' in target ? new Redis(target.url, options) : new Redis(options))
  const client = connect()
  const subscriber = connect()
  let reachable: boolean | undefined
  let counted: number | undefined
  let pending = 0
  const once = new Set<string>()
  /** A warning said once per kind (no log flood). */
  const warnOnce = (kind: string, text: string) => void (once.has(kind) || (once.add(kind), logger.warn(text)))

  const said = (ok: boolean, why?: Error) => {
    if (reachable === ok) return
    reachable = ok
    if (!ok) {
      counted = undefined
      // ioredis's messages name the host or Redis's refusal (WRONGPASS...), never the password.
      return logger.warn(
        `shared state: Redis at ${where} unreachable (${why?.message ?? 'connection lost'}); serving on this instance's own state, reconnecting`,
      )
    }
    logger.always(`shared state: Redis at ${where} connected`)
    warnIfCluster()
    resyncWhenSubscribed()
    // What this one learned while Redis was away, for the others.
    for (const event of hearer.inForce()) shared.tell(event)
    void beat().then(() => send({ hello: true }))
  }
  /** Fire-and-forget: an unreachable or slow Redis costs the request nothing. */
  const write = (command: () => Promise<unknown>) => {
    if (pending >= MAX_PENDING_WRITES) return
    pending++
    command()
      .catch(() => {})
      .finally(() => pending--)
  }
  const send = (message: object) => write(() => client.publish(channel, JSON.stringify({ origin, ...message })))

  let closing = false
  client.on('error', (error: Error) => said(false, error))
  // A connection lost and made again before any error: still away for a moment, and read again after.
  client.on('close', () => closing || said(false))
  client.on('ready', () => said(true))
  subscriber.on('error', () => {})
  // Read what the others stored once subscribed: then nothing told in between is missed.
  let subscribed = false
  const resyncWhenSubscribed = () => void (subscribed && reachable && resync())
  subscriber.on('close', () => (subscribed = false))
  subscriber.on('ready', () =>
    subscriber.subscribe(channel).then(
      () => ((subscribed = true), resyncWhenSubscribed()),
      (error: Error) =>
        warnOnce(
          'subscribe',
          `shared state: Redis at ${where} refused to subscribe to ${channel} (${error.message}): this instance will not hear the others`,
        ),
    ),
  )
  subscriber.on('message', (_, text: string) => {
    // What a stranger wrote must never take this process down.
    try {
      const message = parseEvent(text)
      // An instance came or went: count again.
      if (message === 'hello') return void count()
      if (message && message.origin !== origin) hearer.hear(message.event, true)
    } catch (error) {
      warnOnce('message', `shared state: a message from Redis could not be applied: ${(error as Error).message}`)
    }
  })

  /** What other instances learned while this one was away (or before it started), still in force. */
  const resync = async () => {
    try {
      for (const kind of STORED_KINDS) {
        let cursor = '0'
        do {
          const [next, names] = await client.scan(cursor, 'MATCH', `${prefix}:${kind}:*`, 'COUNT', 200)
          cursor = next
          for (const value of names.length > 0 ? await client.mget(...names) : []) {
            try {
              const message = value === null ? undefined : parseEvent(value)
              if (typeof message === 'object') hearer.hear(message.event, false)
            } catch {
              // One bad value: the others are read all the same.
            }
          }
        } while (cursor !== '0')
      }
    } catch {
      // Unreachable again: the next connect reads again.
    }
  }
  /** A Cluster node refuses the keys of other nodes' slots: most of lmlb's. */
  const warnIfCluster = () =>
    void client.info('cluster').then(
      (info) =>
        /cluster_enabled:1/.test(info) &&
        warnOnce(
          'cluster',
          `shared state: Redis at ${where} is a Redis Cluster node, which lmlb does not support: ` +
            'most of what it shares would be refused; give it a single server or Sentinel',
        ),
      () => {},
    )
  /** Live instances: those that beat within three beats (older ones go). */
  const count = async () => {
    try {
      const [, [, n]] = (await client
        .multi()
        .zremrangebyscore(beats, '-inf', Date.now() - 3 * HEARTBEAT_MS)
        .zcard(beats)
        .exec()) as [unknown, [unknown, number]]
      counted = n
    } catch {
      // Counted again at the next beat.
    }
  }
  /** Says this instance is here; a Redis connected but not answering is found here, and one that answers again too. */
  const beat = async () => {
    try {
      await client
        .multi()
        .zadd(beats, Date.now(), instance)
        .pexpire(beats, 3 * HEARTBEAT_MS)
        .exec()
      if (client.status === 'ready') said(true)
      await count()
    } catch (error) {
      if (client.status === 'ready') said(false, error as Error)
    }
  }
  const beating = setInterval(() => client.status === 'ready' && void beat(), HEARTBEAT_MS)
  ;(beating as { unref?: () => void }).unref?.()

  const shared: SharedState = {
    client,
    prefix,
    tell(event) {
      if (!reachable) return false
      const { name, ttlMs } = storedAs(prefix, event, Date.now())
      if (ttlMs <= 0) return true
      const message = { origin, event }
      write(() => client.set(name, JSON.stringify(message), 'PX', Math.ceil(ttlMs)))
      send({ event })
      return true
    },
    status: () => (reachable === undefined ? 'connecting' : reachable ? 'connected' : 'unreachable'),
    instances: () => (reachable ? counted : undefined),
    async close() {
      closing = true
      clearInterval(beating)
      // Gone at once from the others' count, not three beats later.
      if (reachable)
        await client
          .zrem(beats, instance)
          .then(() => send({ hello: true }))
          .catch(() => {})
      await Promise.all([client.quit().catch(() => {}), subscriber.quit().catch(() => {})])
    },
  }
  return shared
}
