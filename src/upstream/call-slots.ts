/**
 * lmlb's bound on upstream calls in flight in this process. A call past it
 * is refused at once (503 `overloaded`, counted as overflow) rather than
 * queued inside the runtime's fetch, where its wait would run down
 * LMLB_CONNECT_TIMEOUT_MS and be charged to a healthy endpoint.
 */
export class CallSlots {
  private inFlight = 0
  /** What the process itself allows (the runtime's fetch limit, open files). */
  private readonly processBound: number

  constructor(processBound = Number.POSITIVE_INFINITY) {
    this.processBound = Math.max(1, Math.floor(processBound))
  }

  /** The bound in force: the configured one, capped by the process's own. */
  bound(configured: number): number {
    return Math.min(configured, this.processBound)
  }

  /** Takes a slot, or returns false when the bound's slots are all taken. */
  take(configured: number): boolean {
    if (this.inFlight >= this.bound(configured)) return false
    this.inFlight++
    return true
  }

  release(): void {
    if (this.inFlight > 0) this.inFlight--
  }
}
