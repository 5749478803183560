/** The wire APIs clients and upstreams speak, and what each says in its own shape: an error body, a stream's last error event. */
import { encodeJsonEvent } from '../sse/encode'
import { anthropicErrorBody } from './anthropic-messages/errors'
import { googleErrorBody } from './gemini/errors'
import { openaiErrorBody } from './openai-chat/errors'
import { failedResponseEvent } from './openai-responses/errors'

/** Anthropic Messages, OpenAI Chat Completions (OpenAI's other endpoints share its shapes), OpenAI Responses, Google's Gemini. */
export type WireApi = 'messages' | 'chat' | 'responses' | 'gemini'

/** How the request log, /stats (`requests.by_api`) and /metrics name each API: the names they have always had. */
export const API_LABEL: Record<WireApi, string> = { messages: 'anthropic', chat: 'openai', responses: 'responses', gemini: 'gemini' }

/** The error body as the API writes it. */
export function errorBody(api: WireApi, status: number, code: string, message: string): object {
  if (api === 'gemini') return googleErrorBody(status, message)
  return api === 'messages' ? anthropicErrorBody(status, message) : openaiErrorBody(status, code, message)
}

/** The same error as the last event of a stream that has already begun; a Responses stream's with the next `sequence`. */
export function errorEvent(api: WireApi, status: number, code: string, message: string, sequence?: number): string {
  if (api === 'responses')
    return encodeJsonEvent('response.failed', {
      ...failedResponseEvent(code, message),
      ...(sequence !== undefined && { sequence_number: sequence }),
    })
  return encodeJsonEvent(api === 'messages' ? 'error' : undefined, errorBody(api, status, code, message))
}
