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

let head: Deadline | undefined
let armed = 0
let timer: ReturnType<typeof setInterval> | undefined

function unlink(d: Deadline): void {
  d.armed = false
  if (d.prev) d.prev.next = d.next
  else head = d.next
  if (d.next) d.next.prev = d.prev
  d.prev = d.next = undefined
  armed--
}

function tick(): void {
  const now = Date.now()
  for (let d = head; d; ) {
    const next = d.next
    if (d.at <= now) {
      unlink(d)
      d.fire()
    }
    d = next
  }
  if (armed === 0) {
    clearInterval(timer)
    timer = undefined
  }
}

export function after(ms: number, fire: () => void): Deadline {
  const d: Deadline = { at: Date.now() + ms, fire, next: head, armed: true }
  if (head) head.prev = d
  head = d
  armed++
  if (timer === undefined) {
    timer = setInterval(tick, TICK_MS)
    // Unref'd: a pending deadline alone does not keep the process alive.
    ;(timer as { unref?: () => void }).unref?.()
  }
  return d
}

export function cancel(d: Deadline | undefined): void {
  if (d?.armed) unlink(d)
}
