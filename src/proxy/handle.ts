/**
 * One inbound API call, as named steps: parse its body, admit its client
 * key, route its model, choose where it may go, attempt the targets in
 * turn (dispatch: the next key or endpoint while nothing has reached the
 * client), and respond in the client's own API.
 */
import type { ApiEndpoint } from '../apis/endpoints'
import { MOCK_SERVICE } from '../config/defaults'
import { ProxyError } from '../errors'
import { RequestWatch } from '../observability/attempt-record'
import type { RequestRecord } from '../observability/request-record'
import type { Runtime } from '../state/runtime'
import { admit } from './admit'
import { checkSpend } from '../balancer/spend-budgets'
import { attempts } from './attempt'
import { dispatch, dispatchOptions } from './dispatch'
import { answerByMock, estimatedTokens } from './local'
import { parse, type RawBody } from './parse'
import { respond } from './respond'
import { fallbackChain, routes, servedBy, withFallbacks } from './fallbacks'
import { choose, firstPool, routeOf, type Plan, type Routed } from './route'
import { rememberSession } from './session-pins'
import { ownerPin, recall } from './kept-responses'

/** What the edge hands the flow: the endpoint, the request, its body read within lmlb's limits, its log record, and the client's proxy key. */
export interface InboundCall {
  endpoint: ApiEndpoint
  request: Request
  body: RawBody
  record: RequestRecord
  clientKey?: string
  /** Gemini's: the model named in the path. */
  model?: string
}

export async function handle(
  { endpoint, request, body, record, clientKey, model: pathModel }: InboundCall,
  runtime: Runtime,
): Promise<Response> {
  // The state a request starts with is the one it finishes with, reloads or not.
  const state = runtime.current
  const parsed = parse(endpoint, body, pathModel)
  record.asked(parsed.model, parsed.stream, () => parsed.text || `[multipart upload, ${parsed.upload!.bytes.length} bytes]`)
  // A client key whose spending has reached its budget: refused before anything else is counted.
  const spendLimits = record.clientKey === undefined ? undefined : state.spendLimits.get(record.clientKey)
  if (spendLimits) checkSpend(spendLimits, runtime.usage.spentBy(record.clientKey!), runtime.usage.now())
  const admitted = admit(runtime, state, clientKey, parsed.model, record)
  if (admitted) await admitted
  // A Responses request: what it names of earlier responses, recalled.
  const turn = endpoint.api === 'responses' ? await recall(parsed, runtime.responses) : undefined
  const inbound = turn ? { ...turn.inbound, keep: turn.keep } : parsed
  const route = routeOf(state, inbound.model)
  if (route.kind === 'single' && route.service === MOCK_SERVICE) return answerByMock(inbound, route.model, runtime.streams)
  // The route's first service does not speak the API whose tokens are counted: lmlb estimates them.
  const first = firstPool(state, route)
  if (endpoint.countsTokens && first && !first.service.apis.includes(endpoint.api)) return estimatedTokens(inbound)

  const watch = new RequestWatch(record, state.requests, (status) => record.finish(status, runtime.logger, (t) => state.scrubber.text(t)))
  const tries = attempts(runtime, state, request, inbound, watch)
  let plan!: Plan
  const owner = turn?.owner && ownerPin(state, turn.owner)
  const serve = (r: Routed) =>
    dispatch(tries, dispatchOptions(runtime, state, (plan = choose(state, inbound, r, request.headers, owner)).chooser))
  const chain = fallbackChain(state, inbound.model)
  const served = chain ? withFallbacks(state, chain, route, serve, runtime.logger) : serve(route)
  const { attempted, choice } = await served.catch((error) => {
    // No answer at all: the request counts against the last deployment tried.
    if (error instanceof ProxyError) watch.failed(error.status)
    throw error
  })
  if (plan.session && attempted.answer.status < 400) rememberSession(state, plan.session, choice, Date.now(), runtime.sharing.pinned)
  watch.answered(attempted.watch, attempted.answer.status)
  const { pool, model } = choice.deployment
  if (!routes(route, choice)) state.requests.fallback(inbound.model, `${pool.service.name}/${model}`)
  return servedBy(await respond(attempted, runtime.streams, state.scrubber, pool.service.name), `${pool.service.name}/${model}`)
}
