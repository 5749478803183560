/**
 * What goes upstream for one deployment: the model name it knows, the
 * defaults the client left out, and where the service speaks another API,
 * the request translated, fitted to the model and its provider, with the
 * way back for its answer. Same-API requests pass on as the client sent
 * them (byte for byte where nothing changes).
 */
import type { WireApi } from '../apis'
import { CALL_OF, GEMINI_METHODS, type ApiEndpoint } from '../apis/endpoints'
import type { OpenAIRequest } from '../apis/openai-chat/wire'
import type { Deployment } from '../balancer/choosers'
import type { Config, ServiceConfig } from '../config/schema'
import { ProxyError } from '../errors'
import { PROVIDERS } from '../providers'
import { fitTranslatedChat } from '../providers/models'
import { withModelField } from '../routing/multipart-model'
import { withModel } from '../routing/rename-in-body'
import { geminiEmbeddingsOverOpenAI } from '../translation/gemini-embeddings'
import { pairOf, translate, type WayBack } from '../translation/pairs'
import type { StreamFactory } from '../upstream/byte-stream'
import { askingForUsage, withoutUsageEvent } from '../upstream/unasked-usage'
import { asItCame } from './as-it-came'
import { TooDeepError } from '../util/json-depth'
import { own } from '../util/own'
import { tooDeeplyNested, type Inbound } from './parse'

export interface Outbound {
  /** The API the upstream is spoken to in: what its stream's own error event looks like. */
  api: WireApi
  /** Appended to the endpoint's base URL. */
  path: string
  body: string | Uint8Array
  /** An upload's own multipart type. */
  contentType?: string
  /** How a translated answer reaches the client; none where it goes back as it came. */
  back?: WayBack
}

export function prepare(inbound: Inbound, deployment: Deployment, config: Config, streams: StreamFactory): Outbound {
  const { endpoint, body, upload } = inbound
  const service = deployment.pool.service
  const model = own(service.rename, deployment.model) ?? deployment.model
  // Gemini's own API names the model in the path: the body goes on as it came.
  if (endpoint.modelInPath && service.apis.includes('gemini'))
    return { api: 'gemini', path: modelPath(model, endpoint), body: inbound.text }
  // Gemini's embeddings for a model an OpenAI-format service serves: its /embeddings.
  if (endpoint.embeds && service.apis.includes('chat')) {
    const options = { model, inputTokens: 0, stream: false }
    const translated = translate(geminiEmbeddingsOverOpenAI, endpoint.api, body as object, options, streams)
    return { api: 'chat', path: '/embeddings', body: JSON.stringify(translated.body), back: translated.back }
  }
  if (endpoint.passOnly) {
    if (!service.apis.includes('chat') || endpoint.modelInPath)
      throw new ProxyError(400, 'unsupported_endpoint', `service "${service.name}" (${service.format} format) has no ${endpoint.upstream}`)
    if (upload) {
      const bytes = model === inbound.model ? upload.bytes : withModelField(upload.bytes, upload.field, model)
      return { api: endpoint.api, path: endpoint.upstream, body: bytes, contentType: upload.contentType }
    }
  }
  const defaults = endpoint.passOnly
    ? undefined
    : (own(config.modelDefaults, inbound.model) ??
      own(config.modelDefaults, `${service.name}/${model}`) ??
      own(config.modelDefaults, model))
  const missing = defaults ? Object.entries(defaults).filter(([field]) => body[field] === undefined) : []
  const full = missing.length > 0 ? { ...body, ...Object.fromEntries(missing) } : body
  if (service.apis.includes(endpoint.api)) {
    const same = { api: endpoint.api, path: endpoint.upstream }
    // A Chat stream that did not ask for its usage: asked, and the usage chunk held back (upstream/unasked-usage.ts).
    const asking = endpoint.api === 'chat' && !endpoint.passOnly ? askingForUsage(full) : undefined
    if (asking)
      return { ...same, body: JSON.stringify({ ...asking, model }), back: async (answer) => asItCame(answer, streams, withoutUsageEvent) }
    // Same API and nothing to change: the body goes on byte for byte.
    if (missing.length === 0) {
      if (model === inbound.model) return { ...same, body: inbound.text }
      const renamed = withModel(inbound.text, inbound.model, model)
      if (renamed !== undefined) return { ...same, body: renamed }
    }
    return { ...same, body: JSON.stringify({ ...full, model }) }
  }
  const pair = pairOf(endpoint.api, translatedTo(service))!
  try {
    const options = { model, inputTokens: Math.ceil(inbound.text.length / 4), keep: inbound.keep, stream: inbound.stream }
    const translated = translate(pair, endpoint.api, full, options, streams)
    if (pair.upstream === 'chat') fitTranslatedChat(translated.body as OpenAIRequest, model, PROVIDERS[service.provider])
    const path = pair.upstream === 'gemini' ? geminiPath(model, inbound.stream) : CALL_OF[pair.upstream].upstream
    return { api: pair.upstream, path, body: JSON.stringify(translated.body), back: translated.back }
  } catch (error) {
    throw untranslatable(error, service.name, service.format)
  }
}

/** Where a Gemini model method is, under a Gemini-format service's base URL. */
const modelPath = (model: string, endpoint: ApiEndpoint) => `/models/${encodeURIComponent(model)}${endpoint.upstream}`
const geminiPath = (model: string, stream: boolean) =>
  modelPath(model, stream ? GEMINI_METHODS.streamGenerateContent : GEMINI_METHODS.generateContent)

/** The API a request in another one is translated into for this service: Chat Completions where it has it, else its own. */
function translatedTo(service: ServiceConfig): WireApi {
  return service.apis.includes('chat') ? 'chat' : service.apis[0]
}

export function untranslatable(error: unknown, service: string, format: string): ProxyError {
  if (error instanceof TooDeepError) return tooDeeplyNested(error.what)
  // The inbound schema checks only what routing needs; a shape translation cannot read is the client's to fix.
  return new ProxyError(
    400,
    'untranslatable_request',
    `cannot translate this request for "${service}" (${format} format): ${(error as Error).message}`,
  )
}
