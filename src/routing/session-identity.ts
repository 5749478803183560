/**
 * Which conversation a request belongs to, so its turns can stay on the
 * key whose prompt cache holds their prefix. First found wins: lmlb's own
 * header, Claude Code's, Codex's, `prompt_cache_key`, Anthropic's
 * `metadata.user_id`, OpenAI's `user`. In `prefix` mode a request with none
 * of them is known by its stable prefix (system, tools, first user message).
 * Only a short hash is ever kept or shown: never the identity itself.
 */
import { hashOf } from '../util/hash'

export type AffinityMode = 'session' | 'prefix' | 'off'

const HEADERS = ['x-lmlb-session', 'x-claude-code-session-id', 'session_id', 'session-id']

type Body = Record<string, unknown>

export function sessionIdentity(headers: Headers, body: Body, mode: AffinityMode): string | undefined {
  if (mode === 'off') return undefined
  for (const name of HEADERS) {
    const value = headers.get(name)
    if (value) return hashOf(`h:${value}`)
  }
  const field = fieldIdentity(body)
  if (field !== undefined) return hashOf(field)
  return mode === 'prefix' ? hashOf(`p:${stablePrefix(body)}`) : undefined
}

function fieldIdentity(body: Body): string | undefined {
  if (typeof body.prompt_cache_key === 'string' && body.prompt_cache_key !== '') return `k:${body.prompt_cache_key}`
  const userId = (body.metadata as { user_id?: unknown } | undefined)?.user_id
  if (typeof userId === 'string' && userId !== '') return `m:${userId}`
  if (typeof body.user === 'string' && body.user !== '') return `u:${body.user}`
  return undefined
}

/**
 * What stays the same from turn to turn in all four APIs: the system
 * prompt (Anthropic's `system`, Responses' `instructions`, Chat's system
 * messages, Gemini's `systemInstruction`), the tools, and the first user
 * message (Gemini's first user content), with `cache_control` markers taken
 * out (clients move them along the conversation).
 */
function stablePrefix(body: Body): string {
  const turns = (
    Array.isArray(body.messages)
      ? body.messages
      : Array.isArray(body.contents)
        ? body.contents
        : Array.isArray(body.input)
          ? body.input
          : typeof body.input === 'string'
            ? [{ role: 'user', content: body.input }]
            : []
  ) as { role?: string }[]
  const system = [
    body.system,
    body.instructions,
    body.systemInstruction,
    ...turns.filter((m) => m?.role === 'system' || m?.role === 'developer'),
  ]
  const firstUser = turns.find((m) => m?.role === 'user')
  return JSON.stringify([system, body.tools, firstUser], (key, value) => (key === 'cache_control' ? undefined : value))
}

/**
 * Whether the request asks Anthropic for a one-hour cache (`cache_control`
 * with `ttl: "1h"`), so its pin should last as long. Markers sit on the
 * system blocks, the tools and the last turns (clients move them along the
 * conversation): those are looked at, not the whole body.
 */
export function asksForLongCache(body: Body): boolean {
  const longTtl = (b: unknown) => (b as { cache_control?: { ttl?: unknown } } | null)?.cache_control?.ttl === '1h'
  if (longTtl(body)) return true
  const turns = Array.isArray(body.messages) ? (body.messages as { content?: unknown }[]).slice(-3) : []
  for (const list of [body.system, body.tools, ...turns.map((m) => m?.content)]) {
    if (Array.isArray(list) && list.some(longTtl)) return true
  }
  return false
}
