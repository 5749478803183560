/**
 * What goes upstream for one deployment (proxy/prepare.ts): the client's
 * own bytes where nothing changes, the model renamed in the text, defaults
 * filled, a translation to the service's API at that API's path (fitted to
 * Gemini where it goes there), and OpenAI's other endpoints kept off
 * services that have none.
 */
import { expect, test } from 'bun:test'
import { endpointAt } from '../../src/apis/endpoints'
import { loadConfig, type LoadInput } from '../../src/config/load'
import { ProxyError } from '../../src/errors'
import { parse, type RawBody } from '../../src/proxy/parse'
import { prepare } from '../../src/proxy/prepare'
import { createState } from '../../src/state/proxy-state'
import { webStream } from '../../src/upstream/byte-stream'

const ENV = {
  OPENAI_API_KEY: 'sk-prepare-openai',
  ANTHROPIC_API_KEY: 'sk-prepare-anthropic',
  GEMINI_API_KEY: 'sk-prepare-gemini',
  SERVICE_ENDPOINTS: JSON.stringify({ vllm: ['http://127.0.0.1:9/v1'] }),
}

function stateFor(file?: object) {
  const input: LoadInput = { env: ENV, ...(file && { file: { path: 'lmlb.yaml', text: JSON.stringify(file) } }) }
  const loaded = loadConfig(input)
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  return createState(loaded.config)
}

/** The request `text` at `path` prepared for `service`'s `model`. */
function prepared(state: ReturnType<typeof stateFor>, path: string, raw: string | RawBody, service: string, model: string) {
  const inbound = parse(endpointAt(path)!, typeof raw === 'string' ? { text: raw } : raw)
  return prepare(inbound, { pool: state.pools.get(service)!, model }, state.config, webStream)
}

const text = (body: string | Uint8Array) => (typeof body === 'string' ? body : new TextDecoder().decode(body))
const state = stateFor()

test('same API and nothing to change: the client’s text goes on byte for byte, to the same path, with no way back', () => {
  const raw = '{"model":"gpt-4.1" ,"messages":[{"role":"user","content":"hi"}],"temperature":0.5}'
  const outbound = prepared(state, '/v1/chat/completions', raw, 'openai', 'gpt-4.1')
  expect([outbound.api, outbound.path, outbound.back, text(outbound.body)]).toEqual(['chat', '/chat/completions', undefined, raw])
  const responses = prepared(state, '/v1/responses', '{"model":"gpt-4.1","input":"hi"}', 'openai', 'gpt-4.1')
  expect([responses.api, responses.path, responses.back]).toEqual(['responses', '/responses', undefined])
})

test('a routed or renamed model is written into the text, the rest kept byte for byte', () => {
  const raw = '{"messages":[{"role":"user","content":"gpt-4.1"}],  "model":"openai/gpt-4.1"}'
  expect(text(prepared(state, '/v1/chat/completions', raw, 'openai', 'gpt-4.1').body)).toBe(
    '{"messages":[{"role":"user","content":"gpt-4.1"}],  "model":"gpt-4.1"}',
  )
  const renaming = stateFor({ services: { openai: { rename: { 'gpt-4.1': 'gpt-4.1-2025-04-14' } } } })
  expect(text(prepared(renaming, '/v1/chat/completions', raw, 'openai', 'gpt-4.1').body)).toBe(
    '{"messages":[{"role":"user","content":"gpt-4.1"}],  "model":"gpt-4.1-2025-04-14"}',
  )
})

test('model defaults fill only what the client left out', () => {
  const withDefaults = stateFor({ model_defaults: { 'openai/gpt-4.1': { temperature: 0.2, max_tokens: 100 } } })
  const raw = '{"model":"openai/gpt-4.1","messages":[{"role":"user","content":"hi"}],"max_tokens":50}'
  const sent = JSON.parse(text(prepared(withDefaults, '/v1/chat/completions', raw, 'openai', 'gpt-4.1').body))
  expect(sent).toEqual({ model: 'gpt-4.1', messages: [{ role: 'user', content: 'hi' }], max_tokens: 50, temperature: 0.2 })
})

test('a Messages client on a Chat service: Chat Completions at /chat/completions, with a way back', () => {
  const raw = JSON.stringify({ model: 'openai/gpt-4.1', max_tokens: 64, system: 'be brief', messages: [{ role: 'user', content: 'hi' }] })
  const outbound = prepared(state, '/v1/messages', raw, 'openai', 'gpt-4.1')
  expect([outbound.api, outbound.path]).toEqual(['chat', '/chat/completions'])
  expect(outbound.back).toBeFunction()
  const sent = JSON.parse(text(outbound.body))
  expect(sent.model).toBe('gpt-4.1')
  expect(sent.messages).toEqual([
    { role: 'system', content: 'be brief' },
    { role: 'user', content: 'hi' },
  ])
})

test('a Chat client on an Anthropic service: Messages at /messages; a Responses client on a Chat-only service: Chat', () => {
  const chat = JSON.stringify({ model: 'anthropic/claude-haiku-4-5', messages: [{ role: 'user', content: 'hi' }] })
  const toMessages = prepared(state, '/v1/chat/completions', chat, 'anthropic', 'claude-haiku-4-5')
  expect([toMessages.api, toMessages.path]).toEqual(['messages', '/messages'])
  expect(JSON.parse(text(toMessages.body))).toMatchObject({ model: 'claude-haiku-4-5', messages: [{ role: 'user' }] })
  expect(JSON.parse(text(toMessages.body)).max_tokens).toBeGreaterThan(0)
  const toChat = prepared(state, '/v1/responses', '{"model":"vllm/qwen3","input":"hi"}', 'vllm', 'qwen3')
  expect([toChat.api, toChat.path]).toEqual(['chat', '/chat/completions'])
})

test('translated for Gemini: tool schemas lose the keywords Gemini refuses, at every depth', () => {
  const schema = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    additionalProperties: false,
    properties: { url: { type: 'string', format: 'uri' }, n: { type: 'integer', default: 3 } },
  }
  const raw = JSON.stringify({
    model: 'gemini-2.5-flash',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'fetch' }],
    tools: [{ name: 'fetch', description: 'fetch a page', input_schema: schema }],
  })
  const sent = JSON.parse(text(prepared(state, '/v1/messages', raw, 'gemini', 'gemini-2.5-flash').body))
  expect(sent.tools[0].function.parameters).toEqual({ type: 'object', properties: { url: { type: 'string' }, n: { type: 'integer' } } })
  // The same request to OpenAI keeps its schema.
  const openai = JSON.parse(text(prepared(state, '/v1/messages', raw, 'openai', 'gpt-4.1').body))
  expect(openai.tools[0].function.parameters.properties.url.format).toBe('uri')
})

test('OpenAI’s other endpoints: refused on an Anthropic service; passed to an OpenAI one without model defaults', () => {
  const raw = '{"model":"text-embedding-3-small","input":"hi"}'
  let error: unknown
  try {
    prepared(state, '/v1/embeddings', raw, 'anthropic', 'text-embedding-3-small')
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(ProxyError)
  expect([(error as ProxyError).status, (error as ProxyError).code]).toEqual([400, 'unsupported_endpoint'])
  const withDefaults = stateFor({ model_defaults: { 'text-embedding-3-small': { temperature: 0 } } })
  const embeddings = prepared(withDefaults, '/v1/embeddings', raw, 'openai', 'text-embedding-3-small')
  expect([embeddings.path, text(embeddings.body)]).toEqual(['/embeddings', raw])
})

test('an upload renamed: the model field rewritten in the bytes, its own multipart type kept', async () => {
  const form = new FormData()
  form.append('model', 'whisper-1')
  form.append('file', new Blob(['RIFF']), 'a.wav')
  const request = new Request('http://localhost/', { method: 'POST', body: form })
  const contentType = request.headers.get('content-type')! // read first: Bun forgets it once the body is read
  const upload = new Uint8Array(await request.arrayBuffer())
  const renaming = stateFor({ services: { openai: { rename: { 'whisper-1': 'whisper-large' } } } })
  const outbound = prepared(renaming, '/v1/audio/transcriptions', { upload, contentType }, 'openai', 'whisper-1')
  expect([outbound.path, outbound.contentType]).toEqual(['/audio/transcriptions', contentType])
  expect(text(outbound.body)).toBe(text(upload).replace('whisper-1', 'whisper-large'))
  // Unrenamed, the very bytes go on.
  expect(prepared(state, '/v1/audio/transcriptions', { upload, contentType }, 'openai', 'whisper-1').body).toEqual(upload)
})

test('a request translation cannot read: 400 untranslatable_request naming the service', () => {
  const raw = JSON.stringify({ model: 'openai/gpt-4.1', max_tokens: 64, messages: [{ role: 'user', content: 42 }] })
  let error: unknown
  try {
    prepared(state, '/v1/messages', raw, 'openai', 'gpt-4.1')
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(ProxyError)
  expect((error as ProxyError).code).toBe('untranslatable_request')
  expect((error as ProxyError).message).toContain('"openai"')
})
