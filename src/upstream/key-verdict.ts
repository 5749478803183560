/**
 * What a failed answer says of the key that got it. The status table
 * (verdict.ts) decides unless a rule says otherwise, and the rules come in
 * order: the service's own key_policy.rules, then its provider's (each
 * provider's phrasing of "this key is invalid, revoked or out of credit"),
 * then phrases any OpenAI-compatible server uses. A rule matches a status
 * (any error status when it names none) and, where it has `match`, a
 * phrase in the body, compared in lower case.
 */
import { KIND_OF_ACTION, kindOf, type KeyAction, type StatusKind } from './verdict'

export interface KeyRule {
  /** The statuses it applies to; any error status when absent. */
  statuses?: readonly number[]
  /** Lower-case text the answer's body must contain. */
  match?: string
  action: KeyAction
  /** Why, as the key's state says it (invalid_key, no_credit...); else what the status says. */
  reason?: string
  /** For `cooldown`: how long; else the upstream's Retry-After, or a backoff. */
  cooldownMs?: number
}

export interface KeyVerdict {
  kind: StatusKind
  /** Why, in a word: invalid_key, no_credit, permission_denied, suspended, revoked, rate_limited, status_503... */
  reason: string
  cooldownMs?: number
}

const STATUS_REASONS: Record<number, string> = { 401: 'invalid_key', 402: 'no_credit', 403: 'permission_denied', 429: 'rate_limited' }

/** Phrases of OpenAI-compatible servers (Groq, OpenRouter, Together, DeepSeek...) and gateways: after the provider's own. */
export const COMMON_KEY_RULES: readonly KeyRule[] = [
  { statuses: [400, 401, 403], match: 'invalid api key', action: 'disable', reason: 'invalid_key' },
  { statuses: [400, 401, 403], match: 'invalid_api_key', action: 'disable', reason: 'invalid_key' },
  { statuses: [400, 401, 402, 403, 429], match: 'insufficient_quota', action: 'disable', reason: 'no_credit' },
  { statuses: [400, 401, 402, 403, 429], match: 'insufficient balance', action: 'disable', reason: 'no_credit' },
  { statuses: [400, 401, 403], match: 'revoked', action: 'disable', reason: 'revoked' },
  { statuses: [400, 401, 403], match: 'suspended', action: 'disable', reason: 'suspended' },
  { statuses: [400, 401, 403], match: 'deactivated', action: 'disable', reason: 'suspended' },
]

/** The verdict on an answer of `status` whose body reads `body` (lower case; only its start is needed), under `rules` in order. */
export function judgeAnswer(status: number, body: string, ...rules: readonly (readonly KeyRule[] | undefined)[]): KeyVerdict {
  if (status < 400) return { kind: 'success', reason: 'ok' }
  for (const list of rules)
    for (const rule of list ?? [])
      if ((!rule.statuses || rule.statuses.includes(status)) && (rule.match === undefined || body.includes(rule.match))) {
        return {
          kind: KIND_OF_ACTION[rule.action],
          reason: rule.reason ?? reasonOf(status),
          ...(rule.cooldownMs !== undefined && { cooldownMs: rule.cooldownMs }),
        }
      }
  return { kind: kindOf(status), reason: reasonOf(status) }
}

function reasonOf(status: number): string {
  return STATUS_REASONS[status] ?? `status_${status}`
}

/** How much of a failed answer's body the rules read: the error's message and code come first. */
export const BODY_READ = 4096
