/**
 * lmlb's HTTP surface for a runtime: the edge (http/edge.ts), which every
 * request passes and which sends API calls to the flow, in front of lmlb's
 * own routes (status, metrics, the model list, reloads). Runtime-neutral:
 * `fetch` is the one entry every runtime serves (src/runtime/ binds it to
 * a port) and the one tests call in-process.
 */
import { Elysia } from 'elysia'
import { errorBody } from './apis'
import { apiOfPath } from './apis/endpoints'
import { adminKeyRoutes } from './http/admin-keys'
import { requestsAnswer, usageAnswer } from './http/admin-usage'
import { isAuthorized, wantsHtml } from './http/auth'
import { edge, type Handler } from './http/edge'
import { errorAnswer } from './http/errors'
import { OWN_ROUTES } from './http/own-routes'
import { listModels, modelClientOf, retrieveModel } from './http/models'
import { pathOf } from './http/request-path'
import { prometheusText } from './observability/metrics'
import { withKeysLimited } from './observability/stats'
import { routingSettings } from './proxy/route'
import { resolveModel } from './routing/resolve-model'
import type { Runtime } from './state/runtime'
import { collectStats, health, live, ready, rootStatus } from './status/status'
import { statusPage } from './status/status-page'

export function createApp(runtime: Runtime): { fetch: Handler } {
  return { fetch: edge(runtime, ownRoutes(runtime).fetch) }
}

function ownRoutes(runtime: Runtime) {
  const authorized = (request: Request) => isAuthorized(request.headers, runtime.current.config.proxyApiKeys)
  const r = OWN_ROUTES
  const keys = adminKeyRoutes(runtime)
  return (
    // Elysia finds the path at a fixed offset unless told the host may be short (`Host: llm`); pathOf agrees with it.
    new Elysia({ handler: { standardHostname: false } })
      // The same error mapping as the flow's: the inbound API's own shape, never Elysia's defaults.
      .onError(({ error, code, request }) => {
        const path = pathOf(request.url) ?? '/'
        const api = apiOfPath(path)
        if (code === 'NOT_FOUND') {
          return Response.json(errorBody(api, 404, 'not_found', `${request.method} ${path} is not an lmlb endpoint`), { status: 404 })
        }
        const state = runtime.current
        return errorAnswer(error, request, path, api, {
          logger: runtime.logger,
          mask: (t) => state.scrubber.text(t),
        })
      })
      .head(r.probe.path, () => new Response(null, { status: 200 }))
      .get(r.root.path, ({ request }) => (wantsHtml(request) ? statusPage() : rootStatus(runtime)))
      .get(r.health.path, ({ request }) => health(runtime, authorized(request)))
      .get(r.live.path, () => live())
      .get(r.ready.path, ({ request }) => ready(runtime, authorized(request)))
      .get(r.stats.path, async ({ request }) => {
        // ?keys=N: the N most notable keys of each service (the status page asks for 100, whatever the pool).
        const limit = new URL(request.url).searchParams.get('keys')
        const all = await collectStats(runtime)
        return limit !== null && /^\d{1,6}$/.test(limit) ? withKeysLimited(all, Number(limit)) : all
      })
      .get(
        r.metrics.path,
        async () => new Response(prometheusText(await collectStats(runtime)), { headers: { 'content-type': 'text/plain; version=0.0.4' } }),
      )
      .get(r.models.path, ({ request }) => modelList(runtime, request))
      .get(r.geminiModels.path, ({ request }) => modelList(runtime, request))
      .get(r.model.path, ({ params, request }) => oneModel(runtime, request, params['*']))
      .get(r.geminiModel.path, ({ params, request }) => oneModel(runtime, request, params['*']))
      // The admin API reads its own bodies, within lmlb's limits.
      .get(r.keys.path, ({ request }) => keys.list(request))
      .post(r.addKeys.path, ({ request }) => keys.add(request), { parse: 'none' })
      .post(r.steerKey.path, ({ request, params }) => keys.steer(request, params['*']), { parse: 'none' })
      .delete(r.deleteKey.path, ({ request, params }) => keys.remove(request, params['*']), { parse: 'none' })
      .get(r.usage.path, ({ request }) => usageAnswer(runtime, request))
      .get(r.requests.path, ({ request }) => requestsAnswer(runtime, request))
      .post(r.reload.path, async () => {
        const outcome = await runtime.reload('POST /admin/reload')
        return outcome.ok
          ? Response.json({ status: 'reloaded', loaded_at: new Date(outcome.loadedAt).toISOString() })
          : Response.json({ status: 'refused', errors: outcome.errors.map((e) => runtime.current.scrubber.text(e)) }, { status: 422 })
      })
  )
}

function modelList(runtime: Runtime, request: Request): Response {
  runtime.modelRefresh?.wanted()
  return listModels(runtime.current, request)
}

function oneModel(runtime: Runtime, request: Request, param: string): Response {
  runtime.modelRefresh?.wanted()
  // Google's clients may name a model `models/{id}`; lmlb's own ids may hold a slash (`service/model`).
  const id = decodeURIComponent(param).replace(/^models\//, '')
  const state = runtime.current
  const route = resolveModel(id, routingSettings(state))
  const entry = retrieveModel(state, request, id, route.ok && route.kind === 'single' ? `${route.service}/${route.model}` : undefined)
  if (entry) return entry
  const message = `lmlb serves no model "${id}" (GET /v1/models lists them)`
  const api = modelClientOf(request)
  return Response.json(errorBody(api, 404, 'model_not_found', message), { status: 404 })
}
