/**
 * Endpoints whose objects belong to one account: files, batches, uploads,
 * vector stores, stored responses. Spread over keys of several accounts, a
 * file uploaded with one key is unknown to the next, so these are refused
 * with a 501 that says why, unless the service has exactly one key: then
 * they go to it as they came (method, path, query, body streamed), once,
 * never retried (an upload or a batch must not run twice).
 */
import { ProxyError } from '../errors'
import { errorResponse } from './errors'
import type { Runtime } from '../state/runtime'
import { PROVIDERS } from '../providers'
import { clientHeaders, upstreamHeaders } from '../upstream/headers'
import type { EndpointTarget, KeyTarget, ServicePool } from '../balancer/service-pool'

/** Path prefixes under /v1, per service whose account holds the objects. */
const OPENAI_BOUND = ['/v1/files', '/v1/batches', '/v1/uploads', '/v1/vector_stores', '/v1/responses/']
const ANTHROPIC_BOUND = ['/v1/messages/batches', '/v1/files']

/** Which service's account a request's objects live in, or undefined for any other path. */
export function accountOf(pathname: string, headers: Headers): 'openai' | 'anthropic' | undefined {
  const under = (prefixes: string[]) => prefixes.some((p) => pathname === p || pathname.startsWith(p.endsWith('/') ? p : `${p}/`))
  // Both vendors have /v1/files: Anthropic's clients send anthropic-version with every call.
  if (under(ANTHROPIC_BOUND) && (pathname.startsWith('/v1/messages/') || headers.has('anthropic-version'))) return 'anthropic'
  return under(OPENAI_BOUND) ? 'openai' : undefined
}

/** Answers in the service's own error shape: Anthropic's for its files and batches. */
export async function passAccountBound(request: Request, runtime: Runtime, service: 'openai' | 'anthropic'): Promise<Response> {
  try {
    return await forward(request, runtime, service)
  } catch (error) {
    if (error instanceof ProxyError) return errorResponse(service === 'anthropic' ? 'messages' : 'chat', error)
    throw error
  }
}

async function forward(request: Request, runtime: Runtime, service: 'openai' | 'anthropic'): Promise<Response> {
  const pool = runtime.current.pools.get(service)!
  const { pathname } = new URL(request.url)
  const keys = pool.keys.items
  if (keys.length !== 1) {
    const why =
      keys.length === 0
        ? `lmlb has no ${service} key (${pool.service.keyVariables})`
        : `lmlb spreads ${service} requests over ${keys.length} keys`
    throw new ProxyError(
      501,
      'account_bound_endpoint',
      `${request.method} ${pathname}: its objects belong to one ${service} account, and ${why}; ` +
        `call ${service} directly, or give lmlb exactly one ${service} key`,
    )
  }
  return forwardTo(request, runtime, pool, keys[0], pool.endpoints.items[0])
}

/** The request as it came (method, path, query, body streamed) to one key at one endpoint, once. */
export async function forwardTo(
  request: Request,
  runtime: Runtime,
  pool: ServicePool,
  key: KeyTarget | undefined,
  endpoint: EndpointTarget,
): Promise<Response> {
  const state = runtime.current
  const { pathname, search } = new URL(request.url)
  const headers = upstreamHeaders(PROVIDERS[pool.service.provider], request.headers, key?.value, runtime.hop)
  // The client's own body type (multipart for an upload), or none for a GET.
  const type = request.headers.get('content-type')
  if (type === null) delete headers['content-type']
  else headers['content-type'] = type
  Object.assign(headers, pool.service.headers)
  let upstream: Response
  try {
    upstream = await fetch(endpoint.url + pathname.slice('/v1'.length) + search, {
      method: request.method,
      headers,
      body: request.body,
      signal: request.signal,
      duplex: 'half',
    } as RequestInit)
  } catch (error) {
    throw new ProxyError(502, 'upstream_connect', state.scrubber.text(`could not reach ${endpoint.url}: ${(error as Error).message}`))
  }
  const bytes = await upstream.bytes()
  return new Response(upstream.status === 204 ? null : (state.scrubber.bytes(bytes) as Uint8Array<ArrayBuffer>), {
    status: upstream.status,
    headers: clientHeaders(upstream.headers, (v) => state.scrubber.text(v)),
  })
}
