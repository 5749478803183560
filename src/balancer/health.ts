/**
 * Passive health of one key or endpoint, judged from real traffic.
 * A failure cools the target down (Retry-After when the upstream gave one,
 * else a backoff doubling from 1 s to 60 s); a later failure may extend a
 * cooldown, never shorten it. When it has passed, one request alone probes
 * the target; its success makes it healthy again. A key may also be
 * disabled (balancer/key-failures.ts): out of rotation, whatever its
 * cooldown, until a check or an operator enables it.
 */
export const BACKOFF_MIN_MS = 1_000
export const BACKOFF_MAX_MS = 60_000

export type HealthState = 'healthy' | 'cooling' | 'probing' | 'disabled'

/** Why a key is out of rotation, since when, and who put it there (an operator's disable holds until an operator enables). */
export interface Disablement {
  reason: string
  since: number
  by: 'lmlb' | 'operator'
  /** What the upstream said, keys masked, cut short. */
  detail?: string
}

export interface HealthJSON {
  state: HealthState
  consecutive_failures: number
  cooldown_remaining_ms: number
  /** While a key is disabled: why, since when, by whom. */
  disabled?: { reason: string; since: string; by: Disablement['by'] }
  /** While it is set aside (its spend cap reached): why. */
  set_aside?: string
}

export class Health {
  private coolingUntil = 0
  private failures = 0
  private probing = false
  /** Consecutive failures of a disabling kind (key_policy.disable_after); a success starts again. */
  private strikes = 0
  private off: Disablement | undefined
  /** When it was last enabled: a disable decided before that (another process's, older) no longer holds. */
  private enabledAt = 0
  /** Set aside until a time, for a reason no answer changes (a key's spend cap, until its period resets). */
  private aside: { until: number; reason: string } | undefined

  /** May a new request use this target at `now`? */
  available(now: number): boolean {
    if (this.off || now < this.coolingUntil || (this.aside && now < this.aside.until)) return false
    return this.failures === 0 || !this.probing
  }

  /** Marks the start of a request chosen by `available`: past a cooldown it is the probe. */
  claim(): void {
    if (this.failures > 0) this.probing = true
  }

  succeeded(): void {
    this.failures = 0
    this.strikes = 0
    this.probing = false
    this.coolingUntil = 0
  }

  /** One more failure of a disabling kind in a row: how many now. */
  strike(): number {
    return ++this.strikes
  }

  failed(now: number, retryAfterMs?: number): void {
    this.failures++
    this.probing = false
    const wait = retryAfterMs ?? Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** (this.failures - 1))
    this.coolingUntil = Math.max(this.coolingUntil, now + wait)
  }

  /** Another process saw this target fail: it cools here too until `until`, without counting a failure of ours. */
  adoptCooldown(until: number): void {
    this.coolingUntil = Math.max(this.coolingUntil, until)
  }

  /** When a cooldown set here ends (0: none). */
  cooledUntil(): number {
    return Math.max(this.coolingUntil, this.aside?.until ?? 0)
  }

  /** Out of rotation until `until`, for `reason`; what its answers say does not bring it back sooner. */
  setAside(until: number, reason: string): void {
    this.aside = { until, reason }
  }

  /** Why it is set aside, while it is. */
  asideFor(now: number): string | undefined {
    return this.aside && now < this.aside.until ? this.aside.reason : undefined
  }

  /** The request ended without saying anything of this target (client left, another target failed). */
  released(): void {
    this.probing = false
  }

  /** Out of rotation (here, or by another process at `d.since`: unless it was enabled since). False when that changed nothing. */
  disable(d: Disablement): boolean {
    if (d.since < this.enabledAt || (this.off && (this.off.by === 'operator' || d.by === 'lmlb'))) return false
    this.off = d
    this.probing = false
    return true
  }

  /** Back in rotation at `at`, afresh. False when it was not disabled. */
  enable(at: number): boolean {
    this.enabledAt = Math.max(this.enabledAt, at)
    if (!this.off) return false
    this.off = undefined
    this.failures = this.strikes = 0
    this.coolingUntil = 0
    return true
  }

  /** Why it is disabled, while it is. */
  disabled(): Disablement | undefined {
    return this.off
  }

  /** When the target may serve again (0 when it may now; Infinity while it is disabled). */
  recoversAt(now: number): number {
    if (this.off) return Infinity
    const until = this.cooledUntil()
    return until > now ? until : 0
  }

  state(now: number): HealthState {
    if (this.off) return 'disabled'
    if (now < this.cooledUntil()) return 'cooling'
    return this.probing ? 'probing' : 'healthy'
  }

  toJSON(now = Date.now()): HealthJSON {
    const off = this.off
    return {
      state: this.state(now),
      consecutive_failures: this.failures,
      cooldown_remaining_ms: Math.max(0, this.cooledUntil() - now),
      ...(this.asideFor(now) && { set_aside: this.asideFor(now) }),
      ...(off && { disabled: { reason: off.reason, since: new Date(off.since).toISOString(), by: off.by } }),
    }
  }
}
