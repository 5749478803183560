/**
 * Timeouts for calls in flight, on one shared timer rather than one per
 * call and phase. Deadlines fire within TICK_MS of their time, which is
 * plenty for timeouts counted in seconds.
 *
 * The pending deadlines form a doubly linked list through the deadlines
 * themselves: arming and clearing are a few pointer writes. (A Set of fresh
 * objects cost about 15% of lmlb's passthrough throughput in Bun: JSC must
 * give every new key an identity hash.)
 */
export const TICK_MS = 25

export interface Deadline {
  readonly at: number
  readonly fire: () => void
  prev?: Deadline
  next?: Deadline
  armed: boolean
}

/** Deadlines on one timer: it runs while some are pending, every TICK_MS. */
export class DeadlineTimer {
  private head: Deadline | undefined
  private armed = 0
  private timer: ReturnType<typeof setInterval> | undefined

  after(ms: number, fire: () => void): Deadline {
    const d: Deadline = { at: Date.now() + ms, fire, next: this.head, armed: true }
    if (this.head) this.head.prev = d
    this.head = d
    this.armed++
    if (this.timer === undefined) {
      this.timer = setInterval(() => this.tick(), TICK_MS)
      // Unref'd: a pending deadline alone does not keep the process alive.
      ;(this.timer as { unref?: () => void }).unref?.()
    }
    return d
  }

  cancel(d: Deadline | undefined): void {
    if (d?.armed) this.unlink(d)
  }

  private unlink(d: Deadline): void {
    d.armed = false
    if (d.prev) d.prev.next = d.next
    else this.head = d.next
    if (d.next) d.next.prev = d.prev
    d.prev = d.next = undefined
    this.armed--
  }

  private tick(): void {
    const now = Date.now()
    for (let d = this.head; d; ) {
      const next = d.next
      if (d.at <= now) {
        this.unlink(d)
        d.fire()
      }
      d = next
    }
    if (this.armed === 0) {
      clearInterval(this.timer)
      this.timer = undefined
    }
  }
}

/** The process's one timer for every call's and body's deadlines, as setTimeout's is the process's own. */
const deadlines = new DeadlineTimer()

export function after(ms: number, fire: () => void): Deadline {
  return deadlines.after(ms, fire)
}

export function cancel(d: Deadline | undefined): void {
  deadlines.cancel(d)
}
