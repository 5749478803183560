/**
 * The HTTP surface, composed from its parts. Runtime-neutral: `app.fetch`
 * is the one entry; src/runtime/ binds it to a port.
 */
import { Elysia } from 'elysia'
import { prometheusText } from './observability/metrics'
import { accountOf, passAccountBound } from './http/account-bound'
import { isAuthorized, isOpenPath } from './http/auth'
import { apiOfPath, errorBody } from './apis'
import { ProxyError } from './errors'
import { errorResponse } from './http/errors'
import { listModels, retrieveModel } from './http/models'
import { resolveModel } from './routing/resolve-model'
import { ENDPOINTS, proxy, routingSettings } from './proxy/proxy'
import { lingerAfter } from './http/linger'
import { BodyRefused } from './http/read-body'
import { attachRecord, RequestRecord, requestIdOf } from './observability/request-record'
import { pathOf } from './http/request-path'
import type { Runtime } from './state/state'
import { cameBack } from './upstream/via'
import { health, live, ready, rootStatus } from './status/status'
import { statusPage, wantsHtml } from './status/status-page'

/**
 * The one entry every runtime serves. A request target that is not a path
 * (`CONNECT host:port`, which Bun hands over as the URL `host:port`) is
 * answered here and never reaches the router.
 */
export function createHandler(runtime: Runtime): (request: Request) => Response | Promise<Response> {
  const app = createApp(runtime)
  const handle = app.fetch
  return (request) => {
    const path = request.method === 'CONNECT' ? undefined : pathOf(request.url)
    if (path === undefined) return notAPath(request.method)
    if (!path.startsWith('/v1/')) return handle(request)
    // Every API answer counted by inbound API and status class, lmlb's own refusals included, and logged in one line.
    const state = runtime.current
    const api = apiOfPath(path)
    const record = new RequestRecord(requestIdOf(request.headers), api, request.method, path, state.config.logBodies)
    record.span = runtime.tracer?.startRequest(request.headers, api, request.method, path)
    attachRecord(request, record)
    return Promise.resolve(handle(request)).then((response) => {
      state.requests.answered(api, response.status)
      if (!record.pending) record.finish(response.status, runtime.logger, (t) => state.scrubber.text(t))
      return withRequestId(response, record.id)
    })
  }
}

/** The response names the request by lmlb's id; an upstream's own id is kept beside it. */
function withRequestId(response: Response, id: string): Response {
  const upstream = response.headers.get('x-request-id')
  try {
    if (upstream !== null && upstream !== id) response.headers.set('x-upstream-request-id', upstream)
    response.headers.set('x-request-id', id)
    return response
  } catch {
    // Headers of a response made elsewhere may be immutable: a copy carries them.
    const copy = new Response(response.body, response)
    if (upstream !== null && upstream !== id) copy.headers.set('x-upstream-request-id', upstream)
    copy.headers.set('x-request-id', id)
    return copy
  }
}

function notAPath(method: string): Response {
  const message = `${method.slice(0, 16)}: the request target is not a path; lmlb serves /v1/... over plain HTTP`
  return Response.json(errorBody('openai', 400, 'invalid_request_target', message), { status: 400, headers: { connection: 'close' } })
}

export function createApp(runtime: Runtime) {
  return (
    // Elysia finds the path at a fixed offset unless told the host may be short (`Host: llm`); pathOf agrees with it.
    new Elysia({ handler: { standardHostname: false } })
      // One error mapping for all routes: the inbound API's own shape, never Elysia's defaults.
      .onError(({ error, code, request }) => {
        const path = pathOf(request.url) ?? '/'
        const api = apiOfPath(path)
        // Refused while its body still arrives: answered now, the connection kept until the body stops (linger.ts).
        if (error instanceof BodyRefused)
          return lingerAfter(errorResponse(api, error), error.rest, runtime.current.config.limits.bodyTimeoutMs)
        if (error instanceof ProxyError) return errorResponse(api, error)
        if (code === 'NOT_FOUND') {
          return Response.json(errorBody(api, 404, 'not_found', `${request.method} ${path} is not an lmlb endpoint`), { status: 404 })
        }
        // The client hung up first (and so cancelled the upstream call): nothing went wrong in lmlb, no one reads the answer.
        if (request.signal.aborted) {
          runtime.logger.info(`${request.method} ${path}: the client left before the answer`)
          return new Response(null, { status: 499 })
        }
        runtime.logger.error(
          runtime.current.scrubber.text(`unexpected error on ${request.method} ${path}: ${(error as Error)?.stack ?? error}`),
        )
        return Response.json(errorBody(api, 500, 'internal_error', 'lmlb internal error (logged)'), { status: 500 })
      })
      // Come back through an endpoint that points at lmlb itself (upstream/via.ts): refused before anything else, or it would go round for ever.
      .onRequest(({ request }) => {
        if (!cameBack(request.headers)) return
        const message =
          'this request has already been through this lmlb: an endpoint in its configuration points back at lmlb itself (or at another instance that points back here)'
        return errorResponse(apiOfPath(pathOf(request.url) ?? '/'), new ProxyError(508, 'loop_detected', message))
      })
      .onRequest(({ request }) => {
        const keys = runtime.current.config.proxyApiKeys
        if (keys.length === 0) return
        const pathname = pathOf(request.url) ?? '/'
        if (isOpenPath(request.method, pathname, request.headers) || isAuthorized(request.headers, keys)) return
        const message = 'lmlb requires a proxy key: send one of PROXY_API_KEYS as x-api-key or Authorization: Bearer'
        return errorResponse(apiOfPath(pathname), new ProxyError(401, 'invalid_proxy_key', message))
      })
      // Files, batches, stored responses...: one account's objects, under many paths and methods (account-bound.ts).
      .onRequest(({ request }) => {
        const account = accountOf(pathOf(request.url) ?? '/', request.headers)
        if (account) return passAccountBound(request, runtime, account)
      })
      // Claude Code probes the base URL with HEAD before its first call.
      .head('/', () => new Response(null, { status: 200 }))
      .get('/', ({ request }) => (wantsHtml(request) ? statusPage() : rootStatus(runtime)))
      .get('/health', ({ request }) => health(runtime, isAuthorized(request.headers, runtime.current.config.proxyApiKeys)))
      .get('/health/live', () => live())
      .get('/health/ready', ({ request }) => ready(runtime, isAuthorized(request.headers, runtime.current.config.proxyApiKeys)))
      .get('/stats', () => runtime.collectStats())
      .get(
        '/metrics',
        async () =>
          new Response(prometheusText(await runtime.collectStats()), { headers: { 'content-type': 'text/plain; version=0.0.4' } }),
      )
      .get('/v1/models', () => listModels(runtime.current))
      .get('/v1/models/*', async ({ params }) => {
        const id = decodeURIComponent(params['*'])
        const state = runtime.current
        const route = resolveModel(id, routingSettings(state))
        const entry = await retrieveModel(state, id, route.ok && route.kind === 'single' ? `${route.service}/${route.model}` : undefined)
        if (entry) return entry
        return Response.json(errorBody('openai', 404, 'model_not_found', `lmlb serves no model "${id}" (GET /v1/models lists them)`), {
          status: 404,
        })
      })
      .post('/admin/reload', async () => {
        const outcome = await runtime.reload('POST /admin/reload')
        return outcome.ok
          ? Response.json({ status: 'reloaded', loaded_at: new Date(outcome.loadedAt).toISOString() })
          : Response.json({ status: 'refused', errors: outcome.errors.map((e) => runtime.current.scrubber.text(e)) }, { status: 422 })
      })
      .post('/v1/messages', ({ request }) => proxy(ENDPOINTS.messages, request, runtime), { parse: 'none' })
      .post('/v1/messages/count_tokens', ({ request }) => proxy(ENDPOINTS.countTokens, request, runtime), { parse: 'none' })
      .post('/v1/chat/completions', ({ request }) => proxy(ENDPOINTS.chatCompletions, request, runtime), { parse: 'none' })
      .post('/v1/responses', ({ request }) => proxy(ENDPOINTS.responses, request, runtime), { parse: 'none' })
      // OpenAI's other stateless endpoints, passed through with the same pools.
      .post('/v1/embeddings', ({ request }) => proxy(ENDPOINTS.embeddings, request, runtime), { parse: 'none' })
      .post('/v1/moderations', ({ request }) => proxy(ENDPOINTS.moderations, request, runtime), { parse: 'none' })
      .post('/v1/completions', ({ request }) => proxy(ENDPOINTS.completions, request, runtime), { parse: 'none' })
      .post('/v1/images/generations', ({ request }) => proxy(ENDPOINTS.imagesGenerations, request, runtime), { parse: 'none' })
      .post('/v1/audio/speech', ({ request }) => proxy(ENDPOINTS.audioSpeech, request, runtime), { parse: 'none' })
      .post('/v1/audio/transcriptions', ({ request }) => proxy(ENDPOINTS.audioTranscriptions, request, runtime), { parse: 'none' })
      .post('/v1/audio/translations', ({ request }) => proxy(ENDPOINTS.audioTranslations, request, runtime), { parse: 'none' })
  )
}
