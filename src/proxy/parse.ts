/**
 * The flow's first step: the body as lmlb reads it. JSON, bounded in depth,
 * checked against its endpoint's schema (what routing relies on; the
 * upstream judges the rest); or, for an audio upload, only its model field.
 */
import type { ApiEndpoint } from '../apis/endpoints'
import type { ResponseKeep } from '../apis/openai-responses/kept'
import { formatPath } from '../config/schema-errors'
import { ProxyError } from '../errors'
import { boundaryOf, findModelField } from '../routing/multipart-model'
import { MAX_JSON_DEPTH, tooDeep } from '../util/json-depth'

/** The body as the edge read it, within its limits: JSON text, or an upload's bytes. */
export type RawBody = { text: string } | { upload: Uint8Array; contentType: string }

/** What its endpoint's schema has checked: the fields routing reads, and any others as they came. */
export interface RequestBody {
  model: string
  stream?: boolean
  /** Messages and Chat Completions: the turns, each with its role. */
  messages?: { role: string; content?: unknown }[]
  [field: string]: unknown
}

/** A multipart upload as it came, and where its model field lies. */
export interface Upload {
  bytes: Uint8Array
  contentType: string
  field: { start: number; end: number }
}

export interface Inbound {
  endpoint: ApiEndpoint
  /** The JSON text as the client sent it: passed on byte for byte where nothing changes ('' for an upload). */
  text: string
  body: RequestBody
  upload?: Upload
  /** The model asked for (the endpoint's default where the client named none). */
  model: string
  stream: boolean
  /** A Responses request whose answer lmlb keeps where it makes it (proxy/kept-responses.ts). */
  keep?: ResponseKeep
}

/** `pathModel`: the model a Gemini call names in its path (its body has none, and keeps none: Gemini refuses unknown fields). */
export function parse(endpoint: ApiEndpoint, raw: RawBody, pathModel?: string): Inbound {
  if ('upload' in raw) {
    const field = findModelField(raw.upload, boundaryOf(raw.contentType)!)
    if (field === undefined || field.value === '') throw new ProxyError(400, 'invalid_request', 'model: the form has no model field')
    const upload = { bytes: raw.upload, contentType: raw.contentType, field }
    return { endpoint, text: '', body: { model: field.value }, upload, model: field.value, stream: false }
  }
  const body = parseJson(raw.text, endpoint)
  if (pathModel !== undefined) return { endpoint, text: raw.text, body, model: pathModel, stream: endpoint.streams === true }
  body.model ??= endpoint.defaultModel!
  return { endpoint, text: raw.text, body, model: body.model, stream: body.stream === true }
}

function parseJson(text: string, endpoint: ApiEndpoint): RequestBody {
  if (text.trim() === '') throw new ProxyError(400, 'empty_body', 'request body is empty: expected a JSON object')
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch (error) {
    throw new ProxyError(400, 'invalid_json', `request body is not valid JSON: ${(error as Error).message}`)
  }
  // Before anything recurses into it (JSON.stringify, translation, the token estimate).
  if (tooDeep(body)) throw tooDeeplyNested('request body')
  if (!endpoint.check.Check(body)) {
    const first = endpoint.check.Errors(body).First()!
    throw new ProxyError(400, 'invalid_request', `${formatPath('', first.path)}: ${first.message}`)
  }
  return body as RequestBody
}

export function tooDeeplyNested(what: string): ProxyError {
  return new ProxyError(400, 'too_deeply_nested', `${what} nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels, lmlb's limit`)
}
