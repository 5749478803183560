/**
 * Translation end to end, as the official clients see it: the Anthropic SDK
 * served by an OpenAI-format upstream, the OpenAI SDK served by an Anthropic
 * one; what each upstream received is checked too.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'
import { anthropicEvent, chatStream, sseResponse } from '../helpers/requests'
import { chunk, scriptedAnthropic, scriptedOpenAI } from '../helpers/scripted'

let oai: FakeUpstream
let ant: FakeUpstream
let lmlb: RunningLmlb

beforeAll(async () => {
  oai = startUpstream('oai', scriptedOpenAI)
  ant = startUpstream('ant', scriptedAnthropic)
  lmlb = await startLmlb({
    env: {
      OPENAI_API_KEYS: 'sk-oai-translate-0001',
      ANTHROPIC_API_KEYS: 'sk-ant-translate-0001',
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [oai.base], anthropic: [ant.base] }),
    },
  })
})
afterAll(async () => {
  await lmlb.stop()
  await Promise.all([oai.stop(), ant.stop()])
})
beforeEach(() => {
  oai.reset()
  ant.reset()
})

const weatherTool = {
  name: 'get_weather',
  description: 'Weather for a city',
  input_schema: { type: 'object' as const, properties: { city: { type: 'string' } }, required: ['city'] },
}

describe('Anthropic SDK served by an OpenAI-format model', () => {
  const client = () =>
    new Anthropic({
      baseURL: lmlb.url,
      apiKey: 'client',
      maxRetries: 0,
      defaultHeaders: { 'anthropic-beta': 'interleaved-thinking-2025-05-14' },
    })

  test('messages.create: the answer names the model asked for; the upstream got an OpenAI request', async () => {
    const message = await client().messages.create({
      model: 'claude-sonnet-test',
      max_tokens: 20000,
      system: 'Be brief.',
      messages: [{ role: 'user', content: 'Weather?' }],
    })
    expect(message).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'claude-sonnet-test',
      content: [{ type: 'text', text: 'It is sunny.' }],
      stop_reason: 'end_turn',
    })
    expect(message.id).toMatch(/^msg_/)
    expect(message.usage).toMatchObject({ input_tokens: 20, output_tokens: 5 })
    const [r] = oai.received
    expect(r.path).toBe('/v1/chat/completions')
    expect(r.headers.authorization).toBe('Bearer sk-oai-translate-0001')
    expect(r.headers['anthropic-beta']).toBeUndefined()
    expect(r.headers['anthropic-version']).toBeUndefined()
    expect(r.body).toMatchObject({
      model: 'gpt-4.1',
      max_tokens: 20000,
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
      ],
    })
  })

  test('messages.stream().finalMessage(): text, then a tool_use with its whole input', async () => {
    const final = await client()
      .messages.stream({
        model: 'claude-opus-4-1',
        max_tokens: 1000,
        tools: [weatherTool],
        messages: [{ role: 'user', content: 'Weather in Paris?' }],
      })
      .finalMessage()
    expect(final.content).toMatchObject([
      { type: 'text', text: 'Let me look. ' },
      { type: 'tool_use', id: 'call_w', name: 'get_weather', input: { city: 'Paris' } },
    ])
    expect(final.stop_reason).toBe('tool_use')
    expect(final.usage.output_tokens).toBe(5)
    expect(oai.received[0].body).toMatchObject({
      stream: true,
      stream_options: { include_usage: true },
      tools: [{ type: 'function', function: { name: 'get_weather' } }],
    })
  })

  test('the tool result goes back as a tool message, and the answer streams as text', async () => {
    const final = await client()
      .messages.stream({
        model: 'claude-opus-4-1',
        max_tokens: 1000,
        tools: [weatherTool],
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'call_w', name: 'get_weather', input: { city: 'Paris' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_w', content: 'sunny, 21°C' }] },
        ],
      })
      .finalMessage()
    expect(final.content).toMatchObject([{ type: 'text', text: 'It is sunny.' }])
    expect(oai.received[0].body.messages).toEqual([
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_w', content: 'sunny, 21°C' },
    ])
  })

  test('an upstream error arrives in the Anthropic shape, message and status kept', async () => {
    oai.handle(() =>
      Response.json(
        {
          error: {
            message: "This model's maximum context length is 128000 tokens",
            type: 'invalid_request_error',
            code: 'context_length_exceeded',
          },
        },
        { status: 400 },
      ),
    )
    const error = await client()
      .messages.create({ model: 'gpt-4.1', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] })
      .then(
        () => undefined,
        (e: { status: number; error: unknown }) => e,
      )
    expect(error?.status).toBe(400)
    expect(error?.error).toEqual({
      type: 'error',
      error: { type: 'invalid_request_error', message: "This model's maximum context length is 128000 tokens" },
    })
  })

  test('an upstream error mid-stream becomes an Anthropic error event', async () => {
    oai.handle(() => chatStream([chunk({ content: 'partial' }), { error: { message: 'server overloaded', type: 'server_error' } }], false))
    const res = await fetch(`${lmlb.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'x' }] }),
    })
    const text = await res.text()
    expect(text).toContain('event: content_block_delta')
    expect(text.trim().split('\n\n').at(-1)).toBe(
      'event: error\ndata: {"type":"error","error":{"type":"api_error","message":"server overloaded"}}',
    )
  })

  test('an upstream answer that is not JSON: 502 in the Anthropic shape, not a crash', async () => {
    oai.handle(() => new Response('<html>gateway</html>', { headers: { 'content-type': 'application/json' } }))
    const res = await fetch(`${lmlb.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4.1', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
    })
    expect(res.status).toBe(502)
    expect(await res.json()).toMatchObject({
      type: 'error',
      error: { type: 'api_error', message: expect.stringContaining('could not be translated') },
    })
  })

  test('count_tokens for an OpenAI-format model: a local estimate', async () => {
    const count = await client().messages.countTokens({
      model: 'gpt-4.1',
      system: 'Be brief.',
      tools: [weatherTool],
      messages: [{ role: 'user', content: 'How is the weather in Paris today?' }],
    })
    expect(count.input_tokens).toBeGreaterThan(15)
    expect(count.input_tokens).toBeLessThan(80)
    expect(oai.received).toHaveLength(0)
  })
})

describe('OpenAI SDK served by an Anthropic model', () => {
  const client = () => new OpenAI({ baseURL: `${lmlb.url}/v1`, apiKey: 'client', maxRetries: 0 })

  test('create: text; the upstream got an Anthropic request with the key and version', async () => {
    const res = await client().chat.completions.create({
      model: 'anthropic/claude-x',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Weather?' },
      ],
    })
    expect(res).toMatchObject({
      object: 'chat.completion',
      model: 'anthropic/claude-x',
      choices: [{ message: { role: 'assistant', content: 'It is sunny.' }, finish_reason: 'stop' }],
    })
    expect(res.usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 })
    const [r] = ant.received
    expect(r.path).toBe('/v1/messages')
    expect(r.headers['x-api-key']).toBe('sk-ant-translate-0001')
    expect(r.headers['anthropic-version']).toBe('2023-06-01')
    expect(r.headers.authorization).toBeUndefined()
    expect(r.body).toEqual({
      model: 'claude-x',
      system: 'Be brief.',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Weather?' }] }],
      max_tokens: 4096,
    })
  })

  test('stream: text deltas, finish_reason, a usage chunk, [DONE]', async () => {
    const stream = await client().chat.completions.create({
      model: 'anthropic/claude-x',
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: 'user', content: 'Weather?' }],
    })
    let text = ''
    let finish: string | null = null
    let usage
    for await (const c of stream) {
      text += c.choices[0]?.delta?.content ?? ''
      finish = c.choices[0]?.finish_reason ?? finish
      usage ??= c.usage ?? undefined
    }
    expect([text, finish]).toEqual(['It is sunny.', 'stop'])
    expect(usage).toMatchObject({ prompt_tokens: 20, completion_tokens: 5 })
  })

  const tools = [
    {
      type: 'function' as const,
      function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
    },
  ]

  test('tool calls, not streamed and streamed', async () => {
    const res = await client().chat.completions.create({
      model: 'anthropic/claude-x',
      tools,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    })
    expect(res.choices[0]).toMatchObject({
      finish_reason: 'tool_calls',
      message: {
        content: null,
        tool_calls: [{ id: 'toolu_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
    })
    const stream = client().chat.completions.stream({
      model: 'anthropic/claude-x',
      tools,
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    })
    const final = await stream.finalChatCompletion()
    expect(final.choices[0].message.tool_calls).toMatchObject([
      { id: 'toolu_w', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ])
    expect(final.choices[0].finish_reason).toBe('tool_calls')
  })

  test('a tool call without arguments: "{}" streamed as not (Anthropic streams it as one empty input_json_delta)', async () => {
    ant.handle((r) => {
      if (!r.body.stream) {
        return Response.json({
          id: 'msg_n',
          type: 'message',
          role: 'assistant',
          model: 'claude-x',
          content: [{ type: 'tool_use', id: 'toolu_n', name: 'now', input: {} }],
          stop_reason: 'tool_use',
          stop_sequence: null,
          usage: { input_tokens: 5, output_tokens: 3 },
        })
      }
      const events = [
        anthropicEvent('message_start', {
          message: {
            id: 'msg_n',
            type: 'message',
            role: 'assistant',
            model: 'claude-x',
            content: [],
            usage: { input_tokens: 5, output_tokens: 1 },
          },
        }),
        anthropicEvent('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_n', name: 'now', input: {} } }),
        anthropicEvent('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '' } }),
        anthropicEvent('content_block_stop', { index: 0 }),
        anthropicEvent('message_delta', { delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 3 } }),
        anthropicEvent('message_stop', {}),
      ]
      return sseResponse(events.join(''))
    })
    const now = [{ type: 'function' as const, function: { name: 'now', parameters: { type: 'object', properties: {} } } }]
    const res = await client().chat.completions.create({
      model: 'anthropic/claude-x',
      tools: now,
      messages: [{ role: 'user', content: 'Time?' }],
    })
    expect(res.choices[0].message.tool_calls?.[0]).toMatchObject({ function: { name: 'now', arguments: '{}' } })
    const final = await client()
      .chat.completions.stream({ model: 'anthropic/claude-x', tools: now, messages: [{ role: 'user', content: 'Time?' }] })
      .finalChatCompletion()
    expect(final.choices[0].message.tool_calls?.[0]).toMatchObject({ id: 'toolu_n', function: { name: 'now', arguments: '{}' } })
  })

  test("Anthropic's 529 overloaded reaches an OpenAI client as 503 in its own shape", async () => {
    ant.handle(() => Response.json({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, { status: 529 }))
    const error = await client()
      .chat.completions.create({ model: 'anthropic/claude-x', messages: [{ role: 'user', content: 'x' }] })
      .then(
        () => undefined,
        (e: { status: number; error: unknown }) => e,
      )
    expect(error?.status).toBe(503)
    expect(error?.error).toMatchObject({ message: 'Overloaded', code: 'overloaded_error' })
  })
})
