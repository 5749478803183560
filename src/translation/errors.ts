/**
 * An upstream's error, in one API's shape, → the other API's shape: the
 * message kept, the status mapped where the two APIs differ (Anthropic's
 * 529 overloaded is 503 to an OpenAI client, and back).
 */
import { errorBody, type WireApi } from '../apis'
import { anthropicErrorType } from '../apis/anthropic-messages/errors'
import { statusIn } from '../upstream/verdict'

export function translateError(status: number, body: string, to: WireApi): { status: number; body: object } {
  const message = messageOf(body) ?? `upstream answered ${status}`
  const mapped = statusIn(to, status)
  // The type the upstream's own status has (Anthropic's 529 is `overloaded_error`), unless the body names a code.
  const code = codeOf(body) ?? anthropicErrorType(to === 'messages' ? mapped : status)
  return { status: mapped, body: errorBody(to, mapped, code, message) }
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
