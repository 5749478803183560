/**
 * Whose fault a key's refusal is. A key refused (invalid, revoked, out of
 * credit...) is struck, and disabled after its service's `disable_after`
 * strikes in a row. But when every key of one endpoint is refused the same
 * way, one after another with no success there in between (a WAF, a
 * blocked server IP, a regional outage), the endpoint is to blame: the keys
 * this run of refusals disabled come back, the endpoint cools, and no key
 * is disabled for it while the run lasts (until the endpoint serves a
 * request or refuses otherwise). "Every key" is every key that was in
 * rotation when the run began, or ten of them in a larger pool; so the
 * last key of a pool is never disabled for a refusal another key shared,
 * and a pool whose other keys serve loses only its dead ones.
 */
/** Refusals further apart than this are not one run (while the endpoint is blamed, its cooldown spaces them: they stay one). */
export const SHARED_WINDOW_MS = 300_000
/** In a pool larger than this, so many distinct keys refused alike in a row are the endpoint's doing. */
export const SHARED_RUN_KEYS = 10

export type Blame<Key> =
  | { on: 'key' }
  /** `found`: this refusal showed it (say so once); `restore`: keys the run disabled before it was found. */
  | { on: 'endpoint'; found: boolean; restore: Key[] }

/** One endpoint's current run of refusals: the same status and reason, key after key, no success between. */
export class Refusals<Key> {
  private signature = ''
  private lastAt = -Infinity
  private readonly keys = new Set<Key>()
  private disabledInRun: Key[] = []
  private shared = false

  /**
   * `key` was refused here for `signature` (status and reason).
   * `inRotation`: how many of the pool's keys are not disabled now (asked
   * only from the second key of a run on).
   */
  refused(key: Key, signature: string, now: number, inRotation: () => number): Blame<Key> {
    if (signature !== this.signature || (!this.shared && now - this.lastAt > SHARED_WINDOW_MS)) this.restart(signature)
    this.lastAt = now
    this.keys.add(key)
    if (this.shared) return { on: 'endpoint', found: false, restore: [] }
    const seen = this.keys.size
    // The keys this run disabled were in rotation when it began.
    if (seen < 2 || seen < Math.min(SHARED_RUN_KEYS, inRotation() + this.disabledInRun.length)) return { on: 'key' }
    this.shared = true
    const restore = this.disabledInRun
    this.disabledInRun = []
    return { on: 'endpoint', found: true, restore }
  }

  /** While the endpoint is blamed: the refusal (status and reason) every key got there. */
  blamed(): string | undefined {
    return this.shared ? this.signature : undefined
  }

  /** A key of this run was disabled: it comes back if the run turns out to be the endpoint's. */
  disabled(key: Key): void {
    this.disabledInRun.push(key)
  }

  /** The endpoint served a request: whatever comes next is a new run. */
  answered(): void {
    if (this.lastAt !== -Infinity) this.restart('')
  }

  private restart(signature: string): void {
    this.signature = signature
    this.lastAt = -Infinity
    this.keys.clear()
    this.disabledInRun = []
    this.shared = false
  }
}
