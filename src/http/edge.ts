/**
 * Every request passes here first, in this order: a target that is not a
 * path is refused; one that has come back through this lmlb is refused (it
 * would go round for ever); one without a proxy key, where lmlb wants one,
 * is refused; an account's objects go to the one account that holds them;
 * an API call reads its body within lmlb's limits and goes to the flow
 * (proxy/handle.ts); anything else to lmlb's own routes (app.ts). Every
 * answer under /v1/ is counted by API and status, logged in one line, and
 * named by its request id.
 */
import { API_LABEL, errorBody, type WireApi } from '../apis'
import { apiOfPath, endpointAt, geminiCallAt, type ApiEndpoint } from '../apis/endpoints'
import { ProxyError } from '../errors'
import { RequestRecord, requestIdOf } from '../observability/request-record'
import { handle } from '../proxy/handle'
import type { Runtime } from '../state/runtime'
import { accountOf, passAccountBound } from './account-bound'
import { isAuthorized, matchingKey } from './auth'
import { modelClientOf } from './models'
import { isOpenPath } from './own-routes'
import { errorAnswer, errorResponse } from './errors'
import { readInbound } from './read-body'
import { pathOf } from './request-path'
import { answerStored, storedResponseAt } from './stored-responses'
import { withHeaders } from '../util/with-headers'

export type Handler = (request: Request) => Response | Promise<Response>

export function edge(runtime: Runtime, own: Handler): Handler {
  return (request) => {
    const path = request.method === 'CONNECT' ? undefined : pathOf(request.url)
    if (path === undefined) return notAPath(request.method)
    if (!isApiPath(path)) return refusal(request, path, runtime) ?? own(request)
    const call = request.method === 'POST' ? callAt(path) : undefined
    return underV1(request, path, call, call?.endpoint.api ?? apiOfPath(path), runtime, own)
  }
}

/** Where the APIs lmlb proxies live: OpenAI's and Anthropic's, Gemini's (and its uploads). */
const isApiPath = (path: string) => path.startsWith('/v1/') || path.startsWith('/v1beta/') || path.startsWith('/upload/v1beta/')

/** The API call at `path`: an endpoint's, and for Gemini's model methods the model named in the path. */
interface Call {
  endpoint: ApiEndpoint
  model?: string
}

function callAt(path: string): Call | undefined {
  const endpoint = endpointAt(path)
  return endpoint ? { endpoint } : geminiCallAt(path)
}

async function underV1(request: Request, path: string, call: Call | undefined, api: WireApi, runtime: Runtime, own: Handler) {
  const state = runtime.current
  const label = API_LABEL[api]
  const record = new RequestRecord(requestIdOf(request.headers), label, request.method, path, state.config.logBodies)
  record.span = runtime.tracer?.startRequest(request.headers, label, request.method, path)
  record.sink = runtime.usage
  let response: Response
  try {
    response = refusal(request, path, runtime) ?? (await pass(request, path, call, record, runtime, own))
  } catch (error) {
    const { logger } = runtime
    response = errorAnswer(error, request, path, api, {
      logger,
      mask: (t) => state.scrubber.text(t),
    })
  }
  state.requests.answered(label, response.status)
  if (!record.pending) record.finish(response.status, runtime.logger, (t) => state.scrubber.text(t))
  return withRequestId(response, record.id)
}

function pass(request: Request, path: string, call: Call | undefined, record: RequestRecord, runtime: Runtime, own: Handler) {
  if (call && (call.model !== undefined || call.endpoint.path === path)) return flow(request, call, record, runtime)
  // A stored response: lmlb's own, or one whose maker lmlb knows (stored-responses.ts).
  const stored = storedResponseAt(path)
  if (stored) return storedOrBound(request, runtime, stored.id, stored.under)
  // Files, batches, other stored responses...: one account's objects, under many paths and methods (account-bound.ts).
  const account = accountOf(path, request.headers)
  if (account) return passAccountBound(request, runtime, account)
  return call ? flow(request, call, record, runtime) : own(request)
}

async function storedOrBound(request: Request, runtime: Runtime, id: string, under: string): Promise<Response> {
  return (await answerStored(request, runtime, id, under)) ?? passAccountBound(request, runtime, 'openai')
}

async function flow(request: Request, { endpoint, model }: Call, record: RequestRecord, runtime: Runtime): Promise<Response> {
  const { config, clientKeyIds } = runtime.current
  const body = await readInbound(endpoint, request, { maxBytes: config.limits.maxBodyBytes, timeoutMs: config.limits.bodyTimeoutMs })
  // The proxy key the client presented: what its limits and its usage go by.
  const clientKey = clientKeyIds.size > 0 ? matchingKey(request.headers, config.proxyApiKeys, keyInQuery(request, record.path)) : undefined
  record.clientKey = clientKey === undefined ? undefined : clientKeyIds.get(clientKey)
  return handle({ endpoint, request, body, record, clientKey, model }, runtime)
}

/** The edge's own refusals: a request that came back through lmlb (upstream/via.ts), and one without a proxy key. */
function refusal(request: Request, path: string, runtime: Runtime): Response | undefined {
  if (runtime.hop.cameBack(request.headers)) {
    const message =
      'this request has already been through this lmlb: an endpoint in its configuration points back at lmlb itself ' +
      '(or at another instance that points back here)'
    return errorResponse(apiOfPath(path), new ProxyError(508, 'loop_detected', message))
  }
  const keys = runtime.current.config.proxyApiKeys
  if (
    keys.length === 0 ||
    isOpenPath(request.method, path, request.headers) ||
    isAuthorized(request.headers, keys, keyInQuery(request, path))
  )
    return undefined
  const message =
    'lmlb requires a proxy key: send one of PROXY_API_KEYS as x-api-key or Authorization: Bearer (Gemini clients: x-goog-api-key or ?key=)'
  // A model list answers in its client's shape (http/models.ts), and so does its refusal.
  const api = path === '/v1/models' || path.startsWith('/v1/models/') ? modelClientOf(request) : apiOfPath(path)
  return errorResponse(api, new ProxyError(401, 'invalid_proxy_key', message))
}

/** Gemini's clients may send their key as `?key=` (the path, which lmlb logs, never holds it); no other API's may. */
function keyInQuery(request: Request, path: string): string | undefined {
  return apiOfPath(path) === 'gemini' ? (new URL(request.url).searchParams.get('key') ?? undefined) : undefined
}

/** A request target that is not a path (`CONNECT host:port`, which Bun hands over as the URL `host:port`): lmlb serves plain HTTP. */
function notAPath(method: string): Response {
  const message = `${method.slice(0, 16)}: the request target is not a path; lmlb serves /v1/... over plain HTTP`
  return Response.json(errorBody('chat', 400, 'invalid_request_target', message), { status: 400, headers: { connection: 'close' } })
}

/** The response names the request by lmlb's id; an upstream's own id is kept beside it. */
function withRequestId(response: Response, id: string): Response {
  const upstream = response.headers.get('x-request-id')
  return withHeaders(
    response,
    upstream !== null && upstream !== id ? { 'x-upstream-request-id': upstream, 'x-request-id': id } : { 'x-request-id': id },
  )
}
