/**
 * The Responses API translated, as the official OpenAI SDK sees it:
 * `responses.create` and `responses.stream` with a function tool round trip
 * on a Chat-Completions-only upstream and on an Anthropic one, what each
 * upstream received, and the refusals of what lmlb cannot translate.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import type { ResponseInputItem } from 'openai/resources/responses/responses'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { anthropicEvent, sseResponse } from '../helpers/requests'
import { scriptedAnthropic, scriptedOpenAI } from '../helpers/scripted'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

let chat: FakeUpstream
let ant: FakeUpstream
let lmlb: RunningLmlb

beforeAll(async () => {
  chat = startUpstream('chat', scriptedOpenAI)
  ant = startUpstream('ant', scriptedAnthropic)
  lmlb = await startLmlb({
    env: { ANTHROPIC_API_KEYS: 'sk-ant-responses-0001', SERVICE_ENDPOINTS: JSON.stringify({ anthropic: [ant.base] }) },
    args: ['--config', 'lmlb.yaml'],
    files: { 'lmlb.yaml': `services:\n  chatonly:\n    endpoints: ["${chat.base}"]\n    keys: [sk-chat-only-key-0001]\n` },
  })
})

afterAll(async () => {
  await lmlb.stop()
  await Promise.all([chat.stop(), ant.stop()])
})

beforeEach(() => {
  chat.reset()
  ant.reset()
})

const client = () => new OpenAI({ baseURL: `${lmlb.url}/v1`, apiKey: 'client', maxRetries: 0 })
const tools = [
  {
    type: 'function' as const,
    name: 'get_weather',
    description: 'Weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    strict: false,
  },
]
const ask: ResponseInputItem[] = [{ role: 'user', content: 'Weather in Paris?' }]

/** Each upstream kind: its model name, its stand-in, and where its request holds the tool result. */
const KINDS = [
  {
    name: 'a Chat-Completions-only service',
    model: 'chatonly/gpt-test',
    up: () => chat,
    path: '/v1/chat/completions',
    toolResult: (body: any) => body.messages.find((m: any) => m.role === 'tool'),
  },
  {
    name: 'Anthropic',
    model: 'anthropic/claude-test',
    up: () => ant,
    path: '/v1/messages',
    toolResult: (body: any) =>
      body.messages.flatMap((m: any) => (Array.isArray(m.content) ? m.content : [])).find((b: any) => b.type === 'tool_result'),
  },
]

for (const kind of KINDS) {
  describe(`responses on ${kind.name}`, () => {
    test('create: a function call item, then, given its output, the answer text', async () => {
      const first = await client().responses.create({ model: kind.model, input: ask, tools, instructions: 'Be brief.' })
      expect(first.status).toBe('completed')
      expect(first.model).toBe(kind.model)
      const call = first.output.find((item) => item.type === 'function_call')
      expect(call).toMatchObject({ type: 'function_call', name: 'get_weather', arguments: '{"city":"Paris"}', call_id: expect.any(String) })
      if (call?.type !== 'function_call') throw new Error('no call')
      const second = await client().responses.create({
        model: kind.model,
        tools,
        input: [...ask, call, { type: 'function_call_output', call_id: call.call_id, output: '18°C, sunny' }],
      })
      expect(second.output_text).toBe('It is sunny.')
      expect(second.usage).toMatchObject({ input_tokens: 20, output_tokens: 5 })

      const [r1, r2] = kind.up().received
      expect([r1.path, r2.path]).toEqual([kind.path, kind.path])
      expect(r1.body.model).toBe(kind.model.split('/')[1])
      expect(JSON.stringify(r1.body)).toContain('Be brief.')
      expect(JSON.stringify(kind.toolResult(r2.body))).toContain('18°C, sunny')
    })

    test('stream: the SDK accumulates the function call, then the text, from the translated events', async () => {
      const stream = client().responses.stream({ model: kind.model, input: ask, tools })
      const types: string[] = []
      for await (const event of stream) types.push(event.type)
      const first = await stream.finalResponse()
      expect(types[0]).toBe('response.created')
      expect(types.at(-1)).toBe('response.completed')
      expect(types).toContain('response.function_call_arguments.delta')
      const call = first.output.find((item) => item.type === 'function_call')
      if (call?.type !== 'function_call') throw new Error(`no function call in ${JSON.stringify(first.output)}`)
      expect(JSON.parse(call.arguments)).toEqual({ city: 'Paris' })

      const next = client().responses.stream({
        model: kind.model,
        tools,
        input: [...ask, call, { type: 'function_call_output', call_id: call.call_id, output: '18°C' }],
      })
      let text = ''
      next.on('response.output_text.delta', (e) => (text += e.delta))
      const second = await next.finalResponse()
      expect([text, second.output_text, second.status]).toEqual(['It is sunny.', 'It is sunny.', 'completed'])
      expect(kind.up().received.every((r) => r.body.stream === true)).toBe(true)
    })
  })
}

test('a tool call without arguments from Anthropic (one empty input_json_delta) arrives as "{}"', async () => {
  ant.handle(() => {
    const body = [
      anthropicEvent('message_start', {
        message: {
          id: 'msg_n',
          type: 'message',
          role: 'assistant',
          model: 'claude-test',
          content: [],
          usage: { input_tokens: 5, output_tokens: 1 },
        },
      }),
      anthropicEvent('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_n', name: 'now', input: {} } }),
      anthropicEvent('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '' } }),
      anthropicEvent('content_block_stop', { index: 0 }),
      anthropicEvent('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 3 } }),
      anthropicEvent('message_stop', {}),
    ].join('')
    return sseResponse(body)
  })
  const now = [{ type: 'function' as const, name: 'now', parameters: { type: 'object', properties: {} }, strict: false }]
  const stream = client().responses.stream({ model: 'anthropic/claude-test', input: 'Time?', tools: now })
  const done: string[] = []
  stream.on('response.function_call_arguments.done', (e) => done.push(e.arguments))
  const final = await stream.finalResponse()
  expect(done).toEqual(['{}'])
  expect(final.output).toMatchObject([{ type: 'function_call', name: 'now', arguments: '{}', call_id: 'toolu_n' }])
})

describe('reasoning.effort (Codex sends one every turn)', () => {
  test('a Chat-only service gets reasoning_effort only for a model that takes it', async () => {
    await client().responses.create({ model: 'chatonly/gpt-4.1', input: 'hi', reasoning: { effort: 'high' } })
    await client().responses.create({ model: 'chatonly/gpt-5-mini', input: 'hi', reasoning: { effort: 'high' } })
    expect(chat.received.map((r) => [r.body.model, r.body.reasoning_effort])).toEqual([
      ['gpt-4.1', undefined],
      ['gpt-5-mini', 'high'],
    ])
  })

  test('Anthropic gets a thinking budget, but not in a tool loop, whose earlier thinking a translated history cannot give back', async () => {
    const first = await client().responses.create({ model: 'anthropic/claude-test', input: ask, tools, reasoning: { effort: 'low' } })
    const call = first.output.find((item) => item.type === 'function_call')!
    await client().responses.create({
      model: 'anthropic/claude-test',
      input: [...ask, call, { type: 'function_call_output', call_id: (call as { call_id: string }).call_id, output: '18°C' }],
      tools,
      reasoning: { effort: 'low' },
    })
    expect(ant.received.map((r) => r.body.thinking)).toEqual([{ type: 'enabled', budget_tokens: 2048 }, undefined])
  })
})

describe('what translation cannot do: a clear 400, nothing sent upstream', () => {
  const refused = async (body: object) => {
    const res = await fetch(`${lmlb.url}/v1/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    const json = await res.json()
    return [res.status, json.error.code, json.error.message]
  }

  test('previous_response_id of a response lmlb did not make', async () => {
    const [status, code, message] = await refused({ model: 'anthropic/claude-test', input: 'and then?', previous_response_id: 'resp_1' })
    expect([status, code]).toEqual([400, 'untranslatable_request'])
    expect(message).toContain('"resp_1" is a response lmlb did not make')
    expect(ant.received).toEqual([])
  })

  test('an item_reference to an item the request does not hold', async () => {
    const [status, code, message] = await refused({
      model: 'chatonly/gpt-test',
      input: [
        { type: 'item_reference', id: 'fc_elsewhere' },
        { role: 'user', content: 'go on' },
      ],
    })
    expect([status, code]).toEqual([400, 'untranslatable_request'])
    expect(message).toContain('fc_elsewhere')
    expect(chat.received).toEqual([])
  })
})

test('the mock answers Responses clients too', async () => {
  const res = await client().responses.create({ model: 'mock/echo', input: 'hello there' })
  expect(res.output_text).toBe('You said: hello there')
  const stream = client().responses.stream({ model: 'mock/echo', input: 'streamed' })
  expect((await stream.finalResponse()).output_text).toBe('You said: streamed')
})
