/**
 * One inbound API call, end to end: read and check the body, route the
 * model, pick a key and an endpoint, forward, relay the answer.
 */
import type { TypeCheck } from '@sinclair/typebox/compiler'
import type { TSchema } from '@sinclair/typebox'
import { MOCK_SERVICE } from '../config/defaults'
import type { ServiceConfig } from '../config/schema'
import type { Target } from '../balancer/service-pool'
import { mockAnthropic, mockOpenAI } from '../providers/mock/reply'
import { resolveModel } from '../routing/resolve-model'
import { clientHeaders, upstreamHeaders } from '../upstream/headers'
import { upstreamUrl, type ApiCall } from '../upstream/paths'
import { relay } from '../upstream/relay'
import { formatPath } from '../validation/schema-errors'
import { errorEvent, ProxyError, type InboundApi } from './errors'
import { checkAnthropic, checkAnthropicCountTokens, checkOpenAI } from './inbound-schemas'
import type { Runtime } from './state'

interface Endpoint {
  api: InboundApi
  call: ApiCall
  check: TypeCheck<TSchema>
}

export const ENDPOINTS = {
  messages: { api: 'anthropic', call: 'messages', check: checkAnthropic },
  countTokens: { api: 'anthropic', call: 'countTokens', check: checkAnthropicCountTokens },
  chatCompletions: { api: 'openai', call: 'chatCompletions', check: checkOpenAI },
} satisfies Record<string, Endpoint>

type Body = { model: string; messages: { role: string; content?: unknown }[]; stream?: boolean; [k: string]: unknown }

export async function proxy(endpoint: Endpoint, request: Request, runtime: Runtime): Promise<Response> {
  const state = runtime.current
  const text = await request.text()
  const body = parseBody(text, endpoint.check)

  const route = resolveModel(body.model, {
    services: [...state.pools.keys()],
    preferredProvider: state.config.preferredProvider,
    bigModel: state.config.bigModel,
    smallModel: state.config.smallModel,
  })
  if (!route.ok) throw new ProxyError(404, 'model_not_found', route.message)

  if (route.service === MOCK_SERVICE) {
    if (endpoint.call === 'countTokens') return Response.json({ input_tokens: Math.ceil(text.length / 4) })
    return endpoint.api === 'anthropic' ? mockAnthropic(body) : mockOpenAI(body)
  }

  const pool = state.pools.get(route.service)!
  const service = pool.service
  if (service.format !== endpoint.api) {
    throw new ProxyError(
      501,
      'translation_unavailable',
      `model "${body.model}" is served by "${service.name}" in the ${service.format} format; translating from the ${endpoint.api} API is not available yet`,
    )
  }
  if (service.keysRequired && service.keys.length === 0) {
    throw new ProxyError(401, 'no_upstream_key', `lmlb has no API key for service "${service.name}": set ${service.keyVariables}`)
  }

  // Same format: the body goes on as it came, but for the model name.
  let outbound = text
  if (route.model !== body.model) {
    body.model = route.model
    outbound = JSON.stringify(body)
  }
  return forward(endpoint, request, service, pool.pick(), outbound, runtime)
}

function parseBody(text: string, check: TypeCheck<TSchema>): Body {
  if (text.trim() === '') throw new ProxyError(400, 'empty_body', 'request body is empty: expected a JSON object')
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    throw new ProxyError(400, 'invalid_json', `request body is not valid JSON: ${(error as Error).message}`)
  }
  if (!check.Check(body)) {
    const first = check.Errors(body).First()!
    throw new ProxyError(400, 'invalid_request', `${formatPath('', first.path)}: ${first.message}`)
  }
  return body as Body
}

async function forward(
  endpoint: Endpoint,
  request: Request,
  service: ServiceConfig,
  target: Target,
  outbound: string,
  runtime: Runtime,
): Promise<Response> {
  const { key, endpoint: base } = target
  const url = upstreamUrl(base.url, endpoint.call, new URL(request.url).search)
  const started = performance.now()
  const counters = key ? [key.counters, base.counters] : [base.counters]
  for (const c of counters) c.start()
  const finish = (error?: string) => {
    const ms = performance.now() - started
    for (const c of counters) c.finish(ms, error)
  }

  let upstream: Response
  try {
    upstream = await fetch(url, {
      method: 'POST',
      headers: upstreamHeaders(service.format, request.headers, key?.value),
      body: outbound,
      // The client leaving cancels the upstream call: no tokens paid for nobody.
      signal: request.signal,
    })
  } catch (error) {
    finish('connect')
    throw new ProxyError(502, 'upstream_unreachable', `could not reach ${base.url}: ${(error as Error).message}`)
  }
  const error = upstream.ok ? undefined : `status_${upstream.status}`
  if (runtime.logger.enabled('debug')) {
    runtime.logger.debug(`${endpoint.call} → ${url} key=${key?.masked ?? '(none)'} status=${upstream.status}`)
  }

  const headers = clientHeaders(upstream.headers)
  if (!upstream.body) {
    finish(error)
    return new Response(null, { status: upstream.status, headers })
  }
  const isSse = headers.get('content-type')?.includes('text/event-stream') ?? false
  const body = relay(
    upstream.body,
    (how) => finish(error ?? (how === 'upstream_error' ? 'stream' : undefined)),
    isSse ? (message) => errorEvent(endpoint.api, 502, 'upstream_stream_error', message) : undefined,
  )
  return new Response(body, { status: upstream.status, headers })
}
