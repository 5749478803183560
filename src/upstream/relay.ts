/**
 * Hands an upstream stream to the client chunk by chunk as it arrives,
 * with keys scrubbed, an idle watchdog, and an account of how it ended.
 * A stream that breaks after bytes have gone out can no longer change its
 * status: it ends with one last error event instead of a silent cut.
 */
import type { ByteSource } from './byte-stream'
import { watchGaps } from './watch-gaps'

export type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>

export type RelayEnd = 'done' | 'upstream_error' | 'client_gone'

export interface RelayOptions {
  idleMs: number
  /** Called when the upstream has been silent for idleMs; expected to abort it. */
  onIdle: () => void
  scrub: { push(chunk: Uint8Array): Uint8Array; flush(): Uint8Array }
  observe?: (chunk: Uint8Array) => void
  errorEvent: (error: unknown) => string
  onEnd: (how: RelayEnd) => void
}

export function relay(reader: ReadableStreamDefaultReader<Uint8Array>, first: ReadResult, o: RelayOptions): ByteSource {
  return new Relay(reader, first, o)
}

class Relay implements ByteSource {
  private pending: ReadResult | undefined
  private ended = false
  /** On the shared deadline timer, moved on only when it fires early: nothing armed per chunk. */
  private readonly silence

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    first: ReadResult,
    private readonly o: RelayOptions,
  ) {
    this.pending = first
    this.silence = watchGaps(o.idleMs, o.onIdle)
  }

  /** Until something goes out: a chunk may be all held back by the scrubber. */
  async next(): Promise<Uint8Array | null> {
    if (this.ended) return null
    const { o } = this
    try {
      for (;;) {
        const { value, done } = this.pending ?? (await this.reader.read())
        this.pending = undefined
        this.silence.saw()
        if (done) {
          const rest = o.scrub.flush()
          this.end('done')
          return rest.length > 0 ? rest : null
        }
        o.observe?.(value)
        const out = o.scrub.push(value)
        if (out.length > 0) return out
      }
    } catch (error) {
      this.end('upstream_error')
      return new TextEncoder().encode(o.errorEvent(error))
    }
  }

  cancel(reason?: unknown): Promise<void> {
    this.end('client_gone')
    // A stream that already broke refuses a cancel: nothing is left to stop.
    return this.reader.cancel(reason).catch(() => {})
  }

  private end(how: RelayEnd): void {
    if (this.ended) return
    this.ended = true
    this.silence.stop()
    this.o.onEnd(how)
  }
}
