/**
 * One inbound API call, end to end: read and check the body, route the
 * model, then send it to the service's keys and endpoints (dispatch) and
 * hand the answer back.
 */
import type { TSchema } from '@sinclair/typebox'
import type { TypeCheck } from '@sinclair/typebox/compiler'
import type { Target } from '../balancer/service-pool'
import { MOCK_SERVICE } from '../config/defaults'
import { mockAnthropic, mockOpenAI } from '../providers/mock/reply'
import { resolveModel } from '../routing/resolve-model'
import { upstreamHeaders } from '../upstream/headers'
import { upstreamUrl, type ApiCall } from '../upstream/paths'
import { send } from '../upstream/send'
import { formatPath } from '../validation/schema-errors'
import { dispatch } from './dispatch'
import { errorEvent, ProxyError, type InboundApi } from './errors'
import { checkAnthropic, checkAnthropicCountTokens, checkOpenAI } from './inbound-schemas'
import { readBody } from './read-body'
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
  // The state a request starts with is the one it finishes with, reloads or not.
  const state = runtime.current
  const { config } = state
  const text = await readBody(request, config.limits.maxBodyBytes)
  const body = parseBody(text, endpoint.check)

  const route = resolveModel(body.model, {
    services: [...state.pools.keys()],
    preferredProvider: config.preferredProvider,
    bigModel: config.bigModel,
    smallModel: config.smallModel,
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
  const search = new URL(request.url).search
  const attempt = (target: Target) => {
    const counters = target.key ? [target.key.counters, target.endpoint.counters] : [target.endpoint.counters]
    const started = performance.now()
    for (const c of counters) c.start()
    return send({
      url: upstreamUrl(target.endpoint.url, endpoint.call, search),
      headers: upstreamHeaders(service.format, request.headers, target.key?.value),
      body: outbound,
      streaming: body.stream === true,
      limits: config.limits,
      clientSignal: request.signal,
      scrubber: state.scrubber,
      errorEvent: (message) => errorEvent(endpoint.api, 502, 'upstream_stream_error', message),
      onEnd: (how) => {
        const ms = performance.now() - started
        for (const c of counters) {
          c.finish(ms)
          if (how === 'upstream_error') c.fail('stream')
        }
      },
    })
  }
  return dispatch(attempt, { pool, maxAttempts: config.limits.maxAttempts, logger: runtime.logger, scrub: (t) => state.scrubber.text(t) })
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
