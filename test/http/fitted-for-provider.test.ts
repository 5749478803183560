/**
 * A request translated into Chat Completions is fitted to its model and
 * provider, whatever API the client speaks (providers/models.ts): Gemini's
 * OpenAI endpoint refuses some JSON Schema keywords in tool schemas, so
 * Claude Code's tools (Messages) and Codex's (Responses, a custom tool
 * included) reach it without them; a model's output limit caps what is
 * asked; an effort goes only to models that take one.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { post } from '../helpers/requests'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

let gemini: FakeUpstream
let lmlb: RunningLmlb

beforeAll(async () => {
  gemini = startUpstream('gemini')
  lmlb = await startLmlb({
    env: { GEMINI_API_KEYS: 'gemini-schema-key-0001', SERVICE_ENDPOINTS: JSON.stringify({ gemini: [gemini.base] }) },
  })
})
afterAll(async () => {
  await lmlb.stop()
  await gemini.stop()
})
beforeEach(() => gemini.reset())

const refused = ['additionalProperties', '$schema', 'default', '"format":"uri"']

test('Responses client: a function tool with a format: uri field and a custom tool reach Gemini with cleaned schemas', async () => {
  const response = await post(lmlb.url, '/v1/responses', {
    model: 'gemini/gemini-2.5-flash',
    input: 'fetch it',
    tools: [
      {
        type: 'function',
        name: 'fetch_url',
        parameters: {
          $schema: 'http://json-schema.org/draft-07/schema#',
          type: 'object',
          additionalProperties: false,
          properties: { url: { type: 'string', format: 'uri', default: 'https://example.com' } },
          required: ['url'],
        },
      },
      { type: 'custom', name: 'apply_patch', description: 'Apply a patch' },
    ],
  })
  expect(response.status).toBe(200)
  const sent = gemini.received[0]
  expect(sent.path).toBe('/v1/chat/completions')
  const tools = JSON.stringify(sent.body.tools)
  for (const keyword of refused) expect([keyword, tools.includes(keyword)]).toEqual([keyword, false])
  expect(sent.body.tools.map((t: any) => t.function.name)).toEqual(['fetch_url', 'apply_patch'])
  expect(sent.body.tools[0].function.parameters.properties.url).toEqual({ type: 'string' })
})

test('Messages client (Claude Code on Gemini): the same cleaning', async () => {
  const response = await post(lmlb.url, '/v1/messages', {
    model: 'gemini/gemini-2.5-flash',
    max_tokens: 50,
    messages: [{ role: 'user', content: 'fetch it' }],
    tools: [
      {
        name: 'fetch_url',
        input_schema: { type: 'object', additionalProperties: false, properties: { url: { type: 'string', format: 'uri' } } },
      },
    ],
  })
  expect(response.status).toBe(200)
  const tools = JSON.stringify(gemini.received[0].body.tools)
  for (const keyword of refused) expect([keyword, tools.includes(keyword)]).toEqual([keyword, false])
})

test('Responses client on a Chat-only model: max_output_tokens capped at the model limit, an effort dropped where the model takes none', async () => {
  const response = await post(lmlb.url, '/v1/responses', {
    model: 'gemini/gemini-2.0-flash',
    input: 'hi',
    max_output_tokens: 200_000,
    reasoning: { effort: 'high' },
  })
  expect(response.status).toBe(200)
  const sent = gemini.received[0].body
  expect(sent.max_tokens).toBe(8_192)
  expect(sent).not.toHaveProperty('reasoning_effort')
})
