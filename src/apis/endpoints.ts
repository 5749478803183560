/**
 * Every API endpoint lmlb proxies, in one table: the path it serves, the
 * wire API it speaks, what its body must hold, and the path an upstream's
 * base URL gets for it (CONTRACT: a base URL ends at its version segment).
 * The routes, the path → API lookup and the upstream paths are read from it.
 */
import type { TSchema } from '@sinclair/typebox'
import type { TypeCheck } from '@sinclair/typebox/compiler'
import { checkAnthropic, checkAnthropicCountTokens } from './anthropic-messages/inbound'
import type { WireApi } from './index'
import { checkOpenAI } from './openai-chat/inbound'
import { checkModelOptional, checkModelRequired, DEFAULT_MODELS } from './openai-extras/inbound'
import { checkBatchEmbedContents, checkCountTokens, checkEmbedContent, checkGenerateContent, geminiCallOf } from './gemini/inbound'
import { checkResponses } from './openai-responses/inbound'
import { own } from '../util/own'

export interface ApiEndpoint {
  /** Served at this path, POST. */
  path: string
  api: WireApi
  /** What the body must hold before it is routed; the upstream judges the rest. */
  check: TypeCheck<TSchema>
  /** Appended to an upstream's base URL. */
  upstream: string
  /** A token count (Anthropic's, Gemini's): the upstream's where it speaks the endpoint's API, else a local estimate. */
  countsTokens?: true
  /** OpenAI's other endpoints: to OpenAI-format services as they came, never translated, no model defaults. */
  passOnly?: true
  /** The body is multipart/form-data (an audio upload), `model` a form field. */
  multipart?: true
  /** The model the upstream assumes when the client names none. */
  defaultModel?: string
  /** Gemini's: the model is in the path (`/v1beta/models/{model}:method`), and `upstream` follows `/models/{model}` there. */
  modelInPath?: true
  /** The method itself streams (Gemini's streamGenerateContent), whatever the body says. */
  streams?: true
  /** Gemini's embeddings: to an OpenAI-format service's /embeddings where the model is served there. */
  embeds?: true
}

/** OpenAI's other endpoints share Chat Completions' shapes (errors, keys). */
const other = (path: string, check: TypeCheck<TSchema>, more: Partial<ApiEndpoint> = {}): ApiEndpoint => ({
  path: `/v1${path}`,
  api: 'chat',
  check,
  upstream: path,
  passOnly: true,
  ...more,
})

export const ENDPOINTS: readonly ApiEndpoint[] = [
  { path: '/v1/messages', api: 'messages', check: checkAnthropic, upstream: '/messages' },
  {
    path: '/v1/messages/count_tokens',
    api: 'messages',
    check: checkAnthropicCountTokens,
    upstream: '/messages/count_tokens',
    countsTokens: true,
  },
  { path: '/v1/chat/completions', api: 'chat', check: checkOpenAI, upstream: '/chat/completions' },
  { path: '/v1/responses', api: 'responses', check: checkResponses, upstream: '/responses' },
  other('/embeddings', checkModelRequired),
  other('/moderations', checkModelOptional, { defaultModel: DEFAULT_MODELS.moderations }),
  other('/completions', checkModelRequired),
  other('/images/generations', checkModelOptional, { defaultModel: DEFAULT_MODELS.imagesGenerations }),
  other('/audio/speech', checkModelRequired),
  other('/audio/transcriptions', checkModelRequired, { multipart: true }),
  other('/audio/translations', checkModelRequired, { multipart: true }),
]

/** Gemini's model methods, by method; each also under `/v1/`. Only to Gemini-format services, as they came. */
const gemini = (method: string, check: TypeCheck<TSchema>, more: Partial<ApiEndpoint> = {}): ApiEndpoint => ({
  path: `/v1beta/models/{model}:${method}`,
  api: 'gemini',
  check,
  upstream: `:${method}`,
  modelInPath: true,
  ...more,
})
export const GEMINI_METHODS = {
  generateContent: gemini('generateContent', checkGenerateContent),
  // Google's SSE: one GenerateContentResponse a `data:` line.
  streamGenerateContent: gemini('streamGenerateContent', checkGenerateContent, {
    upstream: ':streamGenerateContent?alt=sse',
    streams: true,
  }),
  // To a Gemini-format service; for a model served in another format, a local estimate.
  countTokens: gemini('countTokens', checkCountTokens, { countsTokens: true }),
  embedContent: gemini('embedContent', checkEmbedContent, { passOnly: true, embeds: true }),
  batchEmbedContents: gemini('batchEmbedContents', checkBatchEmbedContents, { passOnly: true, embeds: true }),
} as const satisfies Record<string, ApiEndpoint>

/** A Gemini model method's call (`POST /v1beta/models/{model}:{method}`, or `/v1/`): its endpoint and the model in its path. */
export function geminiCallAt(path: string): { endpoint: ApiEndpoint; model: string } | undefined {
  const call = geminiCallOf(path)
  const endpoint = call && own(GEMINI_METHODS, call.method)
  return endpoint && { endpoint, model: call.model }
}

const BY_PATH: Readonly<Record<string, ApiEndpoint>> = Object.fromEntries(ENDPOINTS.map((e) => [e.path, e]))

/** The endpoint served at `path` (a trailing slash taken as none, as routers do), if lmlb proxies one there. */
export function endpointAt(path: string): ApiEndpoint | undefined {
  return own(BY_PATH, path) ?? (path.endsWith('/') ? own(BY_PATH, path.slice(0, -1)) : undefined)
}

/** The endpoint a request in each API is sent to when it reaches an upstream of that API (translated or not). */
export const CALL_OF: Record<WireApi, ApiEndpoint> = {
  messages: BY_PATH['/v1/messages'],
  chat: BY_PATH['/v1/chat/completions'],
  responses: BY_PATH['/v1/responses'],
  gemini: GEMINI_METHODS.generateContent,
}

/** Longest first: `/v1/messages/count_tokens` before `/v1/messages`. */
const BY_PREFIX = [...ENDPOINTS].sort((a, b) => b.path.length - a.path.length)

/**
 * Which API a path belongs to, so even a 404 answers in the client's
 * dialect: its endpoint's, or that of the endpoint it lies under
 * (`/v1/messages/batches`, `/v1/responses/{id}`); Gemini's under `/v1beta/`
 * and for its model methods; OpenAI's elsewhere.
 */
export function apiOfPath(path: string): WireApi {
  if (path.startsWith('/v1beta/') || path.startsWith('/upload/') || geminiCallOf(path)) return 'gemini'
  const endpoint = own(BY_PATH, path) ?? BY_PREFIX.find((e) => path.startsWith(`${e.path}/`))
  return endpoint?.api ?? 'chat'
}

/** Where every API lists its models, under the same base URL. */
export const MODELS_PATH = '/models'
