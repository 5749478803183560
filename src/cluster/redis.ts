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
  return new SharedRedis(url, prefix, instance, hearer, logger)
}

/** Two connections (commands, and the subscription), the instance's heartbeat, and what is said of Redis coming and going. */
class SharedRedis implements SharedState {
  readonly client: Redis
  private readonly subscriber: Redis
  private readonly where: string
  private readonly origin = crypto.randomUUID()
  private readonly channel: string
  private readonly beats: string
  private readonly beating: ReturnType<typeof setInterval>
  private reachable: boolean | undefined
  private counted: number | undefined
  private pending = 0
  private closing = false
  private subscribed = false
  private readonly warned = new Set<string>()

  constructor(
    url: string,
    readonly prefix: string,
    private readonly instance: string,
    private readonly hearer: Hearer,
    private readonly logger: Logger,
  ) {
    this.where = redisWhere(url)
    this.channel = `${prefix}:events`
    this.beats = `${prefix}:instances`
    this.client = connect(url)
    this.subscriber = connect(url)
    this.client.on('error', (error: Error) => this.said(false, error))
    // A connection lost and made again before any error: still away for a moment, and read again after.
    this.client.on('close', () => this.closing || this.said(false))
    this.client.on('ready', () => this.said(true))
    this.subscriber.on('error', () => {})
    this.subscriber.on('close', () => (this.subscribed = false))
    this.subscriber.on('ready', () => this.subscribe())
    this.subscriber.on('message', (_, text: string) => this.heard(text))
    this.beating = setInterval(() => this.client.status === 'ready' && void this.beat(), HEARTBEAT_MS)
    ;(this.beating as { unref?: () => void }).unref?.()
  }

  tell(event: SharedEvent): boolean {
    if (!this.reachable) return false
    const { name, ttlMs } = storedAs(this.prefix, event, Date.now())
    if (ttlMs <= 0) return true
    const message = { origin: this.origin, event }
    this.write(() => this.client.set(name, JSON.stringify(message), 'PX', Math.ceil(ttlMs)))
    this.send({ event })
    return true
  }

  status(): 'connected' | 'connecting' | 'unreachable' {
    return this.reachable === undefined ? 'connecting' : this.reachable ? 'connected' : 'unreachable'
  }

  instances(): number | undefined {
    return this.reachable ? this.counted : undefined
  }

  async close(): Promise<void> {
    this.closing = true
    clearInterval(this.beating)
    // Gone at once from the others' count, not three beats later.
    if (this.reachable)
      await this.client
        .zrem(this.beats, this.instance)
        .then(() => this.send({ hello: true }))
        .catch(() => {})
    await Promise.all([this.client.quit().catch(() => {}), this.subscriber.quit().catch(() => {})])
  }

  /** Redis answers, or stopped answering: said once each way; on coming back, the others are read and told. */
  private said(ok: boolean, why?: Error): void {
    if (this.reachable === ok) return
    this.reachable = ok
    if (!ok) {
      this.counted = undefined
      // ioredis's messages name the host or Redis's refusal (WRONGPASS...), never the password.
      const reason = why?.message ?? 'connection lost'
      return this.logger.warn(
        `shared state: Redis at ${this.where} unreachable (${reason}); serving on this instance's own state, reconnecting`,
      )
    }
    this.logger.always(`shared state: Redis at ${this.where} connected`)
    this.warnIfCluster()
    this.resyncWhenSubscribed()
    // What this one learned while Redis was away, for the others.
    for (const event of this.hearer.inForce()) this.tell(event)
    void this.beat().then(() => this.send({ hello: true }))
  }

  /** A warning said once per kind (no log flood). */
  private warnOnce(kind: string, text: string): void {
    if (this.warned.has(kind)) return
    this.warned.add(kind)
    this.logger.warn(text)
  }

  /** Fire-and-forget: an unreachable or slow Redis costs the request nothing. */
  private write(command: () => Promise<unknown>): void {
    if (this.pending >= MAX_PENDING_WRITES) return
    this.pending++
    command()
      .catch(() => {})
      .finally(() => this.pending--)
  }

  private send(message: object): void {
    this.write(() => this.client.publish(this.channel, JSON.stringify({ origin: this.origin, ...message })))
  }

  /** Read what the others stored once subscribed: then nothing told in between is missed. */
  private subscribe(): void {
    this.subscriber.subscribe(this.channel).then(
      () => {
        this.subscribed = true
        this.resyncWhenSubscribed()
      },
      (error: Error) =>
        this.warnOnce(
          'subscribe',
          `shared state: Redis at ${this.where} refused to subscribe to ${this.channel} (${error.message}): this instance will not hear the others`,
        ),
    )
  }

  private heard(text: string): void {
    // What a stranger wrote must never take this process down.
    try {
      const message = parseEvent(text)
      // An instance came or went: count again.
      if (message === 'hello') return void this.count()
      if (message && message.origin !== this.origin) this.hearer.hear(message.event, true)
    } catch (error) {
      this.warnOnce('message', `shared state: a message from Redis could not be applied: ${(error as Error).message}`)
    }
  }

  private resyncWhenSubscribed(): void {
    if (this.subscribed && this.reachable) void this.resync()
  }

  /** What other instances learned while this one was away (or before it started), still in force. */
  private async resync(): Promise<void> {
    try {
      for (const kind of STORED_KINDS) {
        let cursor = '0'
        do {
          const [next, names] = await this.client.scan(cursor, 'MATCH', `${this.prefix}:${kind}:*`, 'COUNT', 200)
          cursor = next
          for (const value of names.length > 0 ? await this.client.mget(...names) : []) this.readBack(value)
        } while (cursor !== '0')
      }
    } catch {
      // Unreachable again: the next connect reads again.
    }
  }

  private readBack(value: string | null): void {
    try {
      const message = value === null ? undefined : parseEvent(value)
      if (typeof message === 'object') this.hearer.hear(message.event, false)
    } catch {
      // One bad value: the others are read all the same.
    }
  }

  /** A Cluster node refuses the keys of other nodes' slots: most of lmlb's. */
  private warnIfCluster(): void {
    const warning =
      `shared state: Redis at ${this.where} is a Redis Cluster node, which lmlb does not support: ` +
      'most of what it shares would be refused; give it a single server or Sentinel'
    void this.client.info('cluster').then(
      (info) => /cluster_enabled:1/.test(info) && this.warnOnce('cluster', warning),
      () => {},
    )
  }

  /** Live instances: those that beat within three beats (older ones go). */
  private async count(): Promise<void> {
    try {
      const multi = this.client.multi().zremrangebyscore(this.beats, '-inf', Date.now() - 3 * HEARTBEAT_MS)
      const [, [, n]] = (await multi.zcard(this.beats).exec()) as [unknown, [unknown, number]]
      this.counted = n
    } catch {
      // Counted again at the next beat.
    }
  }

  /** Says this instance is here; a Redis connected but not answering is found here, and one that answers again too. */
  private async beat(): Promise<void> {
    try {
      await this.client
        .multi()
        .zadd(this.beats, Date.now(), this.instance)
        .pexpire(this.beats, 3 * HEARTBEAT_MS)
        .exec()
      if (this.client.status === 'ready') this.said(true)
      await this.count()
    } catch (error) {
      if (this.client.status === 'ready') this.said(false, error as Error)
    }
  }
}

/** One connection to the Redis `url` names (a single server, or through Sentinel). */
function connect(url: string): Redis {
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
  return 'url' in target ? new Redis(target.url, options) : new Redis(options)
}
