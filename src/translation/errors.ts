/**
 * An upstream's error, in one API's shape, → the other API's shape: the
 * message kept, the status mapped where the two APIs differ (Anthropic's
 * 529 overloaded is 503 to an OpenAI client, and back).
 */
import { anthropicErrorType } from '../apis/anthropic-messages/errors'
import { errorBody, type WireApi } from '../apis'

export function translateError(status: number, body: string, to: WireApi): { status: number; body: object } {
  const message = messageOf(body) ?? `upstream answered ${status}`
  const code = codeOf(body)
  if (to === 'messages') {
    const mapped = status === 503 ? 529 : status
    return { status: mapped, body: errorBody('messages', mapped, code ?? anthropicErrorType(mapped), message) }
  }
  const mapped = status === 529 ? 503 : status
  return { status: mapped, body: errorBody('chat', mapped, code ?? anthropicErrorType(status), message) }
}

function parse(body: string): any {
  try {
    return JSON.parse(body)
  } catch {
    return undefined
  }
}

function messageOf(body: string): string | undefined {
  const parsed = parse(body)
  const message = parsed?.error?.message ?? parsed?.message
  return typeof message === 'string' ? message : body.trim() === '' ? undefined : body.slice(0, 1000)
}

function codeOf(body: string): string | undefined {
  const error = parse(body)?.error
  const code = error?.code ?? error?.type
  return typeof code === 'string' ? code : undefined
}
