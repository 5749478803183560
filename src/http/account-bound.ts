/**
 * Endpoints whose objects belong to one account: files, batches, uploads,
 * vector stores, stored responses, Gemini's cached contents and tuned
 * models. Spread over keys of several accounts, a
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
/** Gemini's, under either version (and its uploads); its batch methods on a model. */
const GEMINI_BOUND = ['files', 'cachedContents', 'tunedModels', 'batches', 'fileSearchStores'].flatMap((p) => [`/v1beta/${p}`, `/v1/${p}`])
const GEMINI_BATCH_METHOD = /^\/(v1beta|v1)\/models\/[^:]+:(batchGenerateContent|asyncBatchEmbedContent)$/

export type Account = 'openai' | 'anthropic' | 'gemini'

/** Which service's account a request's objects live in, or undefined for any other path. */
export function accountOf(pathname: string, headers: Headers): Account | undefined {
  const under = (prefixes: string[]) => prefixes.some((p) => pathname === p || pathname.startsWith(p.endsWith('/') ? p : `${p}/`))
  // /v1/files is everyone's: Anthropic's clients send anthropic-version with every call, Google's their x-goog-* headers.
  if (under(ANTHROPIC_BOUND) && (pathname.startsWith('/v1/messages/') || headers.has('anthropic-version'))) return 'anthropic'
  const google =
    pathname.startsWith('/v1beta/') || pathname.startsWith('/upload/') || headers.has('x-goog-api-key') || headers.has('x-goog-api-client')
  if (google && (under(GEMINI_BOUND) || under(['/upload/v1beta/files']) || GEMINI_BATCH_METHOD.test(pathname))) return 'gemini'
  return under(OPENAI_BOUND) ? 'openai' : undefined
}

/** Answers in the service's own error shape: Anthropic's for its files and batches, Google's for Gemini's. */
export async function passAccountBound(request: Request, runtime: Runtime, account: Account): Promise<Response> {
  try {
    return await forward(request, runtime, account)
  } catch (error) {
    if (error instanceof ProxyError)
      return errorResponse(account === 'anthropic' ? 'messages' : account === 'gemini' ? 'gemini' : 'chat', error)
    throw error
  }
}

async function forward(request: Request, runtime: Runtime, account: Account): Promise<Response> {
  const { pools } = runtime.current
  // Gemini's objects: in the Gemini-format service's account (the built-in's where it is one).
  const gemini = [...pools.values()].filter((p) => p.service.apis.includes('gemini'))
  const pool = account === 'gemini' ? (gemini.find((p) => p.service.name === 'gemini') ?? gemini[0]) : pools.get(account)!
  if (!pool) {
    const message = `${request.method} ${new URL(request.url).pathname}: lmlb has no Gemini-format service (format: gemini) to send it to`
    throw new ProxyError(501, 'account_bound_endpoint', message)
  }
  const service = pool.service.name
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
  const gemini = pool.service.apis.includes('gemini')
  const headers = upstreamHeaders(PROVIDERS[pool.service.provider], request.headers, key?.value, runtime.hop)
  // The client's own body type (multipart for an upload), or none for a GET.
  const type = request.headers.get('content-type')
  if (type === null) delete headers['content-type']
  else headers['content-type'] = type
  Object.assign(headers, pool.service.headers)
  let upstream: Response
  try {
    upstream = await fetch(gemini ? geminiUrl(endpoint.url, pathname, search) : endpoint.url + pathname.slice('/v1'.length) + search, {
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

/**
 * Where a Gemini call goes under a base URL that ends at its version (`.../v1beta`): the path past the client's
 * version, an upload's under `/upload/` at the base's host; the client's `key` left out of the query.
 */
function geminiUrl(base: string, pathname: string, search: string): string {
  const query = new URLSearchParams(search)
  query.delete('key')
  const rest = pathname.replace(/^(\/upload)?\/(v1beta|v1)/, '')
  const url = new URL(base)
  const at = pathname.startsWith('/upload/') ? `${url.origin}/upload${url.pathname}` : base
  return `${at}${rest}${query.size > 0 ? `?${query}` : ''}`
}
