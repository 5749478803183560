/**
 * The one error type lmlb raises, and the one place it becomes a response
 * in the inbound API's own error shape.
 */
import { encodeJsonEvent } from '../sse/encode'

export type InboundApi = 'anthropic' | 'openai'

export class ProxyError extends Error {
  constructor(
    readonly status: number,
    /** A short machine-readable reason, sent as OpenAI's `code`. */
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

const ANTHROPIC_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
}

const OPENAI_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'invalid_request_error',
  413: 'invalid_request_error',
  429: 'rate_limit_error',
}

export function anthropicErrorType(status: number): string {
  return ANTHROPIC_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error')
}

export function openaiErrorType(status: number): string {
  return OPENAI_TYPES[status] ?? (status >= 500 ? 'server_error' : 'invalid_request_error')
}

/** The error body as the inbound API writes it. */
export function errorBody(api: InboundApi, status: number, code: string, message: string): object {
  return api === 'anthropic'
    ? { type: 'error', error: { type: anthropicErrorType(status), message } }
    : { error: { message, type: openaiErrorType(status), param: null, code } }
}

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

/** Which API a path belongs to, so even a 404 answers in the client's dialect. */
export function apiOfPath(pathname: string): InboundApi {
  return pathname.startsWith('/v1/messages') ? 'anthropic' : 'openai'
}

/** The same error as the last event of a stream that has already begun. */
export function errorEvent(api: InboundApi, status: number, code: string, message: string): string {
  return encodeJsonEvent(api === 'anthropic' ? 'error' : undefined, errorBody(api, status, code, message))
}
