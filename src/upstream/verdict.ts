/**
 * What an upstream's answer status means, in one table: whether another
 * target may still serve the request (nothing has reached the client yet),
 * what is to blame and cools or is set aside, and how the request figures
 * count it. dispatch, the figures and error translation read it; nothing
 * else decides on a raw status.
 */
import type { WireApi } from '../apis'

export type StatusKind = 'success' | 'client_fault' | 'key_invalid' | 'rate_limited' | 'transient'

/** How the request figures count an answer. */
export type Outcome = 'success' | 'client_error' | 'error'

export interface KindFacts {
  /** Another target is tried, free of the request's attempts for a key at fault, one of them otherwise. */
  retry: boolean
  /** What is at fault: the key (cools, Retry-After honoured), the key set aside (until a reload), the endpoint (cools), or none. */
  blame: 'none' | 'key' | 'key_set_aside' | 'endpoint'
  outcome: Outcome
}

export const KINDS: Record<StatusKind, KindFacts> = {
  success: { retry: false, blame: 'none', outcome: 'success' },
  // The client's own 4xx: returned as it came.
  client_fault: { retry: false, blame: 'none', outcome: 'client_error' },
  key_invalid: { retry: true, blame: 'key_set_aside', outcome: 'client_error' },
  // Limits belong to a key (a keyless service's to its endpoint).
  rate_limited: { retry: true, blame: 'key', outcome: 'error' },
  // 5xx, 408 and Anthropic's 529: the endpoint's, never the key's.
  transient: { retry: true, blame: 'endpoint', outcome: 'error' },
}

export function kindOf(status: number): StatusKind {
  if (status < 400) return 'success'
  if (status === 401 || status === 403) return 'key_invalid'
  if (status === 429) return 'rate_limited'
  if (status === 408 || status >= 500) return 'transient'
  return 'client_fault'
}

export function outcomeOf(status: number): Outcome {
  return KINDS[kindOf(status)].outcome
}

/** "Overloaded" is 529 in Anthropic's Messages API and 503 in OpenAI's: a status as `api` says it. */
export function statusIn(api: WireApi, status: number): number {
  if (api === 'messages') return status === 503 ? 529 : status
  return status === 529 ? 503 : status
}
