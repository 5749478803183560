/** A tool call's `arguments` (a JSON text, as OpenAI's APIs send it) → the object other APIs carry as `input`. */
import { tooDeep, TooDeepError } from '../../util/json-depth'

/**
 * Tool arguments that are not valid JSON: the call still reaches the client,
 * its raw text under this key, so the client's tool can report the problem
 * and the model can try again, rather than the whole answer failing.
 */
export const UNPARSED_ARGUMENTS = '_lmlb_unparsed_arguments'

export function parseArguments(raw: string | undefined): unknown {
  if (raw === undefined || raw.trim() === '') return {}
  let parsed: unknown
  try {
    parsed = JSON.parse(raw)
  } catch {
    return { [UNPARSED_ARGUMENTS]: raw }
  }
  // JSON in a string, missed by the body's depth check: bounded the same way before anything serialises it.
  if (tooDeep(parsed)) throw new TooDeepError('tool call arguments')
  return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : { value: parsed }
}
