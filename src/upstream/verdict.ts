/**
 * What an upstream's answer status means, in one table: whether another
 * target may still serve the request (nothing has reached the client yet),
 * what is to blame, what a key's failure does by default (a service's
 * key_policy may say otherwise: upstream/key-verdict.ts), and how the
 * request figures count it. dispatch, the figures and error translation
 * read it; nothing else decides on a raw status.
 */
import type { WireApi } from '../apis'

export type StatusKind = 'success' | 'client_fault' | 'key_refused' | 'rate_limited' | 'transient'

/** How the request figures count an answer. */
export type Outcome = 'success' | 'client_error' | 'error'

/**
 * What a key's failure does to the key: out of rotation until a check or an
 * operator brings it back, cooled for a while, or nothing (the endpoint's
 * fault: the endpoint cools).
 */
export type KeyAction = 'disable' | 'cooldown' | 'ignore'

export interface KindFacts {
  /** Another target is tried, free of the request's attempts for a key at fault, one of them otherwise. */
  retry: boolean
  /** What a key's failure of this kind does, unless the service's policy says otherwise (none: not a failure). */
  action?: KeyAction
  outcome: Outcome
}

export const KINDS: Record<StatusKind, KindFacts> = {
  success: { retry: false, outcome: 'success' },
  // The client's own 4xx: returned as it came.
  client_fault: { retry: false, outcome: 'client_error' },
  // 401, 402, 403 and bodies that say the key is invalid, revoked or out of credit.
  key_refused: { retry: true, action: 'disable', outcome: 'client_error' },
  // Limits belong to a key (a keyless service's to its endpoint).
  rate_limited: { retry: true, action: 'cooldown', outcome: 'error' },
  // 5xx, 408 and Anthropic's 529: the endpoint's, never the key's.
  transient: { retry: true, action: 'ignore', outcome: 'error' },
}

export function kindOf(status: number): StatusKind {
  if (status < 400) return 'success'
  if (status === 401 || status === 402 || status === 403) return 'key_refused'
  if (status === 429) return 'rate_limited'
  if (status === 408 || status >= 500) return 'transient'
  return 'client_fault'
}

/** The kind a key policy's action makes of an answer. */
export const KIND_OF_ACTION: Record<KeyAction, StatusKind> = { disable: 'key_refused', cooldown: 'rate_limited', ignore: 'transient' }

export function outcomeOf(status: number): Outcome {
  return KINDS[kindOf(status)].outcome
}

/** "Overloaded" is 529 in Anthropic's Messages API and 503 in OpenAI's: a status as `api` says it. */
export function statusIn(api: WireApi, status: number): number {
  if (api === 'messages') return status === 503 ? 529 : status
  return status === 529 ? 503 : status
}
