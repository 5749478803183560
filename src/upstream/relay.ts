/**
 * Hands an upstream stream to the client chunk by chunk as it arrives,
 * with keys scrubbed, an idle watchdog, and an account of how it ended.
 * A stream that breaks after bytes have gone out can no longer change its
 * status: it ends with one last error event instead of a silent cut.
 */
import type { ByteSource } from './byte-stream'

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
  let pending: ReadResult | undefined = first
  let ended = false
  let lastChunkAt = Date.now()
  // One timer, re-armed only when it fires early: no timer churn per chunk.
  let watchdog: ReturnType<typeof setTimeout> | undefined
  const arm = (ms: number) => {
    watchdog = setTimeout(() => {
      const silent = Date.now() - lastChunkAt
      if (silent >= o.idleMs) o.onIdle()
      else arm(o.idleMs - silent)
    }, ms)
  }
  const end = (how: RelayEnd) => {
    if (ended) return
    ended = true
    clearTimeout(watchdog)
    o.onEnd(how)
  }
  arm(o.idleMs)
  return {
    async next() {
      if (ended) return null
      try {
        // Until something goes out: a chunk may be all held back by the scrubber.
        for (;;) {
          const { value, done } = pending ?? (await reader.read())
          pending = undefined
          lastChunkAt = Date.now()
          if (done) {
            const rest = o.scrub.flush()
            end('done')
            return rest.length > 0 ? rest : null
          }
          o.observe?.(value)
          const out = o.scrub.push(value)
          if (out.length > 0) return out
        }
      } catch (error) {
        end('upstream_error')
        return new TextEncoder().encode(o.errorEvent(error))
      }
    },
    cancel(reason) {
      end('client_gone')
      return reader.cancel(reason)
    },
  }
}
