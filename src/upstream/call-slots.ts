/**
 * lmlb's bound on upstream calls in flight in this process. A call past it
 * is refused at once (503 `overloaded`, counted as overflow) rather than
 * queued inside the runtime's fetch, where its wait would run down
 * LMLB_CONNECT_TIMEOUT_MS and be charged to a healthy endpoint.
 */
let inFlight = 0
/** What the process itself allows (the runtime's fetch limit, open files); set once at start. */
let processBound = Number.POSITIVE_INFINITY

export function setProcessCallBound(n: number): void {
  processBound = Math.max(1, Math.floor(n))
}

export function callBound(configured: number): number {
  return Math.min(configured, processBound)
}

/** Takes a slot, or returns false when `configured` (capped by the process's own bound) are taken. */
export function takeCallSlot(configured: number): boolean {
  if (inFlight >= callBound(configured)) return false
  inFlight++
  return true
}

export function releaseCallSlot(): void {
  if (inFlight > 0) inFlight--
}
