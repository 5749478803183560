/**
 * One try at a target: the request prepared for its deployment, lmlb's
 * bound on calls in flight, the headers with the chosen key, the call
 * itself, and every event of it told to the request's watch (counters,
 * spans, first byte, tokens, the log line).
 */
import { errorEvent } from '../apis'
import { SequenceWatch } from '../apis/openai-responses/errors'
import type { Choice, Deployment } from '../balancer/choosers'
import { ProxyError } from '../errors'
import { overflowed, type AttemptWatch, type RequestWatch } from '../observability/attempt-record'
import { PROVIDERS } from '../providers'
import type { ProxyState } from '../state/proxy-state'
import type { Runtime } from '../state/runtime'
import type { WayBack } from '../translation/pairs'
import { upstreamHeaders } from '../upstream/headers'
import { send, UpstreamFailure, type UpstreamAnswer } from '../upstream/send'
import { byteText } from '../util/byte-text'
import { own } from '../util/own'
import type { Inbound } from './parse'
import { madeUpstreamWatch } from './kept-responses'
import { prepare, type Outbound } from './prepare'

/** An answer from one target, the way back for it, and the attempt's watch (the request's duration ends with it). */
export interface Attempted {
  answer: UpstreamAnswer
  back?: WayBack
  watch: AttemptWatch
}

export function attempts(runtime: Runtime, state: ProxyState, request: Request, inbound: Inbound, watch: RequestWatch) {
  const { config, scrubber } = state
  const q = request.url.indexOf('?')
  // The client's query goes on, but a Gemini call's (its `key`, its `alt=sse`: lmlb's path says that itself).
  const search = q < 0 || inbound.endpoint.modelInPath ? '' : request.url.slice(q)
  // Prepared once per deployment: a retry on the same one sends the same body.
  let prepared: { deployment: Deployment; outbound: Outbound } | undefined
  return async (choice: Choice): Promise<Attempted> => {
    const { deployment, target } = choice
    const service = deployment.pool.service
    watch.trying(service.name, deployment.model)
    if (prepared?.deployment !== deployment) prepared = { deployment, outbound: prepare(inbound, deployment, config, runtime.streams) }
    const { outbound } = prepared
    const counters = target.key ? [target.key.counters, target.endpoint.counters] : [target.endpoint.counters]
    // Past lmlb's bound: refused now, not queued where the wait would be charged to the endpoint.
    if (!runtime.calls.take(config.limits.maxUpstreamCalls)) {
      overflowed(counters)
      const bound = runtime.calls.bound(config.limits.maxUpstreamCalls)
      const message = `lmlb is at its bound of ${bound} upstream calls in flight (LMLB_MAX_UPSTREAM_CALLS); retry shortly`
      throw new ProxyError(503, 'overloaded', message, { 'retry-after': '1' })
    }
    const provider = PROVIDERS[service.provider]
    const key = target.key?.masked ?? null
    const attempt = watch.attempt({
      service: service.name,
      provider: provider.telemetryName ?? service.name,
      model: deployment.model,
      endpoint: target.endpoint.url,
      key,
      api: outbound.api,
      counters,
      billed: {
        service: service.name,
        model: deployment.model,
        upstreamModel: own(service.rename, deployment.model) ?? deployment.model,
        keyId: target.key?.id ?? null,
      },
    })
    const headers = upstreamHeaders(provider, request.headers, target.key?.value, runtime.hop)
    if (outbound.contentType) headers['content-type'] = outbound.contentType
    Object.assign(headers, service.headers)
    const kind = inbound.stream ? 'stream' : 'whole'
    // A Responses stream passed through: its events are numbered, and the failure lmlb may append must follow them.
    const numbered = inbound.stream && outbound.api === 'responses' ? new SequenceWatch() : undefined
    // A response its upstream stores: remembered with this key, so what names it comes back here.
    const made = outbound.back ? undefined : madeUpstreamWatch(inbound, choice, runtime.responses)
    const started = performance.now()
    try {
      const answer = await send({
        url: target.endpoint.url + outbound.path + search,
        headers,
        body: outbound.body,
        streaming: inbound.stream,
        limits: config.limits,
        clientSignal: request.signal,
        scrubber,
        // In the upstream's API: a translated stream translates it like any other event.
        errorEvent: (message) => errorEvent(outbound.api, 502, 'upstream_stream_error', message, numbered?.next()),
        observe: numbered || made ? observing(attempt, numbered, made) : attempt.saw,
        // Answered before, so Bun may hold a connection to it that it has closed since; a reset on a first connection is the endpoint's.
        mayBeStale: Date.now() - target.endpoint.answerTimes.lastAnsweredAt < STALE_WITHIN_MS,
        onEnd: (how) => {
          runtime.calls.release()
          attempt.end(how)
        },
      })
      attempt.answered(answer.status)
      if (answer.status < 400) target.endpoint.answerTimes.observe(kind, performance.now() - started)
      return { answer, back: outbound.back, watch: attempt }
    } catch (error) {
      attempt.failed(error instanceof UpstreamFailure ? error.kind : 'failed')
      const waited = performance.now() - started
      if (request.signal.aborted && target.endpoint.answerTimes.abandonedFor(kind, waited)) abandoned(runtime, choice, waited)
      throw error
    }
  }
}

/** The attempt's own observer, and the Responses watches that read the text going by. */
function observing(attempt: AttemptWatch, numbered?: SequenceWatch, made?: (text: string) => void) {
  return (body: string | Uint8Array) => {
    const text = typeof body === 'string' ? body : byteText(body)
    numbered?.see(text)
    made?.(text)
    attempt.saw(body)
  }
}

/** How long after an endpoint's last answer a connection Bun kept to it may still be reused. */
const STALE_WITHIN_MS = 5 * 60_000

/**
 * The client gave up on an endpoint that had not answered, after waiting far
 * longer than it usually takes: counted against the endpoint, which cools,
 * so that one that hangs now and then loses its share of traffic.
 */
function abandoned(runtime: Runtime, { deployment, target }: Choice, waitedMs: number): void {
  const { endpoint } = target
  const service = deployment.pool.service.name
  const now = Date.now()
  endpoint.counters.fail('abandoned', now)
  endpoint.health.failed(now)
  runtime.sharing.cooled({ service, endpoint: endpoint.url, until: endpoint.health.cooledUntil() })
  runtime.logger.warn(
    `${service}: ${endpoint.url} had not answered after ${Math.round(waitedMs)} ms when the client left, ` +
      'far longer than it usually takes: counted against it, it cools',
  )
}
