/**
 * What a request's attempts tell lmlb's figures, fed by events as they
 * happen: each key's and endpoint's counters, the first-byte and duration
 * histograms, the trace spans, the tokens read off the answer, and the
 * request's log line. The flow says what happened; this decides what each
 * figure makes of it.
 */
import type { WireApi } from '../apis'
import type { TargetCounters } from './counters'
import type { RequestRecord } from './request-record'
import { outcomeOf, type Outcome } from '../upstream/verdict'
import type { RequestMetrics } from './request-metrics'
import type { AttemptSpan } from './tracing'
import type { Billed } from './spend'
import { UsageReader } from './usage'

/** Where one attempt goes, as the figures name it. */
export interface AttemptTarget {
  service: string
  /** `gen_ai.provider.name` for its span. */
  provider: string
  model: string
  endpoint: string
  /** The key, masked; null for a keyless service. */
  key: string | null
  /** The API the upstream is spoken to in: where its answer says its usage. */
  api: WireApi
  /** Who is billed: the service, the model as the upstream knows it, the key's id. */
  billed: Billed
  /** The key's and the endpoint's. */
  counters: readonly TargetCounters[]
}

/** How an attempt ended: its answer relayed, broken off, abandoned by the client, or never had. */
export type AttemptEnd = 'done' | 'upstream_error' | 'client_gone' | 'failed'

/** One client request's watch over its attempts. */
export class RequestWatch {
  /** The deployment last tried, even where no call went out (its request could not be made). */
  private tried?: { service: string; model: string }
  private last?: AttemptWatch
  private final?: { attempt: AttemptWatch; status: number }

  constructor(
    readonly record: RequestRecord,
    readonly metrics: RequestMetrics,
    /** Writes the request's log line (once) with its status. */
    private readonly finish: (status: number) => void,
  ) {}

  /** An attempt at `service/model` begins (its request is being made). */
  trying(service: string, model: string): void {
    this.tried = { service, model }
    this.last = undefined
  }

  /** Its call goes out to `target`. */
  attempt(target: AttemptTarget): AttemptWatch {
    this.last = new AttemptWatch(this, target)
    return this.last
  }

  /** The client gets `attempt`'s answer with `status`; the request is over when that attempt is (a stream: at its end). */
  answered(attempt: AttemptWatch, status: number): void {
    this.final = { attempt, status }
    this.record.billed = attempt.target.billed
    if (attempt.ended) this.over()
    // A stream's line is written at its end; the edge writes any other when the flow returns.
    this.record.pending = attempt.ended === undefined
  }

  /** No attempt answered (each failed, or none could be made): the request counts against the last one tried. */
  failed(status: number): void {
    if (this.last) this.answered(this.last, status)
    else this.record.tried = this.tried
  }

  /** Told by an attempt as it ends. */
  attemptEnded(attempt: AttemptWatch): void {
    if (this.final?.attempt === attempt) this.over()
  }

  private over(): void {
    const { attempt, status } = this.final!
    const { target, ended } = attempt
    const outcome: Outcome = ended!.how === 'upstream_error' || ended!.how === 'failed' ? 'error' : outcomeOf(status)
    this.metrics.duration.observe(target.service, target.model, outcome, (ended!.at - this.record.start) / 1000)
    this.finish(status)
  }
}

/** One attempt's events, in the order they come: started (constructed), answered or failed, chunks seen, ended. */
export class AttemptWatch {
  readonly started = performance.now()
  ended?: { at: number; how: AttemptEnd }
  private readonly log: { key: string | null; endpoint: string; outcome: string }
  private readonly span?: AttemptSpan
  private readonly usage: UsageReader

  constructor(
    private readonly request: RequestWatch,
    readonly target: AttemptTarget,
  ) {
    for (const c of target.counters) c.start()
    this.usage = new UsageReader(target.api === 'gemini' ? 'gemini' : 'openai-anthropic')
    const { record } = request
    this.log = { key: target.key, endpoint: target.endpoint, outcome: 'pending' }
    record.attempts.push(this.log)
    if (record.bodies) record.completion = ''
    this.span = record.span?.attempt({
      service: target.service,
      provider: target.provider,
      model: target.model,
      endpoint: target.endpoint,
      key: target.key,
    })
  }

  /** The upstream answered `status` (a stream: its first chunk came). */
  answered(status: number): void {
    this.firstByte(outcomeOf(status), String(status))
  }

  /** It could not be reached, or did not answer in time. */
  failed(kind: string): void {
    this.firstByte('error', kind)
  }

  /** Part of the answer went by: a whole body, or one stream chunk. */
  readonly saw = (body: string | Uint8Array): void => {
    this.usage.read(body)
    if (this.request.record.bodies) this.request.record.addCompletion(body)
  }

  /** The call is over. */
  readonly end = (how: AttemptEnd): void => {
    this.ended = { at: performance.now(), how }
    const tokens = this.usage.totals()
    this.request.record.tokens = tokens
    for (const c of this.target.counters) {
      c.finish(this.ended.at - this.started)
      c.addTokens(tokens)
      if (how === 'upstream_error') c.fail('stream')
    }
    this.request.attemptEnded(this)
    this.endSpan()
  }

  private firstByte(outcome: Outcome, said: string): void {
    const now = performance.now()
    this.request.metrics.firstByte.observe(this.target.service, this.target.model, outcome, (now - this.started) / 1000)
    this.log.outcome = said
    this.request.record.ttfbMs = now - this.request.record.start
    this.endSpan()
  }

  /** The span ends once the call is over and its outcome known, in whichever order the two come. */
  private endSpan(): void {
    if (!this.span || !this.ended || this.log.outcome === 'pending') return
    this.span.end(this.ended.how === 'upstream_error' ? 'stream_broken' : this.log.outcome, Number(this.log.outcome) || undefined)
  }
}

/** A call refused before it went out (lmlb's bound on upstream calls): never the target's fault, counted apart. */
export function overflowed(counters: readonly TargetCounters[]): void {
  for (const c of counters) c.overflow++
}
