/**
 * One outbound call with lmlb's timeouts, the client's abort, and the key
 * scrubber. It resolves once the answer is safe to hand over: for a stream,
 * after its first chunk (so a failure before any byte can still be retried
 * elsewhere), with the relay's chunks as a byte source; otherwise with the
 * whole body read.
 */
import type { Limits } from '../config/schema'
import type { Scrubber } from '../observability/scrub'
import { byteText } from '../util/byte-text'
import { cancel, after } from './deadlines'
import { clientHeaders } from './headers'
import type { ByteSource } from './byte-stream'
import { relay, type ReadResult, type RelayEnd } from './relay'

export type FailureKind = 'connect' | 'timeout'

/** The upstream could not be reached or did not answer in time. */
export class UpstreamFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
  ) {
    super(message)
  }
}

export interface SendOptions {
  url: string
  headers: Record<string, string>
  body: string | Uint8Array
  /** The client asked for a stream. */
  streaming: boolean
  limits: Limits
  clientSignal: AbortSignal
  scrubber: Scrubber
  /** The error event a broken stream ends with, in the upstream's format (translation carries it over). */
  errorEvent: (message: string) => string
  /** Called once when the attempt is over: body relayed, failed, or abandoned. */
  onEnd: (how: RelayEnd | 'failed') => void
  /** Sees the answer as it passes: a whole body (as util/byte-text's view of it), or each stream chunk. */
  observe?: (body: string | Uint8Array) => void
}

/** What an upstream answered, safe to hand over. */
export interface UpstreamAnswer {
  status: number
  statusText: string
  /** As the client may see them: hop-by-hop headers and those of a decoded body gone, keys masked. */
  headers: Headers
  /** A whole answer's body, keys masked; none for a 204. */
  bytes?: Uint8Array
  /** A stream's chunks as they come, keys masked: passed on as they are, or read by a translation. */
  source?: ByteSource
}

export async function send(o: SendOptions): Promise<UpstreamAnswer> {
  const abort = new AbortController()
  const signal = abort.signal
  // The client leaving aborts the call too (cheaper than AbortSignal.any on every request).
  const clientGone = () => abort.abort(o.clientSignal.reason)
  if (o.clientSignal.aborted) clientGone()
  else o.clientSignal.addEventListener('abort', clientGone, { once: true })
  const { limits } = o
  let ended = false
  const end = (how: RelayEnd | 'failed') => {
    if (!ended) {
      ended = true
      o.onEnd(how)
    }
  }
  // The message is built only if the deadline fires.
  const deadline = (ms: number, what: string, variable: string) =>
    after(ms, () => abort.abort(new UpstreamFailure('timeout', `${what} from ${o.url} within ${ms} ms (${variable})`)))

  // Non-streaming calls are bounded as a whole; a stream's length is the model's business.
  const total = o.streaming ? undefined : deadline(limits.totalTimeoutMs, 'no complete answer', 'LMLB_TOTAL_TIMEOUT_MS')
  const head = o.streaming
    ? deadline(limits.connectTimeoutMs, 'no response head', 'LMLB_CONNECT_TIMEOUT_MS')
    : deadline(limits.firstByteTimeoutMs, 'no answer', 'LMLB_FIRST_BYTE_TIMEOUT_MS')

  let response: Response
  try {
    // `timeout: false` turns off Bun's own 5-minute fetch limit: lmlb's timers govern.
    response = await fetch(o.url, { method: 'POST', headers: o.headers, body: o.body, signal, timeout: false } as RequestInit)
  } catch (error) {
    cancel(total)
    end('failed')
    throw failureOf(error, signal, `could not reach ${o.url}`)
  } finally {
    cancel(head)
  }

  const headers = clientHeaders(response.headers, (v) => o.scrubber.text(v))
  const isSse = response.ok && (headers.get('content-type')?.includes('text/event-stream') ?? false)
  if (!isSse || !response.body) {
    // A whole answer (or an error): read it all, so it can be scrubbed and retried.
    const first = deadline(limits.firstByteTimeoutMs, 'no answer body', 'LMLB_FIRST_BYTE_TIMEOUT_MS')
    try {
      // Bytes, not text: nothing is decoded or encoded again unless a key must be masked.
      const bytes = await response.bytes()
      const text = byteText(bytes)
      o.observe?.(text)
      end('done')
      const body = response.status === 204 ? undefined : o.scrubber.bytes(bytes, text)
      return { status: response.status, statusText: response.statusText, headers, bytes: body }
    } catch (error) {
      end('failed')
      throw failureOf(error, signal, `the answer from ${o.url} broke off`)
    } finally {
      cancel(first)
      cancel(total)
    }
  }

  // A stream: wait for its first chunk before committing to this upstream.
  const reader = response.body.getReader()
  const firstByte = deadline(limits.firstByteTimeoutMs, 'no first event', 'LMLB_FIRST_BYTE_TIMEOUT_MS')
  let first: ReadResult
  try {
    first = await reader.read()
  } catch (error) {
    end('failed')
    throw failureOf(error, signal, `the stream from ${o.url} broke before its first event`)
  } finally {
    cancel(firstByte)
  }
  const source = relay(reader, first, {
    idleMs: limits.idleTimeoutMs,
    onIdle: () => abort.abort(new UpstreamFailure('timeout', `upstream silent for ${limits.idleTimeoutMs} ms (LMLB_IDLE_TIMEOUT_MS)`)),
    scrub: o.scrubber.stream(),
    observe: o.observe,
    errorEvent: (error) => o.errorEvent(reasonOf(error, signal)),
    onEnd: end,
  })
  return { status: response.status, statusText: response.statusText, headers, source }
}

/** What went wrong, preferring our own timeout reason over fetch's generic abort message. */
function failureOf(error: unknown, signal: AbortSignal, context: string): Error {
  if (signal.aborted && signal.reason instanceof UpstreamFailure) return signal.reason
  if (signal.aborted) return signal.reason instanceof Error ? signal.reason : new Error('aborted')
  return new UpstreamFailure('connect', `${context}: ${(error as Error).message}`)
}

function reasonOf(error: unknown, signal: AbortSignal): string {
  if (signal.aborted && signal.reason instanceof UpstreamFailure) return signal.reason.message
  return `upstream stream failed: ${(error as Error)?.message ?? error}`
}
