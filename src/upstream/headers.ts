/**
 * Which headers cross lmlb. Outbound, an allow-list: the client's headers
 * that say something about the call itself (API version and betas, what it
 * accepts, who it is, attribution for OpenRouter), never its credentials
 * nor headers tied to its own account (`openai-organization` with lmlb's
 * key would be refused); then the chosen key in the service's own scheme,
 * and lmlb's hop in `Via` (upstream/via.ts).
 * Inbound: the upstream's headers minus those that describe bytes fetch has
 * already decoded.
 */
import type { Format } from '../config/schema'
import { viaHeader } from './via'

const FORWARDED: Record<Format, readonly string[]> = {
  anthropic: ['accept', 'user-agent', 'anthropic-version', 'anthropic-beta', 'x-request-id', 'idempotency-key'],
  openai: ['accept', 'user-agent', 'openai-beta', 'http-referer', 'x-title', 'x-request-id', 'idempotency-key'],
}

/**
 * Never returned to the client: the hop-by-hop headers a response carries,
 * what fetch decoded (the body is plain now), and the upstream's cookies.
 */
const NOT_RETURNED = ['connection', 'keep-alive', 'transfer-encoding', 'content-encoding', 'content-length', 'set-cookie']

export const DEFAULT_ANTHROPIC_VERSION = '2023-06-01'

export function upstreamHeaders(format: Format, client: Headers, key: string | undefined): Record<string, string> {
  const out: Record<string, string> = { 'content-type': 'application/json', via: viaHeader(client.get('via')) }
  for (const name of FORWARDED[format]) {
    const value = client.get(name)
    if (value !== null) out[name] = value
  }
  if (format === 'anthropic') {
    out['anthropic-version'] ??= DEFAULT_ANTHROPIC_VERSION
    if (key) out['x-api-key'] = key
  } else if (key) {
    out.authorization = `Bearer ${key}`
  }
  return out
}

/** The upstream's headers as the client gets them, each value passed through `scrub`. */
export function clientHeaders(upstream: Headers, scrub: (value: string) => string): Headers {
  const out = new Headers(upstream)
  for (const name of NOT_RETURNED) out.delete(name)
  for (const [name, value] of out) {
    const clean = scrub(value)
    if (clean !== value) out.set(name, clean)
  }
  return out
}
