/**
 * Gemini through Google's OpenAI-compatible endpoint: Chat Completions with
 * a bearer key. Its endpoint refuses some JSON Schema keywords in tool
 * schemas, so a translated request's tools are cleaned of them, whatever
 * API the client spoke.
 */
import type { OpenAIRequest } from '../apis/openai-chat/wire'
import { BEARER, OPENAI_FORWARDED } from './openai'
import type { Provider } from './provider'

export const GEMINI_HOST = 'generativelanguage.googleapis.com'

export const gemini: Provider = {
  name: 'gemini',
  telemetryName: 'gcp.gemini',
  format: 'openai',
  baseUrl: `https://${GEMINI_HOST}/v1beta/openai`,
  apis: ['chat'],
  auth: BEARER,
  forwarded: OPENAI_FORWARDED,
  // Google's embedding models too (text-embedding-004; OpenAI's are text-embedding-3-… and -ada-002).
  family: /^(gemini-|text-embedding-0|embedding-0)/,
  keyRules: [
    // A bad or expired key comes as a 400 INVALID_ARGUMENT with the reason API_KEY_INVALID.
    { statuses: [400], match: 'api_key_invalid', action: 'disable', reason: 'invalid_key' },
    { statuses: [400], match: 'api key not valid', action: 'disable', reason: 'invalid_key' },
    { statuses: [400], match: 'api key expired', action: 'disable', reason: 'invalid_key' },
    { statuses: [403], match: 'consumer_suspended', action: 'disable', reason: 'suspended' },
    { statuses: [400, 403], match: 'has been suspended', action: 'disable', reason: 'suspended' },
  ],
  adaptChat: (request: OpenAIRequest) => {
    for (const tool of request.tools ?? [])
      if (tool.function.parameters) tool.function.parameters = cleanSchemaForGemini(tool.function.parameters)
  },
}

/** Model facts by family: 2.5 and later think (they take `reasoning_effort`). */
export const GEMINI_MODELS = {
  effort: /^gemini-(2\.5|[3-9])/,
  outputLimits: [
    [/^gemini-(2\.5|[3-9])/, 65_536],
    [/^gemini-/, 8_192],
  ] as [RegExp, number][],
}

/** JSON Schema keywords Gemini's OpenAI endpoint refuses, removed at every depth. */
const GEMINI_UNSUPPORTED = new Set([
  '$schema',
  '$id',
  'additionalProperties',
  'default',
  'examples',
  'propertyNames',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'const',
])
const GEMINI_STRING_FORMATS = new Set(['enum', 'date-time'])

export function cleanSchemaForGemini(schema: unknown): any {
  if (Array.isArray(schema)) return schema.map(cleanSchemaForGemini)
  if (!schema || typeof schema !== 'object') return schema
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    if (GEMINI_UNSUPPORTED.has(key)) continue
    if (key === 'format' && (schema as { type?: unknown }).type === 'string' && !GEMINI_STRING_FORMATS.has(String(value))) continue
    // Inside `properties`, keys are property names: a property called "default" stays.
    out[key] =
      key === 'properties' && value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, cleanSchemaForGemini(v)]))
        : cleanSchemaForGemini(value)
  }
  return out
}
