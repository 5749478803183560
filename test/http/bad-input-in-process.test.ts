/**
 * Bad input, in process, over the four inbound APIs: Anthropic Messages,
 * OpenAI Chat Completions and Responses, and Gemini's generateContent. A
 * body that is not JSON, JSON that is not an object, a required field
 * missing or of the wrong type, a model lmlb cannot route, a content type
 * other than JSON: each gets its status and an error in the inbound API's
 * own shape with a message saying what is wrong, nothing is logged as an
 * unexpected error, and the upstream stand-in receives nothing. The same
 * requests made valid do reach it, so "nothing upstream" means something.
 */
import { afterAll, beforeEach, describe, expect, test } from 'bun:test'
import { createApp } from '../../src/app'
import { loadConfig } from '../../src/config/load'
import { createLogger } from '../../src/observability/log'
import { createRuntime } from '../../src/state/runtime'
import { startUpstream } from '../helpers/upstream'

const up = startUpstream('up')
afterAll(() => up.stop())

/** Every line lmlb logs at error level: an unexpected error (a 500) would land here. */
const logged: string[] = []
beforeEach(() => {
  up.reset()
  logged.length = 0
})

const loaded = loadConfig({
  env: { OPENAI_API_KEY: 'sk-bad-input-in-process', SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }) },
})
if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
const app = createApp(
  createRuntime({ config: loaded.config, logger: createLogger('error', '', (line) => logged.push(line)), read: () => loaded }),
)

function post(path: string, body: string, contentType = 'application/json') {
  const headers = { 'content-type': contentType, 'content-length': String(Buffer.byteLength(body)) }
  return app.fetch(new Request(`http://localhost${path}`, { method: 'POST', headers, body }))
}

const MODEL = 'openai/gpt-4.1'
const UNKNOWN = 'no-such-model-xyz'
const turn = [{ role: 'user', content: 'hi' }]
const contents = [{ role: 'user', parts: [{ text: 'hi' }] }]

/** One bad request: its body (an object is sent as its JSON), and what lmlb must answer. */
interface Case {
  name: string
  body: string | object
  status: number
  /** OpenAI's `code`; the other shapes carry none. */
  code: string
  message: RegExp
  /** Another path than the API's (Gemini names the model in it). */
  path?: string
  contentType?: string
}

interface InboundApi {
  name: string
  path: string
  /** A request the stand-in serves; each case spoils it. */
  valid: Record<string, unknown>
  /** The field an empty object is refused for first. */
  firstRequired: string
  /** The whole error body in this API's shape. */
  error: (status: number, code: string, message: RegExp) => object
  cases: Case[]
}

const ANTHROPIC_TYPES: Record<number, string> = { 400: 'invalid_request_error', 404: 'not_found_error', 415: 'invalid_request_error' }
const GOOGLE_STATUSES: Record<number, string> = { 400: 'INVALID_ARGUMENT', 404: 'NOT_FOUND', 415: 'FAILED_PRECONDITION' }

const anthropicError = (status: number, _code: string, message: RegExp) => ({
  type: 'error',
  error: { type: ANTHROPIC_TYPES[status], message: expect.stringMatching(message) },
})
const openaiError = (_status: number, code: string, message: RegExp) => ({
  error: { message: expect.stringMatching(message), type: 'invalid_request_error', param: null, code },
})
const googleError = (status: number, _code: string, message: RegExp) => ({
  error: { code: status, message: expect.stringMatching(message), status: GOOGLE_STATUSES[status] },
})

const invalid = (name: string, body: object, message: RegExp): Case => ({ name, body, status: 400, code: 'invalid_request', message })
const unroutable = { status: 404, code: 'model_not_found', message: new RegExp(`^lmlb cannot route model "${UNKNOWN}"`) }

const messagesApi: InboundApi = {
  name: 'Anthropic Messages',
  path: '/v1/messages',
  valid: { model: MODEL, max_tokens: 16, messages: turn },
  firstRequired: 'model',
  error: anthropicError,
  cases: [
    invalid('messages a string', { model: MODEL, max_tokens: 16, messages: 'hi' }, /^messages: Expected array$/),
    invalid('a message without its role', { model: MODEL, max_tokens: 16, messages: [{ content: 'hi' }] }, /^messages\[0\]\.role: /),
    invalid('model a number', { model: 42, max_tokens: 16, messages: turn }, /^model: Expected string$/),
    invalid('model an object', { model: { $ne: 1 }, max_tokens: 16, messages: turn }, /^model: Expected string$/),
    invalid('no model', { max_tokens: 16, messages: turn }, /^model: Expected required property$/),
    invalid('model an empty string', { model: '', max_tokens: 16, messages: turn }, /^model: /),
    invalid('max_tokens 0', { model: MODEL, max_tokens: 0, messages: turn }, /^max_tokens: /),
    invalid('max_tokens not a whole number', { model: MODEL, max_tokens: 1.5, messages: turn }, /^max_tokens: Expected integer$/),
    { name: 'an unknown model', body: { model: UNKNOWN, max_tokens: 16, messages: turn }, ...unroutable },
  ],
}

const chatApi: InboundApi = {
  name: 'OpenAI Chat Completions',
  path: '/v1/chat/completions',
  valid: { model: MODEL, messages: turn },
  firstRequired: 'model',
  error: openaiError,
  cases: [
    invalid('messages a string', { model: MODEL, messages: 'hi' }, /^messages: Expected array$/),
    invalid('a role that is a number', { model: MODEL, messages: [{ role: 1, content: 'hi' }] }, /^messages\[0\]\.role: Expected string$/),
    invalid('model a number', { model: 42, messages: turn }, /^model: Expected string$/),
    invalid('model an array', { model: [MODEL], messages: turn }, /^model: Expected string$/),
    invalid('model null', { model: null, messages: turn }, /^model: Expected string$/),
    invalid('no model', { messages: turn }, /^model: Expected required property$/),
    invalid('stream a string', { model: MODEL, messages: turn, stream: 'yes' }, /^stream: Expected boolean$/),
    { name: 'an unknown model', body: { model: UNKNOWN, messages: turn }, ...unroutable },
    {
      name: 'a service with no model after it',
      body: { model: 'openai/', messages: turn },
      status: 404,
      code: 'model_not_found',
      message: /^model "openai\/" names service openai but no model: use "openai\/<model>"$/,
    },
  ],
}

const responsesApi: InboundApi = {
  name: 'OpenAI Responses',
  path: '/v1/responses',
  valid: { model: MODEL, input: 'hi' },
  firstRequired: 'model',
  error: openaiError,
  cases: [
    invalid('input a number', { model: MODEL, input: 5 }, /^input: /),
    invalid('input an object', { model: MODEL, input: { role: 'user', content: 'hi' } }, /^input: /),
    invalid('model a number', { model: 42, input: 'hi' }, /^model: Expected string$/),
    invalid('no model', { input: 'hi' }, /^model: Expected required property$/),
    invalid('model an empty string', { model: '', input: 'hi' }, /^model: /),
    invalid('stream a string', { model: MODEL, input: 'hi', stream: 'yes' }, /^stream: Expected boolean$/),
    { name: 'an unknown model', body: { model: UNKNOWN, input: 'hi' }, ...unroutable },
  ],
}

const GEMINI = `/v1beta/models/${encodeURIComponent(MODEL)}:generateContent`
const geminiApi: InboundApi = {
  name: 'Gemini generateContent',
  path: GEMINI,
  valid: { contents },
  firstRequired: 'contents',
  error: googleError,
  cases: [
    invalid('contents a string', { contents: 'hi' }, /^contents: Expected array$/),
    invalid('contents empty', { contents: [] }, /^contents: /),
    invalid('a content with no parts', { contents: [{ role: 'user', parts: [] }] }, /^contents\[0\]\.parts: /),
    invalid('a part that is a string', { contents: [{ role: 'user', parts: ['hi'] }] }, /^contents\[0\]\.parts\[0\]: Expected object$/),
    invalid('a role that is a number', { contents: [{ role: 5, parts: [{ text: 'hi' }] }] }, /^contents\[0\]\.role: Expected string$/),
    { name: 'an unknown model in the path', path: `/v1beta/models/${UNKNOWN}:generateContent`, body: { contents }, ...unroutable },
    {
      name: 'no model in the path',
      path: '/v1beta/models/:generateContent',
      body: { contents },
      status: 404,
      code: 'model_not_found',
      message: /^lmlb cannot route model /,
    },
    {
      name: 'a model that is not percent-decodable',
      path: '/v1beta/models/%ZZ:generateContent',
      body: { contents },
      status: 404,
      code: 'not_found',
      message: /is not an lmlb endpoint$/,
    },
    {
      name: 'a method Gemini does not have',
      path: `/v1beta/models/${encodeURIComponent(MODEL)}:noSuchMethod`,
      body: { contents },
      status: 404,
      code: 'not_found',
      message: /:noSuchMethod is not an lmlb endpoint$/,
    },
  ],
}

/** What every API refuses alike: the body as a whole is not a JSON object, or not JSON at all. */
function commonCases(api: InboundApi): Case[] {
  const notAnObject = (name: string, body: string): Case => ({
    name,
    body,
    status: 400,
    code: 'invalid_request',
    message: /^\(root\): Expected object$/,
  })
  const notJson = /^request body is not valid JSON: /
  const notJsonType = (type: string): Case => ({
    name: `content type ${type}`,
    body: api.valid,
    contentType: type,
    status: 415,
    code: 'unsupported_media_type',
    message: new RegExp(`^content-type must be application/json, got "${type}"$`),
  })
  return [
    { name: 'a body that is not JSON', body: '{"model": ', status: 400, code: 'invalid_json', message: notJson },
    { name: 'JSON with text after it', body: `${JSON.stringify(api.valid)} and more`, status: 400, code: 'invalid_json', message: notJson },
    notAnObject('a JSON array of a valid request', JSON.stringify([api.valid])),
    notAnObject('a JSON number', '42'),
    notAnObject('JSON null', 'null'),
    notAnObject('a JSON string', JSON.stringify(JSON.stringify(api.valid))),
    notAnObject('JSON true', 'true'),
    invalid('an empty object', {}, new RegExp(`^${api.firstRequired}: Expected required property$`)),
    notJsonType('text/plain'),
    notJsonType('application/x-www-form-urlencoded'),
  ]
}

const APIS = [messagesApi, chatApi, responsesApi, geminiApi]

for (const api of APIS) {
  describe(`bad input in process, ${api.name}`, () => {
    test('the valid request each case spoils is served, and reaches the stand-in', async () => {
      const response = await post(api.path, JSON.stringify(api.valid))
      expect(response.status).toBe(200)
      await response.arrayBuffer()
      expect(up.received).toHaveLength(1)
    })

    for (const c of [...commonCases(api), ...api.cases]) {
      test(`${c.name}: ${c.status} in the API's own shape, nothing upstream`, async () => {
        const body = typeof c.body === 'string' ? c.body : JSON.stringify(c.body)
        const response = await post(c.path ?? api.path, body, c.contentType)
        expect(response.status).toBe(c.status)
        expect(response.headers.get('content-type')).toStartWith('application/json')
        const error = await response.json()
        expect(error).toEqual(api.error(c.status, c.code, c.message))
        const message: string = error.error.message
        expect(message.trim().length).toBeGreaterThan(0)
        expect(up.received).toEqual([])
        expect(logged).toEqual([])
      })
    }
  })
}
