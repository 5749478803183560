/**
 * Which headers cross lmlb. Outbound: the client's headers minus its own
 * credentials, hop-by-hop headers and what fetch sets itself; then the
 * chosen key in the service's own scheme. Inbound: the upstream's headers
 * minus those that describe bytes fetch has already decoded.
 */
import type { Format } from '../config/schema'

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']

/** Never forwarded upstream: credentials meant for lmlb, and what fetch computes. */
const NOT_FORWARDED = new Set([
  ...HOP_BY_HOP,
  'host',
  'content-length',
  'accept-encoding',
  'authorization',
  'x-api-key',
  'api-key',
  'x-goog-api-key',
  'cookie',
])

/** Never returned to the client: fetch decoded the body, so these would lie. */
const NOT_RETURNED = new Set([...HOP_BY_HOP, 'content-encoding', 'content-length', 'set-cookie'])

export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01'

export function upstreamHeaders(format: Format, client: Headers, key: string | undefined): Headers {
  const out = new Headers()
  // Another vendor's headers (anthropic-beta values an OpenAI upstream would refuse...) stay behind.
  const foreign = format === 'anthropic' ? 'openai-' : 'anthropic-'
  client.forEach((value, name) => {
    if (!NOT_FORWARDED.has(name) && !name.startsWith(foreign)) out.set(name, value)
  })
  out.set('content-type', 'application/json')
  if (format === 'anthropic') {
    if (!out.has('anthropic-version')) out.set('anthropic-version', DEFAULT_ANTHROPIC_VERSION)
    if (key) out.set('x-api-key', key)
  } else if (key) {
    out.set('authorization', `Bearer ${key}`)
  }
  return out
}

/** The upstream's headers as the client gets them, each value passed through `scrub`. */
export function clientHeaders(upstream: Headers, scrub: (value: string) => string): Headers {
  const out = new Headers()
  upstream.forEach((value, name) => {
    if (!NOT_RETURNED.has(name)) out.set(name, scrub(value))
  })
  return out
}
