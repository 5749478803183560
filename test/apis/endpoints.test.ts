/**
 * The endpoint table is what the routes, the path → API lookup and the
 * upstream paths are all read from: every endpoint must be found at its
 * path (with or without a trailing slash), a path must answer in the API it
 * lies under, and each API's call must go to its own upstream path.
 */
import { describe, expect, test } from 'bun:test'
import { apiOfPath, CALL_OF, ENDPOINTS, endpointAt, geminiCallAt, MODELS_PATH } from '../../src/apis/endpoints'

describe('endpointAt', () => {
  test('every endpoint in the table is found at its path, and with a trailing slash', () => {
    for (const e of ENDPOINTS) {
      expect(endpointAt(e.path)).toBe(e)
      expect(endpointAt(`${e.path}/`)).toBe(e)
    }
  })

  test('paths are unique, served under /v1, and the upstream path is the served one without /v1', () => {
    expect(new Set(ENDPOINTS.map((e) => e.path)).size).toBe(ENDPOINTS.length)
    for (const e of ENDPOINTS) expect(`/v1${e.upstream}`).toBe(e.path)
  })

  test('no endpoint at a path lmlb does not proxy, nor at one slash too many, nor under an endpoint', () => {
    for (const path of ['/v1', '/v1/', '/v1/models', '/messages', '/v1/messages//', '/v1/messages/batches', '/v1/chat/completions/x'])
      expect(endpointAt(path)).toBeUndefined()
  })

  test('only the audio uploads are multipart; only the endpoints whose upstream has a default model name one', () => {
    expect(ENDPOINTS.filter((e) => e.multipart).map((e) => e.path)).toEqual(['/v1/audio/transcriptions', '/v1/audio/translations'])
    expect(endpointAt('/v1/moderations')?.defaultModel).toBe('omni-moderation-latest')
    expect(endpointAt('/v1/images/generations')?.defaultModel).toBe('dall-e-2')
    expect(ENDPOINTS.filter((e) => e.defaultModel !== undefined)).toHaveLength(2)
  })

  test("OpenAI's other endpoints pass only, in Chat's dialect; the three translated APIs do not", () => {
    for (const e of ENDPOINTS) {
      const translated = ['/v1/messages', '/v1/messages/count_tokens', '/v1/chat/completions', '/v1/responses'].includes(e.path)
      expect(e.passOnly === true).toBe(!translated)
      if (!translated) expect(e.api).toBe('chat')
    }
    expect(ENDPOINTS.filter((e) => e.countsTokens).map((e) => e.path)).toEqual(['/v1/messages/count_tokens'])
  })
})

describe('apiOfPath', () => {
  test('an endpoint speaks its own API', () => {
    for (const e of ENDPOINTS) expect(apiOfPath(e.path)).toBe(e.api)
  })

  test('a path under an endpoint speaks the API of the endpoint it lies under, the longest prefix winning', () => {
    expect(apiOfPath('/v1/messages/batches')).toBe('messages')
    expect(apiOfPath('/v1/messages/count_tokens/x')).toBe('messages')
    expect(apiOfPath('/v1/responses/resp_123')).toBe('responses')
    expect(apiOfPath('/v1/responses/resp_123/input_items')).toBe('responses')
    expect(apiOfPath('/v1/chat/completions/abc')).toBe('chat')
  })

  test('a mere name prefix is not "under": /v1/messagesx, /v1/responses-beta fall back to OpenAI', () => {
    expect(apiOfPath('/v1/messagesx')).toBe('chat')
    expect(apiOfPath('/v1/responses-beta')).toBe('chat')
  })

  test("anything else answers in OpenAI's dialect", () => {
    for (const path of ['/', '/v1', '/v1/models', '/v2/messages', '/nope']) expect(apiOfPath(path)).toBe('chat')
  })
})

test('CALL_OF: each API is sent to its own endpoint upstream; models are listed at /models', () => {
  expect(CALL_OF.messages.upstream).toBe('/messages')
  expect(CALL_OF.chat.upstream).toBe('/chat/completions')
  expect(CALL_OF.responses.upstream).toBe('/responses')
  for (const [api, e] of Object.entries(CALL_OF)) {
    expect(e.api).toBe(api as typeof e.api)
    expect(e.passOnly).toBeUndefined()
  }
  expect(MODELS_PATH).toBe('/models')
})

test("geminiCallAt: Gemini's model methods under /v1beta/ and /v1/, the model from the path, models/ optional before a routed name", () => {
  const at = (path: string) => {
    const call = geminiCallAt(path)
    return call && [call.endpoint.upstream, call.model]
  }
  expect(at('/v1beta/models/gemini-2.5-flash:generateContent')).toEqual([':generateContent', 'gemini-2.5-flash'])
  expect(at('/v1/models/gemini-2.5-flash:streamGenerateContent')).toEqual([':streamGenerateContent?alt=sse', 'gemini-2.5-flash'])
  expect(at('/v1beta/models/openai%2Fgpt-4o:countTokens')).toEqual([':countTokens', 'openai/gpt-4o'])
  expect(at('/v1beta/models/openai/gpt-4o:generateContent')).toEqual([':generateContent', 'openai/gpt-4o'])
  // As the AI SDK's Google provider sends a model name with a slash.
  expect(at('/v1beta/openai/gpt-4o:generateContent')).toEqual([':generateContent', 'openai/gpt-4o'])
  for (const path of [
    '/v1beta/tunedModels/mine:generateContent',
    '/v1beta/models/gemini-2.5-flash:batchGenerateContent',
    '/v1beta/models/gemini-2.5-flash',
    '/v1beta/models/%E0%A4%A:generateContent',
    '/v2/models/gemini-2.5-flash:generateContent',
  ])
    expect([path, at(path)]).toEqual([path, undefined])
  expect(apiOfPath('/v1beta/files')).toBe('gemini')
  expect(apiOfPath('/upload/v1beta/files')).toBe('gemini')
})
