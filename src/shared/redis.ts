/**
 * The connection several lmlb instances share through Redis (or Valkey):
 * what one learns (shared-events.ts) is published, so the others apply it
 * within milliseconds, and stored with a TTL, so one that starts or
 * reconnects later reads what still holds. Requests never wait for Redis:
 * they read local state; writes are fire-and-forget, at most
 * MAX_PENDING_WRITES under way (past that they are dropped, not queued).
 * Redis unreachable: lmlb serves on its own state, says so once,
 * reconnects with backoff, and reads again. Each instance keeps a
 * heartbeat key, so every one can say how many share the state.
 */
import Redis from 'ioredis'
import type { Logger } from '../observability/log'
import type { Runtime } from '../server/state'
import { redisTarget, redisWhere } from './redis-url'
import { adoptEvent, eventsInForce, parseEvent, storedAs, STORED_KINDS, type SharedEvent } from './shared-events'

const MAX_PENDING_WRITES = 1_000
/** An instance says it is there this often; its heartbeat lasts three times as long. */
const HEARTBEAT_MS = 5_000

export interface SharedState {
  /** The connection, for what else is shared (client-key limits). */
  readonly client: Redis
  readonly prefix: string
  tell(event: SharedEvent): void
  status(): 'connected' | 'connecting' | 'unreachable'
  /** How many instances share the state (their workers count as one), as last counted; undefined while not connected. */
  instances(): number | undefined
  close(): Promise<void>
}

/** `instance` names this instance (its workers give the same), for the heartbeat. */
export function connectShared(url: string, prefix: string, instance: string, runtime: Runtime, logger: Logger): SharedState {
  const where = redisWhere(url)
  const origin = crypto.randomUUID()
  const channel = `${prefix}:events`
  const heartbeat = `${prefix}:instance:${instance}`
  const target = redisTarget(url)
  const options = {
    // Commands fail at once while disconnected: a request never waits for Redis.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A Redis that stops answering must not hold a limited request for long: past this, it is counted here.
    commandTimeout: 500,
    retryStrategy: (times: number) => Math.min(times * 200, 5_000),
    ...('sentinel' in target && { ...target.sentinel, sentinelRetryStrategy: (times: number) => Math.min(times * 200, 5_000) }),
  }
  const connect = () => ('url' in target ? new Redis(target.url, options) : new Redis(options))
  const client = connect()
  const subscriber = connect()
  let reachable: boolean | undefined
  let counted: number | undefined
  let pending = 0
  const said = (ok: boolean, why?: Error) => {
    if (reachable === ok) return
    reachable = ok
    if (ok) logger.always(`shared state: Redis at ${where} connected`)
    // ioredis's messages name the host or Redis's refusal (WRONGPASS...), never the password.
    else logger.warn(`shared state: Redis at ${where} unreachable (${why?.message ?? 'connection lost'}); serving on this instance's own state, reconnecting`)
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

  client.on('error', (error: Error) => said(false, error))
  client.on('close', () => (counted = undefined))
  subscriber.on('error', () => {})
  // Read what the others stored once both connections are up: subscribed first, so nothing told in between is missed.
  let subscribed = false
  const resyncWhenReady = () => void (subscribed && client.status === 'ready' && resync())
  client.on('ready', () => {
    said(true)
    warnIfCluster()
    resyncWhenReady()
    // What this one learned while Redis was away, for the others.
    for (const event of eventsInForce(runtime, Date.now())) shared.tell(event)
    void beat().then(() => send({ hello: true }))
  })
  subscriber.on('close', () => (subscribed = false))
  subscriber.on('ready', () =>
    subscriber.subscribe(channel).then(
      () => ((subscribed = true), resyncWhenReady()),
      () => {},
    ),
  )
  subscriber.on('message', (_, text: string) => {
    const message = parseEvent(text)
    // An instance came or went: count again.
    if (message === 'hello') return void count()
    if (message && message.origin !== origin) adoptEvent(runtime, message.event, logger, Date.now())
  })

  /** Every key matching `pattern`, a batch at a time. */
  const scan = async (pattern: string, each: (names: string[]) => Promise<void>) => {
    let cursor = '0'
    do {
      const [next, names] = await client.scan(cursor, 'MATCH', pattern, 'COUNT', 200)
      cursor = next
      if (names.length > 0) await each(names)
    } while (cursor !== '0')
  }
  /** What other instances learned while this one was away (or before it started), still in force. */
  const resync = async () => {
    try {
      for (const kind of STORED_KINDS)
        await scan(`${prefix}:${kind}:*`, async (names) => {
          for (const value of await client.mget(...names)) {
            const message = value === null ? undefined : parseEvent(value)
            if (typeof message === 'object') adoptEvent(runtime, message.event, logger, Date.now())
          }
        })
    } catch {
      // Unreachable again: the next ready reads again.
    }
  }
  /** A Cluster node refuses the keys of other nodes' slots: most of lmlb's. Said once. */
  let clusterSaid = false
  const warnIfCluster = () =>
    void client.info('cluster').then(
      (info) => {
        if (clusterSaid || !/cluster_enabled:1/.test(info)) return
        clusterSaid = true
        logger.warn(`shared state: Redis at ${where} is a Redis Cluster node, which lmlb does not support: most of what it shares would be refused; give it a single server or Sentinel`)
      },
      () => {},
    )
  const count = async () => {
    try {
      let n = 0
      await scan(`${prefix}:instance:*`, async (names) => void (n += names.length))
      counted = n
    } catch {
      // Counted again at the next beat.
    }
  }
  const beat = async () => {
    await client.set(heartbeat, String(Date.now()), 'PX', HEARTBEAT_MS * 3).catch(() => {})
    await count()
  }
  const beating = setInterval(() => reachable && void beat(), HEARTBEAT_MS)
  ;(beating as { unref?: () => void }).unref?.()

  const shared: SharedState = {
    client,
    prefix,
    tell(event) {
      const { name, ttlMs } = storedAs(prefix, event, Date.now())
      if (ttlMs <= 0) return
      const message = { origin, event }
      write(() => client.set(name, JSON.stringify(message), 'PX', Math.ceil(ttlMs)))
      send({ event })
    },
    status: () => (reachable === undefined ? 'connecting' : reachable ? 'connected' : 'unreachable'),
    instances: () => (reachable ? counted : undefined),
    async close() {
      clearInterval(beating)
      // Gone at once from the others' count, not when the heartbeat expires.
      if (reachable) await client.del(heartbeat).then(() => client.publish(channel, JSON.stringify({ origin, hello: true }))).catch(() => {})
      await Promise.all([client.quit().catch(() => {}), subscriber.quit().catch(() => {})])
    },
  }
  return shared
}
