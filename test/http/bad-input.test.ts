/** Invalid requests get a clear error in the inbound API's own shape, and the process carries on. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { post } from '../helpers/requests'

let lmlb: RunningLmlb
beforeAll(async () => {
  lmlb = await startLmlb()
})
afterAll(() => lmlb.stop())

const anthropicError = (type: string, message: string | RegExp) => ({
  type: 'error',
  error: { type, message: expect.stringMatching(message) },
})
const openaiError = (code: string, message: string | RegExp) => ({
  error: { message: expect.stringMatching(message), type: expect.any(String), param: null, code },
})

describe('bad input, Anthropic API', () => {
  const cases: [string, string, number, object][] = [
    ['empty body', '', 400, anthropicError('invalid_request_error', /body is empty/)],
    ['invalid JSON', '{"model": ', 400, anthropicError('invalid_request_error', /not valid JSON/)],
    ['missing max_tokens', '{"model":"mock/x","messages":[]}', 400, anthropicError('invalid_request_error', /^max_tokens: /)],
    ['missing model', '{"max_tokens":5,"messages":[]}', 400, anthropicError('invalid_request_error', /^model: /)],
    ['wrong type', '{"model":"mock/x","max_tokens":"5","messages":[]}', 400, anthropicError('invalid_request_error', /^max_tokens: /)],
    [
      'messages not an array',
      '{"model":"mock/x","max_tokens":5,"messages":{}}',
      400,
      anthropicError('invalid_request_error', /^messages: /),
    ],
    [
      'unknown model',
      '{"model":"llama-3","max_tokens":5,"messages":[]}',
      404,
      anthropicError('not_found_error', /"llama-3".*mock, openai, anthropic, gemini/),
    ],
    [
      'a service with no key',
      '{"model":"anthropic/claude-x","max_tokens":5,"messages":[]}',
      401,
      anthropicError('authentication_error', /ANTHROPIC_API_KEYS or ANTHROPIC_API_KEY/),
    ],
  ]
  for (const [name, body, status, shape] of cases) {
    test(name, async () => {
      const res = await post(lmlb.url, '/v1/messages', body)
      expect(res.status).toBe(status)
      expect(await res.json()).toEqual(shape)
    })
  }
})

describe('bad input, OpenAI API', () => {
  const cases: [string, string, number, object][] = [
    ['empty body', '   ', 400, openaiError('empty_body', /body is empty/)],
    ['invalid JSON', 'nope', 400, openaiError('invalid_json', /not valid JSON/)],
    ['no messages', '{"model":"mock/x","messages":[]}', 400, openaiError('invalid_request', /^messages: /)],
    ['a JSON array', '[1,2]', 400, openaiError('invalid_request', /Expected object/)],
    ['unknown model', '{"model":"mystery","messages":[{"role":"user","content":"x"}]}', 404, openaiError('model_not_found', /"mystery"/)],
    [
      'a service and no model after it',
      '{"model":"mock/","messages":[{"role":"user","content":"x"}]}',
      404,
      openaiError('model_not_found', /^model "mock\/" names service mock but no model/),
    ],
    [
      'a service with no key',
      '{"model":"gpt-4o","messages":[{"role":"user","content":"x"}]}',
      401,
      openaiError('no_upstream_key', /OPENAI_API_KEYS/),
    ],
  ]
  for (const [name, body, status, shape] of cases) {
    test(name, async () => {
      const res = await post(lmlb.url, '/v1/chat/completions', body)
      expect(res.status).toBe(status)
      expect(await res.json()).toEqual(shape)
    })
  }

  test('unknown paths answer 404 in the matching shape', async () => {
    const res = await fetch(`${lmlb.url}/v1/no/such/route`, { method: 'POST', body: '{}' })
    expect(res.status).toBe(404)
    expect(await res.json()).toEqual(openaiError('not_found', /POST \/v1\/no\/such\/route is not an lmlb endpoint/))
  })

  test('a content type other than JSON: 415', async () => {
    const res = await fetch(`${lmlb.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'model=x',
    })
    expect(res.status).toBe(415)
    expect(await res.json()).toEqual(openaiError('unsupported_media_type', /content-type must be application\/json/))
  })

  test('a body over the limit: 413, whether its length is declared or not', async () => {
    const small = await startLmlb({ env: { LMLB_MAX_BODY_BYTES: '1000' } })
    try {
      const big = JSON.stringify({ model: 'mock/x', messages: [{ role: 'user', content: 'x'.repeat(2000) }] })
      const declared = await fetch(`${small.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: big,
      })
      expect(declared.status).toBe(413)
      expect(await declared.json()).toEqual(openaiError('request_too_large', /larger than 1000 bytes \(LMLB_MAX_BODY_BYTES\)/))
      const chunked = await fetch(`${small.url}/v1/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode(big.slice(0, 600)))
            c.enqueue(new TextEncoder().encode(big.slice(600)))
            c.close()
          },
        }),
      })
      expect(chunked.status).toBe(413)
      expect(await chunked.json()).toEqual(anthropicError('request_too_large', /larger than 1000 bytes/))
    } finally {
      await small.stop()
    }
  })

  test('the process is still serving after all of the above', async () => {
    const res = await fetch(`${lmlb.url}/health`)
    expect(res.status).toBe(200)
    expect(lmlb.alive()).toBe(true)
  })
})
