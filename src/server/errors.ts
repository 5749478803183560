/**
 * The one error type lmlb raises, and the one place it becomes a response
 * in the inbound API's own error shape (each API's shape in src/apis/).
 */
import { anthropicErrorBody } from '../apis/anthropic-messages/errors'
import { openaiErrorBody } from '../apis/openai-chat/errors'
import { failedResponseEvent } from '../apis/openai-responses/errors'
import { encodeJsonEvent } from '../sse/encode'

/** The three wire APIs clients speak: Anthropic Messages, OpenAI Chat Completions, OpenAI Responses. */
export type InboundApi = 'anthropic' | 'openai' | 'responses'

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

/** The error body as the inbound API writes it. */
export function errorBody(api: InboundApi, status: number, code: string, message: string): object {
  return api === 'anthropic' ? anthropicErrorBody(status, message) : openaiErrorBody(status, code, message)
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
  if (pathname.startsWith('/v1/messages')) return 'anthropic'
  return pathname === '/v1/responses' || pathname.startsWith('/v1/responses/') ? 'responses' : 'openai'
}

/** The same error as the last event of a stream that has already begun. */
export function errorEvent(api: InboundApi, status: number, code: string, message: string): string {
  if (api === 'responses') return encodeJsonEvent('response.failed', failedResponseEvent(code, message))
  return encodeJsonEvent(api === 'anthropic' ? 'error' : undefined, errorBody(api, status, code, message))
}
