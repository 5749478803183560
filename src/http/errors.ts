/**
 * The one place an error becomes a response, in the inbound API's own
 * error shape (each API's shape in src/apis/): for the flow's errors (the
 * edge) and for lmlb's own routes (app.ts) alike.
 */
import { errorBody, type WireApi } from '../apis'
import { ProxyError } from '../errors'
import type { Logger } from '../observability/log'
import { lingerAfter } from './linger'
import { BodyRefused } from './read-body'

export function errorResponse(api: WireApi, error: ProxyError): Response {
  return Response.json(errorBody(api, error.status, error.code, error.message), {
    status: error.status,
    headers: error.headers,
  })
}

/** Whatever a request's handling threw, as the client gets it. */
export function errorAnswer(
  error: unknown,
  request: Request,
  path: string,
  api: WireApi,
  o: { logger: Logger; mask: (text: string) => string },
): Response {
  // Refused while its body still arrives: answered now, the connection kept until the body stops (linger.ts).
  if (error instanceof BodyRefused) return lingerAfter(api, error, error.rest)
  if (error instanceof ProxyError) return errorResponse(api, error)
  // The client hung up first (and so cancelled the upstream call): nothing went wrong in lmlb, no one reads the answer.
  if (request.signal.aborted) {
    o.logger.info(`${request.method} ${path}: the client left before the answer`)
    return new Response(null, { status: 499 })
  }
  o.logger.error(o.mask(`unexpected error on ${request.method} ${path}: ${(error as Error)?.stack ?? error}`))
  return Response.json(errorBody(api, 500, 'internal_error', 'lmlb internal error (logged)'), { status: 500 })
}

/**
 * The runtime's last resort when a handler throws past lmlb's own mapping
 * (app.ts): a short error, never a stack or source. Only the error's name
 * is logged: its message could quote anything, and the scrubber is not here.
 */
export function unhandledError(error: unknown): Response {
  console.error(`lmlb: unhandled ${(error as Error)?.name ?? 'error'} in the request handler`)
  return Response.json(errorBody('chat', 500, 'internal_error', 'lmlb internal error'), { status: 500 })
}
