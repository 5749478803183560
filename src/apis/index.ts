/** The wire APIs clients speak, and what is said in each one's own shape: an error body, a stream's last error event. */
import { encodeJsonEvent } from '../sse/encode'
import { anthropicErrorBody } from './anthropic-messages/errors'
import { openaiErrorBody } from './openai-chat/errors'
import { failedResponseEvent } from './openai-responses/errors'

/** The three wire APIs clients speak: Anthropic Messages, OpenAI Chat Completions, OpenAI Responses. */
export type InboundApi = 'anthropic' | 'openai' | 'responses'

/** The error body as the inbound API writes it. */
export function errorBody(api: InboundApi, status: number, code: string, message: string): object {
  return api === 'anthropic' ? anthropicErrorBody(status, message) : openaiErrorBody(status, code, message)
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
