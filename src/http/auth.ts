/**
 * Client authentication against PROXY_API_KEYS: a key in `x-api-key`,
 * `Authorization: Bearer` or Gemini's `x-goog-api-key` (or, from a Gemini
 * client, `?key=`: `inQuery`), compared in constant time against every
 * configured key (no early exit, so timing says nothing about which matched).
 */
export function presentedKey(headers: Headers, inQuery?: string): string | undefined {
  const direct = headers.get('x-api-key') ?? headers.get('x-goog-api-key')
  if (direct) return direct.trim()
  const auth = headers.get('authorization')
  return auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : inQuery?.trim()
}

export function isAuthorized(headers: Headers, keys: readonly string[], inQuery?: string): boolean {
  return keys.length === 0 || matchingKey(headers, keys, inQuery) !== undefined
}

/** The configured key the client presented, if any (every key compared, so timing says nothing). */
export function matchingKey(headers: Headers, keys: readonly string[], inQuery?: string): string | undefined {
  const presented = presentedKey(headers, inQuery)
  if (presented === undefined) return undefined
  let match: string | undefined
  for (const key of keys) if (constantTimeEqual(presented, key)) match = key
  return match
}

function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i % Math.max(1, b.length))
  return diff === 0
}

/** A browser asking for a page (the status page at /), not a client asking for JSON. */
export function wantsHtml(request: { headers: Headers }): boolean {
  return request.headers.get('accept')?.toLowerCase().includes('text/html') ?? false
}
