/**
 * Timeouts for calls in flight, on one shared timer rather than one per
 * call and phase: arming and clearing a deadline is a Set operation on the
 * hot path. Deadlines fire within TICK_MS of their time, which is plenty for
 * timeouts counted in seconds.
 */
export const TICK_MS = 25

export interface Deadline {
  at: number
  fire: () => void
}

const pending = new Set<Deadline>()
let timer: ReturnType<typeof setInterval> | undefined

function tick(): void {
  const now = Date.now()
  for (const d of pending) {
    if (d.at <= now) {
      pending.delete(d)
      d.fire()
    }
  }
  if (pending.size === 0) {
    clearInterval(timer)
    timer = undefined
  }
}

export function after(ms: number, fire: () => void): Deadline {
  const d = { at: Date.now() + ms, fire }
  pending.add(d)
  // Unref'd: a pending deadline alone does not keep the process alive.
  timer ??= setInterval(tick, TICK_MS)
  ;(timer as { unref?: () => void }).unref?.()
  return d
}

export function cancel(d: Deadline | undefined): void {
  if (d) pending.delete(d)
}
