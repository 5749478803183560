/**
 * The HTTP surface, composed from its parts. Runtime-neutral: `app.fetch`
 * is the one entry; src/runtime/ binds it to a port.
 */
import { Elysia } from 'elysia'
import { apiOfPath, errorBody, errorResponse, ProxyError } from './server/errors'
import { ENDPOINTS, proxy } from './server/proxy'
import type { Runtime } from './server/state'
import { health, rootStatus, stats } from './server/status'

export function createApp(runtime: Runtime) {
  return (
    new Elysia()
      // One error mapping for all routes: the inbound API's own shape, never Elysia's defaults.
      .onError(({ error, code, request }) => {
        const api = apiOfPath(new URL(request.url).pathname)
        if (error instanceof ProxyError) return errorResponse(api, error)
        if (code === 'NOT_FOUND') {
          const path = new URL(request.url).pathname
          return Response.json(errorBody(api, 404, 'not_found', `${request.method} ${path} is not an lmlb endpoint`), { status: 404 })
        }
        runtime.logger.error(`unexpected error on ${request.method} ${request.url}: ${(error as Error)?.stack ?? error}`)
        return Response.json(errorBody(api, 500, 'internal_error', 'lmlb internal error (logged)'), { status: 500 })
      })
      // Claude Code probes the base URL with HEAD before its first call.
      .head('/', () => new Response(null, { status: 200 }))
      .get('/', () => rootStatus(runtime))
      .get('/health', () => health(runtime))
      .get('/stats', () => stats(runtime))
      .post('/v1/messages', ({ request }) => proxy(ENDPOINTS.messages, request, runtime), { parse: 'none' })
      .post('/v1/messages/count_tokens', ({ request }) => proxy(ENDPOINTS.countTokens, request, runtime), { parse: 'none' })
      .post('/v1/chat/completions', ({ request }) => proxy(ENDPOINTS.chatCompletions, request, runtime), { parse: 'none' })
  )
}

export type App = ReturnType<typeof createApp>
