/**
 * Which headers cross lmlb. Outbound, an allow-list: the client's headers
 * that say something about the call itself (its provider's list: API
 * version and betas, what it accepts, who it is, attribution for
 * OpenRouter), never its credentials nor headers tied to its own account
 * (`openai-organization` with lmlb's key would be refused); then the chosen
 * key as the provider takes it, and lmlb's hop in `Via` (upstream/via.ts).
 * Inbound: the upstream's headers minus those that describe bytes fetch has
 * already decoded.
 */
import type { Provider } from '../providers/provider'
import type { Hop } from './via'

/**
 * Never returned to the client: the hop-by-hop headers a response carries,
 * what fetch decoded (the body is plain now), and the upstream's cookies.
 */
const NOT_RETURNED = ['connection', 'keep-alive', 'transfer-encoding', 'content-encoding', 'content-length', 'set-cookie']

export function upstreamHeaders(provider: Provider, client: Headers, key: string | undefined, hop: Hop): Record<string, string> {
  const out: Record<string, string> = { 'content-type': 'application/json', via: hop.header(client.get('via')) }
  for (const name of provider.forwarded) {
    const value = client.get(name)
    if (value !== null) out[name] = value
  }
  if (provider.defaults) for (const [name, value] of Object.entries(provider.defaults)) out[name] ??= value
  if (key) out[provider.auth.header] = provider.auth.prefix + key
  return out
}

/** The upstream's headers as the client gets them, each value passed through `scrub`. */
export function clientHeaders(upstream: Headers, scrub: (value: string) => string): Headers {
  const out = new Headers(upstream)
  for (const name of NOT_RETURNED) out.delete(name)
  out.forEach((value, name) => {
    const clean = scrub(value)
    if (clean !== value) out.set(name, clean)
  })
  return out
}
