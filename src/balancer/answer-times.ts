/**
 * How long an endpoint usually takes to answer, per kind of call (a
 * stream's first event; a whole answer), as a moving average of its
 * successful calls. An endpoint that hangs now and then is otherwise never
 * blamed: its client gives up first (SDKs time out long before lmlb's
 * 10-minute first-byte bound), and the call ends as "the client left". A
 * client that left after waiting far longer than the endpoint usually takes
 * is evidence against it (proxy/attempt.ts).
 */
const WEIGHT = 0.2
/** Below this many answers, "usually" means nothing yet. */
const SAMPLES = 5
/** A wait counts against the endpoint past this many times its usual answer... */
export const ABANDON_FACTOR = 10
/** ...and past this, whatever its usual answer (a fast endpoint's client that leaves at once says nothing). */
export const ABANDON_MIN_MS = 500

type Kind = 'stream' | 'whole'

export class AnswerTimes {
  private readonly usual = { stream: 0, whole: 0 }
  private readonly count = { stream: 0, whole: 0 }
  /** When it last answered (epoch ms): a connection to it may still be open, kept alive. */
  lastAnsweredAt = 0

  observe(kind: Kind, ms: number): void {
    this.lastAnsweredAt = Date.now()
    this.usual[kind] = this.count[kind] === 0 ? ms : this.usual[kind] + WEIGHT * (ms - this.usual[kind])
    this.count[kind]++
  }

  /** Whether a client that left after `waitedMs` without a byte waited far longer than this endpoint usually takes. */
  abandonedFor(kind: Kind, waitedMs: number): boolean {
    if (this.count[kind] < SAMPLES) return false
    return waitedMs >= Math.max(ABANDON_MIN_MS, ABANDON_FACTOR * this.usual[kind])
  }
}
