/**
 * One inbound API call, end to end: read and check the body, route the
 * model, then send it where the route allows (dispatch) and hand the
 * answer back in the client's own API.
 */
import type { TSchema } from '@sinclair/typebox'
import type { TypeCheck } from '@sinclair/typebox/compiler'
import { aliasChooser, isServiceable, singleChooser, type Chooser, type Choice, type Deployment } from '../balancer/choosers'
import { MOCK_SERVICE } from '../config/defaults'
import type { Config, ServiceConfig } from '../config/schema'
import { estimateInputTokens, type CountableRequest } from '../providers/tokens/estimate'
import type { OpenAIProvider } from '../translation/messages-over-chat/request'
import type { AnthropicRequest } from '../apis/anthropic-messages/wire'
import type { ResponsesRequest } from '../apis/openai-responses/wire'
import type { OpenAIRequest } from '../apis/openai-chat/wire'
import { mockAnthropic, mockOpenAI } from '../providers/mock/reply'
import { withModel } from '../routing/rename-in-body'
import { resolveModel, type RoutingSettings } from '../routing/resolve-model'
import { upstreamHeaders } from '../upstream/headers'
import { API_PATHS, upstreamUrl, type ApiCall } from '../upstream/paths'
import { send, UpstreamFailure } from '../upstream/send'
import type { RelayEnd } from '../upstream/relay'
import { recordOf } from '../observability/request-record'
import { formatPath } from '../config/schema-errors'
import { dispatch } from './dispatch'
import { matchingKey } from '../http/auth'
import { findSession, rememberSession, withPin } from './session-pins'
import type { AffinityMode } from '../config/schema'
import { errorEvent, type InboundApi } from '../apis/index'
import { ProxyError } from '../errors'
import { checkAnthropic, checkAnthropicCountTokens } from '../apis/anthropic-messages/inbound'
import { checkOpenAI } from '../apis/openai-chat/inbound'
import { checkResponses } from '../apis/openai-responses/inbound'
import { checkModelOptional, checkModelRequired, DEFAULT_MODELS } from '../apis/openai-extras/inbound'
import { outcomeOf, RequestTimer, type Outcome } from '../observability/request-metrics'
import { UsageReader } from '../observability/usage'
import { own } from '../util/own'
import { MAX_JSON_DEPTH, tooDeep, TooDeepError } from '../util/json-depth'
import { readBody, readBodyBytes, type BodyLimits } from '../http/read-body'
import { boundaryOf, findModelField, withModelField } from '../routing/multipart-model'
import { anthropicClientOnOpenAI, openaiClientOnAnthropic, responsesClientOnAnthropic, responsesClientOnChat } from '../translation/pairs'
import type { ProxyState, Runtime } from '../state/state'
import { callBound, releaseCallSlot, takeCallSlot } from '../upstream/call-slots'

interface Endpoint {
  api: InboundApi
  call: ApiCall
  check: TypeCheck<TSchema>
  /** OpenAI's other endpoints: to OpenAI-format services as they came, never translated, no model defaults. */
  passOnly?: true
  /** The body is multipart/form-data (an audio upload), `model` a form field. */
  multipart?: true
  /** The model the upstream assumes when the client names none. */
  defaultModel?: string
}

const OPENAI_EXTRA = { api: 'openai', passOnly: true } as const

export const ENDPOINTS = {
  messages: { api: 'anthropic', call: 'messages', check: checkAnthropic },
  countTokens: { api: 'anthropic', call: 'countTokens', check: checkAnthropicCountTokens },
  chatCompletions: { api: 'openai', call: 'chatCompletions', check: checkOpenAI },
  responses: { api: 'responses', call: 'responses', check: checkResponses },
  embeddings: { ...OPENAI_EXTRA, call: 'embeddings', check: checkModelRequired },
  moderations: { ...OPENAI_EXTRA, call: 'moderations', check: checkModelOptional, defaultModel: DEFAULT_MODELS.moderations },
  completions: { ...OPENAI_EXTRA, call: 'completions', check: checkModelRequired },
  imagesGenerations: {
    ...OPENAI_EXTRA,
    call: 'imagesGenerations',
    check: checkModelOptional,
    defaultModel: DEFAULT_MODELS.imagesGenerations,
  },
  audioSpeech: { ...OPENAI_EXTRA, call: 'audioSpeech', check: checkModelRequired },
  audioTranscriptions: { ...OPENAI_EXTRA, call: 'audioTranscriptions', check: checkModelRequired, multipart: true },
  audioTranslations: { ...OPENAI_EXTRA, call: 'audioTranslations', check: checkModelRequired, multipart: true },
} satisfies Record<string, Endpoint>

/** The wire API each upstream call speaks: what its stream's own error event looks like. */
const API_OF_CALL: Partial<Record<ApiCall, InboundApi>> = { messages: 'anthropic', countTokens: 'anthropic', responses: 'responses' }

type Body = { model: string; messages: { role: string; content?: unknown }[]; stream?: boolean; [k: string]: unknown }

/** A multipart upload as it came, and where its model field lies. */
interface Upload {
  bytes: Uint8Array
  contentType: string
  field: { start: number; end: number }
}

/** What goes upstream for one deployment, and how its answer reaches the client (as it came, unless translated). */
interface Outbound {
  call: ApiCall
  body: string | Uint8Array
  toClient?: (response: Response) => Promise<Response>
}

export async function proxy(endpoint: Endpoint, request: Request, runtime: Runtime): Promise<Response> {
  // The state a request starts with is the one it finishes with, reloads or not.
  const state = runtime.current
  const { config } = state
  const limits = { maxBytes: config.limits.maxBodyBytes, timeoutMs: config.limits.bodyTimeoutMs }
  const upload = endpoint.multipart ? await readUpload(request, limits) : undefined
  const text = upload ? '' : await readBody(request, limits)
  const body = upload ? { model: upload.model, messages: [] } : parseBody(text, endpoint.check)
  body.model ??= endpoint.defaultModel!
  const record = recordOf(request)
  if (record) {
    record.model = body.model
    record.stream = body.stream === true
    if (record.bodies) record.prompt = upload ? `[multipart upload, ${upload.bytes.length} bytes]` : text
  }
  // A client key with limits: counted in (or refused) before anything goes upstream, released when the answer is over.
  const clientKey = state.budgets.size > 0 ? matchingKey(request.headers, config.proxyApiKeys) : undefined
  if (clientKey !== undefined && state.budgets.has(clientKey) && record) {
    const release = await runtime.admission.admit(clientKey, body.model)
    record.onFinish = () => release((record.tokens?.input ?? 0) + (record.tokens?.output ?? 0))
  }

  const route = resolveModel(body.model, routingSettings(state))
  if (!route.ok) throw new ProxyError(404, 'model_not_found', route.message)
  if (route.kind === 'single' && route.service === MOCK_SERVICE) {
    if (endpoint.call === 'countTokens') return Response.json({ input_tokens: Math.ceil(text.length / 4) })
    if (endpoint.api === 'responses') return mockResponses(body as unknown as ResponsesRequest, route.model)
    if (endpoint.passOnly)
      throw new ProxyError(
        400,
        'unsupported_endpoint',
        `the mock service answers Messages and Chat Completions, not ${API_PATHS[endpoint.call]}`,
      )
    return endpoint.api === 'anthropic' ? mockAnthropic(body) : mockOpenAI(body)
  }
  // A rough estimate of the input (four bytes a token): a key whose reported token quota is below it is passed over.
  const tokensNeeded = Math.ceil((upload?.bytes.length ?? text.length) / 4)
  const routed =
    route.kind === 'single'
      ? singleServiceChooser(state, route.service, route.model, tokensNeeded)
      : aliasChooser(state.aliases.get(route.alias)!, tokensNeeded)
  // Conversations keep their key (its prompt cache); token counts and OpenAI's other endpoints have none.
  const now = Date.now()
  const session =
    endpoint.passOnly || endpoint.call === 'countTokens'
      ? undefined
      : findSession(state, affinityMode(state, route), routeName(route), request.headers, body, now)
  const chooser = withPin(routed, session, tokensNeeded)
  // No upstream count to ask of an OpenAI-format model: a local estimate.
  if (endpoint.call === 'countTokens' && firstFormat(state, route) === 'openai') {
    return Response.json({ input_tokens: await estimateInputTokens(body as unknown as CountableRequest) })
  }

  // Built once per deployment, the first time a choice lands on it.
  const outbound = new Map<Deployment, Outbound>()
  const q = request.url.indexOf('?')
  const search = q < 0 ? '' : request.url.slice(q)
  const timer = new RequestTimer(state.requests, (status) => record?.finish(status, runtime.logger, (t) => state.scrubber.text(t)))
  let lastTried: Choice | undefined
  const attempt = (choice: Choice) => {
    lastTried = choice
    const { deployment, target } = choice
    const service = deployment.pool.service
    let out = outbound.get(deployment)
    if (!out) outbound.set(deployment, (out = prepare(endpoint, body, text, deployment, config, upload)))
    const counters = target.key ? [target.key.counters, target.endpoint.counters] : [target.endpoint.counters]
    const usage = new UsageReader()
    // Past lmlb's bound: refused now, not queued where the wait would be charged to the endpoint.
    if (!takeCallSlot(config.limits.maxUpstreamCalls)) {
      for (const c of counters) c.overflow++
      const bound = callBound(config.limits.maxUpstreamCalls)
      throw new ProxyError(
        503,
        'overloaded',
        `lmlb is at its bound of ${bound} upstream calls in flight (LMLB_MAX_UPSTREAM_CALLS); retry shortly`,
        { 'retry-after': '1' },
      )
    }
    const started = performance.now()
    for (const c of counters) c.start()
    const headers = upstreamHeaders(service.format, request.headers, target.key?.value)
    if (upload) headers['content-type'] = upload.contentType
    Object.assign(headers, service.headers)
    const attemptLog = { key: target.key?.masked ?? null, endpoint: target.endpoint.url, outcome: 'pending' }
    const span = record?.span?.attempt({
      service: service.name,
      provider: providerNameOf(service),
      model: deployment.model,
      endpoint: target.endpoint.url,
      key: attemptLog.key,
    })
    // The span ends once the call is over and its outcome known, in whichever order the two come.
    let callOver: RelayEnd | 'failed' | undefined
    const endSpan = () => {
      if (span && callOver && attemptLog.outcome !== 'pending')
        span.end(callOver === 'upstream_error' ? 'stream_broken' : attemptLog.outcome, Number(attemptLog.outcome) || undefined)
    }
    record?.attempts.push(attemptLog)
    if (record?.bodies) record.completion = ''
    const firstByte = (outcome: Outcome, said: string) => {
      state.requests.firstByte.observe(service.name, deployment.model, outcome, (performance.now() - started) / 1000)
      attemptLog.outcome = said
      if (record) record.ttfbMs = performance.now() - record.start
      endSpan()
    }
    return send({
      url: upstreamUrl(target.endpoint.url, out.call, search),
      headers,
      body: out.body,
      streaming: body.stream === true,
      limits: config.limits,
      clientSignal: request.signal,
      scrubber: state.scrubber,
      // In the upstream's format: a translated stream translates it like any other event.
      errorEvent: (message) => errorEvent(API_OF_CALL[out.call] ?? 'openai', 502, 'upstream_stream_error', message),
      observe: (body) => {
        usage.read(body)
        if (record?.bodies) record.addCompletion(body)
      },
      onEnd: (how) => {
        releaseCallSlot()
        const ms = performance.now() - started
        const tokens = usage.totals()
        if (record) record.tokens = tokens
        for (const c of counters) {
          c.finish(ms)
          c.addTokens(tokens)
          if (how === 'upstream_error') c.fail('stream')
        }
        timer.attemptEnded(choice, how === 'upstream_error' || how === 'failed')
        callOver = how
        endSpan()
      },
    }).then(
      (response) => (firstByte(outcomeOf(response.status), String(response.status)), response),
      (error) => {
        firstByte('error', error instanceof UpstreamFailure ? error.kind : 'failed')
        throw error
      },
    )
  }
  let response: Response
  let choice: Choice
  try {
    ;({ response, choice } = await dispatch(attempt, {
      chooser,
      maxAttempts: config.limits.maxAttempts,
      logger: runtime.logger,
      scrub: (t) => state.scrubber.text(t),
      onCooled: runtime.shareCooled,
      onQuota: runtime.shareQuota,
    }))
  } catch (error) {
    // Every attempt failed (a timeout, no connection...): the request counts against the last deployment tried.
    if (lastTried && error instanceof ProxyError) {
      if (record) record.served = `${lastTried.deployment.pool.service.name}/${lastTried.deployment.model}`
      timer.answered(lastTried, lastTried.deployment.pool.service.name, lastTried.deployment.model, error.status)
    }
    throw error
  }
  if (session && response.status < 400) rememberSession(state, session, choice, Date.now(), runtime.sharePin)
  if (record) record.served = `${choice.deployment.pool.service.name}/${choice.deployment.model}`
  timer.answered(choice, choice.deployment.pool.service.name, choice.deployment.model, response.status)
  // A stream's line is written at its end (the timer's); app.ts writes any other when the handler returns.
  if (record) record.pending = !timer.done
  const toClient = outbound.get(choice.deployment)?.toClient
  if (!toClient) return response
  try {
    return await toClient(response)
  } catch (error) {
    const name = choice.deployment.pool.service.name
    throw new ProxyError(
      502,
      'upstream_unreadable',
      `the answer from "${name}" could not be translated: ${state.scrubber.text((error as Error).message)}`,
    )
  }
}

export function routingSettings({ serviceNames, config }: ProxyState): RoutingSettings {
  return {
    services: serviceNames,
    aliases: config.aliases,
    preferredProvider: config.preferredProvider,
    bigModel: config.bigModel,
    smallModel: config.smallModel,
  }
}

function firstFormat(state: ProxyState, route: Routed): string | undefined {
  const service = route.kind === 'single' ? route.service : route.targets[0]?.service
  return service === undefined ? undefined : state.pools.get(service)?.service.format
}

type Routed = Extract<ReturnType<typeof resolveModel>, { ok: true }>

/** A single service's own affinity setting; an alias follows the top-level one. */
function affinityMode(state: ProxyState, route: Routed): AffinityMode {
  return route.kind === 'single' ? state.pools.get(route.service)!.service.affinity : state.config.affinity
}

function routeName(route: Routed): string {
  return route.kind === 'single' ? `${route.service}/${route.model}` : route.alias
}

function singleServiceChooser(state: ProxyState, name: string, model: string, tokensNeeded: number): Chooser {
  const pool = state.pools.get(name)!
  if (!isServiceable(pool)) {
    throw new ProxyError(401, 'no_upstream_key', `lmlb has no API key for service "${name}": set ${pool.service.keyVariables}`)
  }
  const allowed = pool.service.models
  if (allowed && !allowed.includes(model)) {
    throw new ProxyError(404, 'model_not_found', `service "${name}" does not serve model "${model}"; it serves: ${allowed.join(', ')}`)
  }
  return singleChooser(pool, model, tokensNeeded)
}

/**
 * The upstream body for one deployment: the model name it knows, defaults
 * the client left out, and, across formats, the other API's request with
 * the way back for its answer.
 */
function prepare(endpoint: Endpoint, body: Body, text: string, deployment: Deployment, config: Config, upload?: Upload): Outbound {
  const service = deployment.pool.service
  const model = own(service.rename, deployment.model) ?? deployment.model
  if (endpoint.passOnly) {
    if (service.format !== 'openai')
      throw new ProxyError(
        400,
        'unsupported_endpoint',
        `service "${service.name}" (${service.format} format) has no ${API_PATHS[endpoint.call]}`,
      )
    if (upload)
      return { call: endpoint.call, body: model === body.model ? upload.bytes : withModelField(upload.bytes, upload.field, model) }
  }
  const defaults = endpoint.passOnly
    ? undefined
    : (own(config.modelDefaults, body.model) ?? own(config.modelDefaults, `${service.name}/${model}`) ?? own(config.modelDefaults, model))
  const missing = defaults ? Object.entries(defaults).filter(([field]) => body[field] === undefined) : []
  const full = missing.length > 0 ? { ...body, ...Object.fromEntries(missing) } : body
  if (speaks(service, endpoint.api)) {
    // Same format and nothing to change: the body goes on byte for byte.
    if (missing.length === 0) {
      if (model === body.model) return { call: endpoint.call, body: text }
      const renamed = withModel(text, body.model, model)
      if (renamed !== undefined) return { call: endpoint.call, body: renamed }
    }
    return { call: endpoint.call, body: JSON.stringify({ ...full, model }) }
  }
  try {
    if (endpoint.api === 'responses') {
      const req = full as unknown as ResponsesRequest
      return service.format === 'anthropic' ? responsesClientOnAnthropic(req, model) : responsesClientOnChat(req, model)
    }
    return endpoint.api === 'anthropic'
      ? anthropicClientOnOpenAI(full as unknown as AnthropicRequest, model, providerOf(service), Math.ceil(text.length / 4))
      : openaiClientOnAnthropic(full as unknown as OpenAIRequest, model)
  } catch (error) {
    throw untranslatable(error, service.name, service.format)
  }
}

function untranslatable(error: unknown, service: string, format: string): ProxyError {
  if (error instanceof TooDeepError) return tooDeeplyNested(error.what)
  // The inbound schema checks only what routing needs; a shape translation cannot read is the client's to fix.
  return new ProxyError(
    400,
    'untranslatable_request',
    `cannot translate this request for "${service}" (${format} format): ${(error as Error).message}`,
  )
}

/** Whether the service's upstream serves the client's own API, so the request needs no translation. */
function speaks(service: ServiceConfig, api: InboundApi): boolean {
  return api === 'responses' ? service.apis.includes('responses') : service.format === api
}

/** `gen_ai.provider.name` as the OpenTelemetry GenAI conventions spell it; other services by their own name. */
function providerNameOf(service: ServiceConfig): string {
  const provider = providerOf(service)
  if (provider === 'gemini') return 'gcp.gemini'
  return provider === 'openai' ? 'openai' : service.name === 'anthropic' ? 'anthropic' : service.name
}

function providerOf(service: ServiceConfig): OpenAIProvider {
  if (service.name === 'gemini' || service.endpoints.some((e) => e.url.includes('generativelanguage.googleapis.com'))) return 'gemini'
  return service.name === 'openai' ? 'openai' : 'other'
}

function parseBody(text: string, check: TypeCheck<TSchema>): Body {
  if (text.trim() === '') throw new ProxyError(400, 'empty_body', 'request body is empty: expected a JSON object')
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    throw new ProxyError(400, 'invalid_json', `request body is not valid JSON: ${(error as Error).message}`)
  }
  // Before anything recurses into it (JSON.stringify, translation, the token estimate).
  if (tooDeep(body)) throw tooDeeplyNested('request body')
  if (!check.Check(body)) {
    const first = check.Errors(body).First()!
    throw new ProxyError(400, 'invalid_request', `${formatPath('', first.path)}: ${first.message}`)
  }
  return body as Body
}

/** An upload, whole within lmlb's limits; its model field found where it lies. */
async function readUpload(request: Request, limits: BodyLimits): Promise<Upload & { model: string }> {
  const contentType = request.headers.get('content-type')
  const boundary = boundaryOf(contentType)
  if (boundary === undefined)
    throw new ProxyError(
      415,
      'unsupported_media_type',
      `content-type must be multipart/form-data with a boundary, got "${contentType ?? 'none'}"`,
    )
  const bytes = await readBodyBytes(request, limits)
  const field = findModelField(bytes, boundary)
  if (field === undefined || field.value === '') throw new ProxyError(400, 'invalid_request', 'model: the form has no model field')
  return { bytes, contentType: contentType!, field, model: field.value }
}

/** The mock speaks Chat Completions; a Responses client gets it through the same translation as any Chat-only service. */
function mockResponses(req: ResponsesRequest, model: string): Promise<Response> {
  let translation
  try {
    translation = responsesClientOnChat(req, model)
  } catch (error) {
    throw untranslatable(error, MOCK_SERVICE, 'openai')
  }
  return translation.toClient(mockOpenAI(JSON.parse(translation.body as string)))
}

function tooDeeplyNested(what: string): ProxyError {
  return new ProxyError(400, 'too_deeply_nested', `${what} nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels, lmlb's limit`)
}
