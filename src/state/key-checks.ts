/**
 * Checks that bring keys back. A key lmlb disabled, or one cooling for
 * longer than its check interval, is checked in the background with its
 * provider's model listing (upstream/key-check.ts), never a completion:
 * per service, on its key_policy.checks interval (jittered, so thousands
 * of keys do not go at once), at most `concurrency` at once, and only one
 * instance checks a given key (the sharing port claims it, in Redis). A
 * pass brings the key back, here and, told through the sharing port, on
 * every process. An operator's disable is never undone by a check.
 */
import type { KeyTarget, ServicePool } from '../balancer/service-pool'
import type { Logger } from '../observability/log'
import { PROVIDERS } from '../providers'
import { checkKey, type CheckFinding } from '../upstream/key-check'
import { COMMON_KEY_RULES, judgeAnswer } from '../upstream/key-verdict'
import type { Hop } from '../upstream/via'
import type { Sharing } from './ports'
import type { ProxyState } from './proxy-state'

export interface KeyChecks {
  /** Checks begin (in the one process of an instance that runs them). */
  start(): void
  /** Checks `key` of `pool` now (an operator asked), and applies what it found. */
  checkNow(pool: ServicePool, key: KeyTarget): Promise<CheckFinding>
  stop(): void
}

export interface KeyCheckParts {
  current: () => ProxyState
  logger: Logger
  sharing: Pick<Sharing, 'keyChanged' | 'claimCheck'>
  hop: Hop
  now?: () => number
  random?: () => number
}

/** How often the scheduler looks for checks due: a quarter of the shortest interval, within these bounds. */
const TICK_MIN_MS = 10
const TICK_MAX_MS = 5_000

export function createKeyChecks(parts: KeyCheckParts): KeyChecks {
  return new Checker(parts)
}

class Checker implements KeyChecks {
  private readonly now: () => number
  private readonly random: () => number
  /** Checks under way, per service. */
  private readonly running = new Map<string, number>()
  private timer: ReturnType<typeof setTimeout> | undefined
  private stopped = false

  constructor(private readonly parts: KeyCheckParts) {
    this.now = parts.now ?? Date.now
    this.random = parts.random ?? Math.random
  }

  start(): void {
    this.schedule(TICK_MIN_MS)
  }

  stop(): void {
    this.stopped = true
    clearTimeout(this.timer)
  }

  checkNow(pool: ServicePool, key: KeyTarget): Promise<CheckFinding> {
    return this.check(pool, key)
  }

  /** Starts the checks now due, within each service's bound, and looks again in a while. */
  private tick(): void {
    const at = this.now()
    let shortest = Infinity
    for (const pool of this.parts.current().pools.values()) {
      const { checks } = pool.service.keyPolicy
      if (!checks.enabled || pool.keys.items.length === 0) continue
      shortest = Math.min(shortest, checks.intervalMs)
      for (const key of pool.keys.items) {
        if ((this.running.get(pool.service.name) ?? 0) >= checks.concurrency) break
        if (!wantsCheck(key, at, checks.intervalMs)) {
          key.check.nextAt = undefined
          continue
        }
        // First seen needing one: the first check is an interval away.
        if (key.check.nextAt === undefined) key.check.nextAt = at + this.jittered(checks.intervalMs)
        if (key.check.nextAt <= at && !key.check.running) void this.background(pool, key)
      }
    }
    if (!this.stopped) this.schedule(Number.isFinite(shortest) ? shortest / 4 : TICK_MAX_MS)
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => this.tick(), Math.min(TICK_MAX_MS, Math.max(TICK_MIN_MS, ms)))
    ;(this.timer as { unref?: () => void }).unref?.()
  }

  /** ±25% around the interval: keys disabled together are checked apart. */
  private jittered(ms: number): number {
    return Math.round(ms * (0.75 + this.random() * 0.5))
  }

  private async background(pool: ServicePool, key: KeyTarget): Promise<void> {
    const service = pool.service.name
    const { intervalMs } = pool.service.keyPolicy.checks
    key.check.running = true
    this.running.set(service, (this.running.get(service) ?? 0) + 1)
    try {
      // Another instance checks it this time: this one waits for the next interval (and hears what it found).
      // Held for less than the shortest jittered interval (0.75 of it): whoever comes next may take it.
      if (await this.parts.sharing.claimCheck(service, key.hash, intervalMs * 0.7)) await this.check(pool, key)
    } catch (error) {
      this.parts.logger.warn(`${service}: the check of key ${key.masked} failed: ${(error as Error).message}`)
    } finally {
      key.check.running = false
      key.check.nextAt = this.now() + this.jittered(intervalMs)
      this.running.set(service, (this.running.get(service) ?? 1) - 1)
    }
  }

  private async check(pool: ServicePool, key: KeyTarget): Promise<CheckFinding> {
    const service = pool.service
    const endpoint = pool.endpoints.items.find((e) => e.health.available(this.now())) ?? pool.endpoints.items[0]
    const { scrubber } = this.parts.current()
    const finding = await checkKey({
      baseUrl: endpoint.url,
      provider: PROVIDERS[service.provider],
      key: key.value,
      headers: service.headers,
      hop: this.parts.hop,
      mask: (t) => scrubber.text(t),
    })
    const at = this.now()
    key.check.last = { at, ok: finding.ok, status: finding.status, message: finding.message }
    this.parts.current().keyEvents.get(service.name)?.checked(finding.ok)
    this.apply(pool, key, finding, at)
    return finding
  }

  /** A pass brings back a key lmlb disabled, or ends a long cooldown; a failure is said, and changes nothing. */
  private apply(pool: ServicePool, key: KeyTarget, finding: CheckFinding, at: number): void {
    const service = pool.service.name
    const { logger } = this.parts
    const disabled = key.health.disabled()
    if (!finding.ok) {
      const said = finding.status === undefined ? finding.message : `${finding.status}`
      // Only a refusal says the key is still bad; a 5xx or a timeout says nothing of it.
      const refused = finding.status !== undefined && isRefusal(pool, finding)
      return logger.info(`${service}: check of key ${key.masked}: ${said}${refused ? ', still refused' : ''}`)
    }
    if (disabled?.by === 'operator') return
    if (disabled) {
      if (!key.health.enable(at)) return
      this.parts.sharing.keyChanged({ service, key: key.value, at, enabledBy: 'check' })
      return logger.warn(
        `${service}: key ${key.masked} enabled: its check passed (disabled ${disabled.reason} since ${iso(disabled.since)})`,
      )
    }
    key.health.succeeded()
    logger.info(`${service}: key ${key.masked}'s check passed: its cooldown ends`)
  }
}

/** Disabled by lmlb (an operator's disable is theirs to end), or cooling for longer than the interval. */
function wantsCheck(key: KeyTarget, now: number, intervalMs: number): boolean {
  const disabled = key.health.disabled()
  if (disabled) return disabled.by === 'lmlb'
  return key.health.cooledUntil() - now > intervalMs
}

function isRefusal(pool: ServicePool, finding: CheckFinding): boolean {
  const service = pool.service
  const verdict = judgeAnswer(
    finding.status!,
    finding.body ?? '',
    service.keyPolicy.rules,
    PROVIDERS[service.provider].keyRules,
    COMMON_KEY_RULES,
  )
  return verdict.kind === 'key_refused'
}

const iso = (ms: number) => new Date(ms).toISOString()
