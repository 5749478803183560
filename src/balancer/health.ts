/**
 * Passive health of one key or endpoint, judged from real traffic.
 * A failure cools the target down (Retry-After when the upstream gave one,
 * else a backoff doubling from 1 s to 60 s); a later failure may extend a
 * cooldown, never shorten it. When it has passed, one request alone probes
 * the target; its success makes it healthy again. A key refused with
 * 401/403 is set aside until the next configuration load.
 */
export const BACKOFF_MIN_MS = 1_000
export const BACKOFF_MAX_MS = 60_000

export type HealthState = 'healthy' | 'cooling' | 'probing' | 'invalid'

export class Health {
  private coolingUntil = 0
  private failures = 0
  private probing = false
  private invalid = false
  /** When it was set aside, and when a new configuration last forgave it (another process's older verdict no longer holds). */
  private invalidAt = 0
  private forgivenAt = 0

  /** May a new request use this target at `now`? */
  available(now: number): boolean {
    if (this.invalid || now < this.coolingUntil) return false
    return this.failures === 0 || !this.probing
  }

  /** Marks the start of a request chosen by `available`: past a cooldown it is the probe. */
  claim(): void {
    if (this.failures > 0) this.probing = true
  }

  succeeded(): void {
    this.failures = 0
    this.probing = false
    this.coolingUntil = 0
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
    return this.coolingUntil
  }

  /** The request ended without saying anything of this target (client left, another target failed). */
  released(): void {
    this.probing = false
  }

  /** A new configuration gives a key refused as invalid another chance. */
  forgiveInvalid(now = Date.now()): void {
    this.invalid = false
    this.forgivenAt = now
  }

  /** Set aside at `at` (here, or by another process at that time: unless this configuration came later). */
  setInvalid(at: number): void {
    if (at < this.forgivenAt) return
    this.invalid = true
    this.invalidAt = Math.max(this.invalidAt, at)
    this.probing = false
  }

  /** When it was set aside (while it is). */
  setAsideAt(): number {
    return this.invalidAt
  }

  /** When the target may serve again (0 when it may now; Infinity when never, until reload). */
  recoversAt(now: number): number {
    if (this.invalid) return Infinity
    return this.coolingUntil > now ? this.coolingUntil : 0
  }

  state(now: number): HealthState {
    if (this.invalid) return 'invalid'
    if (now < this.coolingUntil) return 'cooling'
    return this.probing ? 'probing' : 'healthy'
  }

  toJSON(now = Date.now()): { state: HealthState; consecutive_failures: number; cooldown_remaining_ms: number } {
    return {
      state: this.state(now),
      consecutive_failures: this.failures,
      cooldown_remaining_ms: Math.max(0, this.coolingUntil - now),
    }
  }
}
