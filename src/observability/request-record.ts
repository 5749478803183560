/**
 * One client request as the log tells it, in one line when it is over (a
 * stream: at its last byte): its id, the API and path, the model asked for
 * and what served it, each attempt's masked key, endpoint and outcome, the
 * status, time to first byte and in all, tokens, and whether it streamed.
 * Prompt and completion text only with LOG_BODIES, keys masked.
 *
 * The edge (http/edge.ts) makes it and hands it to the flow; the flow's
 * attempts fill it in (attempt-record.ts).
 */
import { byteText } from '../util/byte-text'
import type { Tokens } from './cost'
import type { Logger } from './log'
import type { Billed } from './spend'
import type { RequestSpan } from './tracing'

/** Enough of a completion to read; a long stream is cut here. */
const MAX_LOGGED_CHARS = 65_536

export interface AttemptLog {
  key: string | null
  endpoint: string
  /** The upstream's status, or how the attempt failed (`timeout`, `connect`). */
  outcome: string
}

export class RequestRecord {
  readonly start = performance.now()
  model?: string
  stream = false
  readonly attempts: AttemptLog[] = []
  ttfbMs?: number
  tokens?: Tokens
  /** Where it was served (the last attempt's target), for what it spent. */
  billed?: Billed
  /** The deployment last tried, where no attempt answered and none went out (its request could not be made). */
  tried?: { service: string; model: string }
  /** The client key's id, where lmlb takes proxy keys. */
  clientKey?: string
  /** Told of the request when it is over: what it spent, and its record to keep (state/usage-ledger.ts). */
  sink?: { finished(record: RequestRecord, status: number): void }
  prompt?: string
  completion = ''
  /** The proxy will finish it when its stream ends. */
  pending = false
  /** Its trace span, when tracing is on. */
  span?: RequestSpan
  /** Called once when the request is over (a limited client key's budget is released). */
  onFinish?: () => void
  private written = false

  constructor(
    readonly id: string,
    readonly api: string,
    readonly method: string,
    readonly path: string,
    /** LOG_BODIES: prompt and completion text are kept (masked when written). */
    readonly bodies: boolean,
  ) {}

  /** The deployment that served it, or that was last tried: `service/model`. */
  get served(): string | undefined {
    const deployment = this.billed ?? this.tried
    return deployment && servedName(deployment)
  }

  /** What the client asked for: its model, whether it streams, and (with LOG_BODIES) its prompt. */
  asked(model: string, stream: boolean, prompt: () => string): void {
    this.model = model
    this.stream = stream
    if (this.bodies) this.prompt = prompt()
  }

  addCompletion(chunk: string | Uint8Array): void {
    if (this.completion.length < MAX_LOGGED_CHARS)
      this.completion += (typeof chunk === 'string' ? chunk : byteText(chunk)).slice(0, MAX_LOGGED_CHARS - this.completion.length)
  }

  finish(status: number, logger: Logger, mask: (text: string) => string): void {
    if (this.written) return
    this.written = true
    this.onFinish?.()
    this.sink?.finished(this, status)
    // `served` is made only where it is read: a span, and the line below.
    this.span?.end({ status, model: this.model, served: this.served, tokens: this.tokens })
    if (!logger.enabled('info')) return
    const served = this.served
    const ms = (n: number | undefined) => (n === undefined ? null : tenths(n))
    const fields = {
      request_id: this.id,
      api: this.api,
      method: this.method,
      path: this.path,
      model: this.model ?? null,
      served: served ?? null,
      status,
      ttfb_ms: ms(this.ttfbMs),
      duration_ms: ms(performance.now() - this.start),
      tokens_in: this.tokens?.input ?? 0,
      tokens_out: this.tokens?.output ?? 0,
      tokens_cached: this.tokens?.cacheRead ?? 0,
      stream: this.stream,
      attempts: this.attempts,
      ...(this.bodies && { prompt: mask(this.prompt ?? ''), completion: mask(this.completion) }),
    }
    const tried = this.attempts.map((a) => `${a.key ?? '-'}@${a.endpoint} ${a.outcome}`).join(', ')
    const text =
      `${this.id} ${this.api} ${this.method} ${this.path} ${this.model ?? '-'} → ${served ?? '-'} ${status} ` +
      `ttfb=${fields.ttfb_ms ?? '-'}ms total=${fields.duration_ms}ms tokens=${fields.tokens_in}/${fields.tokens_out} cached=${fields.tokens_cached}` +
      `${this.stream ? ' stream' : ''}${tried ? ` [${tried}]` : ''}` +
      (this.bodies ? ` prompt=${JSON.stringify(fields.prompt)} completion=${JSON.stringify(fields.completion)}` : '')
    logger.record(text, fields)
  }
}

/** A duration in ms to its tenth, as the log line and the kept record give it. */
export const tenths = (ms: number) => Math.round(ms * 10) / 10

/** What served a request, by name: `service/model` (a service's name has no slash). */
export const servedName = (deployment: { service: string; model: string }) => `${deployment.service}/${deployment.model}`

/** A request id: the client's own `x-request-id` when it is a sane one, else a new one. */
export function requestIdOf(headers: Headers): string {
  const given = headers.get('x-request-id')
  return given && /^[\x21-\x7e]{1,128}$/.test(given) ? given : crypto.randomUUID()
}
