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
import { concatBytes } from '../util/concat-bytes'
import { cancel, after } from './deadlines'
import { clientHeaders } from './headers'
import type { ByteSource } from './byte-stream'
import { relay, type ReadResult, type RelayEnd } from './relay'

/** Not reached; no answer in time; or a stream that ended before any event (a 200 with nothing in it). */
export type FailureKind = 'connect' | 'timeout' | 'empty'

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
  /** The upstream answered a while ago: a kept-alive connection to it may have been closed since (sent again once if so). */
  mayBeStale?: boolean
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

export function send(o: SendOptions): Promise<UpstreamAnswer> {
  return new UpstreamCall(o).answer()
}

/** One call's abort (lmlb's timeouts and the client leaving), the deadlines that fire it, and its end, told once. */
class UpstreamCall {
  private readonly abort = new AbortController()
  private ended = false
  /** A non-streaming call is bounded as a whole; a stream's length is the model's business. */
  private readonly total

  constructor(private readonly o: SendOptions) {
    // The client leaving aborts the call too (cheaper than AbortSignal.any on every request).
    if (o.clientSignal.aborted) this.handleEvent()
    // No `once` option: a signal aborts once, and the options object costs every call.
    else o.clientSignal.addEventListener('abort', this)
    this.total = o.streaming ? undefined : this.deadline(o.limits.totalTimeoutMs, 'no complete answer', 'LMLB_TOTAL_TIMEOUT_MS')
  }

  /** The client's signal fired. */
  handleEvent(): void {
    this.abort.abort(this.o.clientSignal.reason)
  }

  async answer(): Promise<UpstreamAnswer> {
    const response = await this.head()
    const headers = clientHeaders(response.headers, (v) => this.o.scrubber.text(v))
    const isSse = response.ok && (headers.get('content-type')?.includes('text/event-stream') ?? false)
    // A whole answer (or an error): read it all, so it can be scrubbed and retried.
    if (!isSse || !response.body) return this.whole(response, headers)
    return this.stream(response, response.body, headers)
  }

  private async head(): Promise<Response> {
    const { o } = this
    const head = o.streaming
      ? this.deadline(o.limits.connectTimeoutMs, 'no response head', 'LMLB_CONNECT_TIMEOUT_MS')
      : this.deadline(o.limits.firstByteTimeoutMs, 'no answer', 'LMLB_FIRST_BYTE_TIMEOUT_MS')
    try {
      return await this.call(true).catch((error) =>
        // A kept-alive connection the upstream had closed: Bun's fetch does not send a POST again; lmlb does, once, on a new one.
        this.abort.signal.aborted || !o.mayBeStale || !isStaleConnection(error) ? Promise.reject(error) : this.call(false),
      )
    } catch (error) {
      cancel(this.total)
      throw this.failed(error, `could not reach ${o.url}`)
    } finally {
      cancel(head)
    }
  }

  private call(reuse: boolean): Promise<Response> {
    const { o } = this
    // `timeout: false` turns off Bun's own 5-minute fetch limit: lmlb's timers govern. `keepalive: false`: a connection of its own.
    return fetch(o.url, {
      method: 'POST',
      headers: o.headers,
      body: o.body,
      signal: this.abort.signal,
      timeout: false,
      ...(!reuse && { keepalive: false }),
    } as RequestInit)
  }

  private async whole(response: Response, headers: Headers): Promise<UpstreamAnswer> {
    const { o } = this
    const first = this.deadline(o.limits.firstByteTimeoutMs, 'no answer body', 'LMLB_FIRST_BYTE_TIMEOUT_MS')
    try {
      // Bytes, not text: nothing is decoded or encoded again unless a key must be masked.
      const bytes = await response.bytes()
      const text = byteText(bytes)
      o.observe?.(text)
      this.end('done')
      const body = response.status === 204 ? undefined : o.scrubber.bytes(bytes, text)
      return { status: response.status, statusText: response.statusText, headers, bytes: body }
    } catch (error) {
      throw this.failed(error, `the answer from ${o.url} broke off`)
    } finally {
      cancel(first)
      cancel(this.total)
    }
  }

  /**
   * A stream: its first event is waited for before committing to this
   * upstream (comments and blank lines before it, as some upstreams send
   * while they wait, are held and go with it). One that ends before any
   * event is a failure: retried elsewhere, never an empty success.
   */
  private async stream(response: Response, body: ReadableStream<Uint8Array>, headers: Headers): Promise<UpstreamAnswer> {
    const { o } = this
    const reader = body.getReader()
    const firstByte = this.deadline(o.limits.firstByteTimeoutMs, 'no first event', 'LMLB_FIRST_BYTE_TIMEOUT_MS')
    const held: Uint8Array[] = []
    let first: ReadResult
    try {
      for (first = await reader.read(); !first.done && noEvent(first.value); first = await reader.read()) held.push(first.value)
    } catch (error) {
      throw this.failed(error, `the stream from ${o.url} broke before its first event`)
    } finally {
      cancel(firstByte)
    }
    if (first.done) {
      void reader.cancel().catch(() => {})
      throw this.failed(new UpstreamFailure('empty', `the stream from ${o.url} ended before its first event`), '')
    }
    if (held.length > 0) first = { done: false, value: concatBytes([...held, first.value]) }
    const source = relay(reader, first, {
      idleMs: o.limits.idleTimeoutMs,
      onIdle: () =>
        this.abort.abort(new UpstreamFailure('timeout', `upstream silent for ${o.limits.idleTimeoutMs} ms (LMLB_IDLE_TIMEOUT_MS)`)),
      scrub: o.scrubber.stream(),
      observe: o.observe,
      errorEvent: (error) => o.errorEvent(this.reasonOf(error)),
      onEnd: (how) => this.end(how),
    })
    return { status: response.status, statusText: response.statusText, headers, source }
  }

  /** Aborts the call once `ms` pass; the message is built only if it does. */
  private deadline(ms: number, what: string, variable: string) {
    return after(ms, () => this.abort.abort(new UpstreamFailure('timeout', `${what} from ${this.o.url} within ${ms} ms (${variable})`)))
  }

  private end(how: RelayEnd | 'failed'): void {
    if (this.ended) return
    this.ended = true
    this.o.onEnd(how)
  }

  /** The call is over, failed: what went wrong, preferring lmlb's own timeout reason over fetch's generic abort message. */
  private failed(error: unknown, context: string): Error {
    this.end('failed')
    if (error instanceof UpstreamFailure) return error
    const { signal } = this.abort
    if (signal.aborted && signal.reason instanceof UpstreamFailure) return signal.reason
    if (signal.aborted) return signal.reason instanceof Error ? signal.reason : new Error('aborted')
    return new UpstreamFailure('connect', `${context}: ${(error as Error).message}`)
  }

  private reasonOf(error: unknown): string {
    const { signal } = this.abort
    if (signal.aborted && signal.reason instanceof UpstreamFailure) return signal.reason.message
    return `upstream stream failed: ${(error as Error)?.message ?? error}`
  }
}

/** Whether a chunk holds no event: only blank lines and comments (`: ...`), as an upstream sends while it waits. */
function noEvent(chunk: Uint8Array): boolean {
  // Nearly every first chunk begins with a field (`data:`, `event:`): one byte says so.
  for (let i = 0; i < chunk.length; ) {
    const c = chunk[i]
    if (c === 0x0a || c === 0x0d) i++
    else if (c !== 0x3a) return false
    else {
      const end = chunk.indexOf(0x0a, i)
      if (end < 0) return true
      i = end + 1
    }
  }
  return true
}

/** The error a request meets on a connection closed under it before any answer: Bun says ECONNRESET, Deno "connection reset" / "closed". */
function isStaleConnection(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | null
  if (e?.code === 'ECONNRESET' || e?.code === 'EPIPE' || e?.code === 'ConnectionClosed') return true
  return typeof e?.message === 'string' && /connection (was )?(reset|closed)|broken pipe/i.test(e.message)
}
