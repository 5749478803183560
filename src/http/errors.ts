/** The one place lmlb's error becomes a response, in the inbound API's own error shape (each API's shape in src/apis/). */
import { errorBody, type InboundApi } from '../apis/index'
import type { ProxyError } from '../errors'

export function errorResponse(api: InboundApi, error: ProxyError): Response {
  return Response.json(errorBody(api, error.status, error.code, error.message), {
    status: error.status,
    headers: error.headers,
  })
}

/**
 * The runtime's last resort when a handler throws past lmlb's own mapping
 * (app.ts): a short error, never a stack or source. Only the error's name
 * is logged: its message could quote anything, and the scrubber is not here.
 */
export function unhandledError(error: unknown): Response {
  console.error(`lmlb: unhandled ${(error as Error)?.name ?? 'error'} in the request handler`)
  return Response.json(errorBody('openai', 500, 'internal_error', 'lmlb internal error'), { status: 500 })
}
