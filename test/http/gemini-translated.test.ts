/**
 * Gemini's API across formats through lmlb (issue 25, point 3, the Chat
 * pivot's two mappings): the real `@google/genai` SDK on an OpenAI-format
 * model, and the real OpenAI SDK on a Gemini-format model, whole, streamed
 * and through a tool call, against stand-ins that record what they get. A
 * function call's thought signature goes back to Gemini on the next turn,
 * carried in the tool call's id.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test'
import { GoogleGenAI } from '@google/genai'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { defaultReply, startUpstream, type FakeUpstream, type Received } from '../helpers/upstream'

const GEMINI_KEY = 'gem-key-aaaa1111'
const OPENAI_KEY = 'sk-openai-key-0001'
const SIGNATURE = Buffer.from('a thought signature, opaque bytes').toString('base64')

/** Google's answers: text, or a function call carrying a thought signature; whole or as Google streams them. */
function googleReply({ path, body }: Received): Response {
  const asked = JSON.stringify(body)
  const parts = asked.includes('functionResponse')
    ? [{ text: 'It is sunny.' }]
    : asked.includes('functionDeclarations')
      ? [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: SIGNATURE }]
      : [{ text: 'hello from gemini' }]
  const answer = {
    candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 9, candidatesTokenCount: 4, totalTokenCount: 13 },
    modelVersion: 'gemini-2.5-flash',
    responseId: 'resp-g1',
  }
  if (!path.endsWith(':streamGenerateContent')) return Response.json(answer)
  return new Response(`data: ${JSON.stringify(answer)}\r\n\r\n`, { headers: { 'content-type': 'text/event-stream' } })
}

/** OpenAI's answers: a tool call when tools are offered and no result has come back, else text. */
function openaiReply({ path, body }: Received): Response {
  if (path.endsWith('/embeddings'))
    return Response.json({
      object: 'list',
      // Out of order, as an upstream may give them: index says which is which.
      data: body.input.map((_: string, i: number) => ({ object: 'embedding', index: i, embedding: [i, 0.25] })).reverse(),
      model: body.model,
      usage: { prompt_tokens: 4, total_tokens: 4 },
    })
  const toolTurn = body.tools && !body.messages.some((m: { role: string }) => m.role === 'tool')
  const message = toolTurn
    ? {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_w1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      }
    : { role: 'assistant', content: 'hello from openai' }
  const answer = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: body.model,
    choices: [{ index: 0, message, finish_reason: toolTurn ? 'tool_calls' : 'stop' }],
    usage: { prompt_tokens: 9, completion_tokens: 4, total_tokens: 13 },
  }
  if (!body.stream) return Response.json(answer)
  const head = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: body.model }
  const chunk = (delta: object, finish: string | null) =>
    `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
  const text = ['hello', ' from', ' openai'].map((t) => chunk({ content: t }, null)).join('')
  return new Response(`${chunk({ role: 'assistant', content: '' }, null)}${text}${chunk({}, 'stop')}data: [DONE]\n\n`, {
    headers: { 'content-type': 'text/event-stream' },
  })
}

/** Anthropic's answers: a tool_use when tools are offered and no result has come back, else the default text. */
function anthropicReply(received: Received, request: Request): Response | Promise<Response> {
  const { body } = received
  const answered = JSON.stringify(body.messages).includes('tool_result')
  if (!body.tools || answered) return defaultReply('anthropic')(received, request)
  const use = { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }
  return Response.json({
    id: 'msg_1',
    type: 'message',
    role: 'assistant',
    model: body.model,
    content: [use],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 9, output_tokens: 4 },
  })
}

let gem: FakeUpstream
let oai: FakeUpstream
let ant: FakeUpstream
let lmlb: RunningLmlb

beforeAll(async () => {
  gem = startUpstream('gemini', googleReply)
  oai = startUpstream('openai', openaiReply)
  ant = startUpstream('anthropic', anthropicReply)
  lmlb = await startLmlb({
    args: ['--config', 'lmlb.yaml'],
    files: { 'lmlb.yaml': `services:\n  gemini:\n    format: gemini\n    endpoints: [${gem.base.replace(/\/v1$/, '/v1beta')}]\n` },
    env: {
      GEMINI_API_KEY: GEMINI_KEY,
      OPENAI_API_KEY: OPENAI_KEY,
      ANTHROPIC_API_KEY: 'sk-ant-key-0001',
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [oai.base], anthropic: [ant.base] }),
    },
  })
})

afterAll(async () => {
  await lmlb.stop()
  await Promise.all([gem.stop(), oai.stop(), ant.stop()])
})

beforeEach(() => {
  gem.reset()
  oai.reset()
  ant.reset()
})

const google = () => new GoogleGenAI({ apiKey: 'any', httpOptions: { baseUrl: lmlb.url } })
const openai = () => new OpenAI({ apiKey: 'any', baseURL: `${lmlb.url}/v1` })
const weatherTool = {
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object' as const, properties: { city: { type: 'string' } } },
}

test('@google/genai on an OpenAI-format model: a Chat request with the system prompt and the turns, the answer as Gemini says it', async () => {
  const res = await google().models.generateContent({
    model: 'openai/gpt-4o',
    contents: 'hi',
    config: { systemInstruction: 'Be brief.', maxOutputTokens: 50 },
  })
  expect(res.text).toBe('hello from openai')
  expect(res.usageMetadata).toMatchObject({ promptTokenCount: 9, candidatesTokenCount: 4 })
  const [sent] = oai.received
  expect(sent.path).toBe('/v1/chat/completions')
  expect(sent.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`)
  expect(sent.body).toMatchObject({
    model: 'gpt-4o',
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ],
  })
})

test('@google/genai countTokens on an OpenAI-format model: a local estimate, nothing sent upstream', async () => {
  const ai = google()
  const short = await ai.models.countTokens({ model: 'openai/gpt-4o', contents: 'hi' })
  const long = await ai.models.countTokens({
    model: 'openai/gpt-4o',
    contents: [{ role: 'user', parts: [{ text: 'Tell me about the weather in Paris and in Rome, in some detail.' }] }],
  })
  expect(short.totalTokens).toBeGreaterThan(0)
  expect(long.totalTokens).toBeGreaterThan(short.totalTokens!)
  expect(oai.received).toEqual([])
})

test('@google/genai embedContent on an OpenAI-format model: its /embeddings, the vectors back in order', async () => {
  const ai = google()
  const many = await ai.models.embedContent({ model: 'openai/text-embedding-3-small', contents: ['first', 'second'] })
  expect(many.embeddings?.map((e) => e.values)).toEqual([
    [0, 0.25],
    [1, 0.25],
  ])
  const raw = await fetch(`${lmlb.url}/v1beta/models/openai%2Ftext-embedding-3-small:embedContent`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ content: { parts: [{ text: 'one' }, { text: 'text' }] }, outputDimensionality: 2 }),
  })
  expect(await raw.json()).toEqual({ embedding: { values: [0, 0.25] } })
  expect(oai.received.map((r) => [r.path, r.body])).toEqual([
    ['/v1/embeddings', { model: 'text-embedding-3-small', input: ['first', 'second'] }],
    ['/v1/embeddings', { model: 'text-embedding-3-small', input: ['one\ntext'], dimensions: 2 }],
  ])
})

test('@google/genai streaming on an OpenAI-format model: the Chat stream comes back as Gemini events', async () => {
  const pieces: string[] = []
  for await (const chunk of await google().models.generateContentStream({ model: 'openai/gpt-4o', contents: 'hi' }))
    pieces.push(chunk.text ?? '')
  expect(pieces.join('')).toBe('hello from openai')
  expect(oai.received[0].body).toMatchObject({ stream: true, stream_options: { include_usage: true } })
})

test('@google/genai function calling on an OpenAI-format model: the call, then its result as a tool message answering it', async () => {
  const ai = google()
  const config = {
    tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'The weather', parametersJsonSchema: weatherTool.parameters }] }],
  }
  const first = await ai.models.generateContent({ model: 'openai/gpt-4o', contents: 'Weather in Paris?', config })
  expect(first.functionCalls).toEqual([expect.objectContaining({ name: 'get_weather', args: { city: 'Paris' } })])
  const call = first.candidates![0].content!
  const second = await ai.models.generateContent({
    model: 'openai/gpt-4o',
    config,
    contents: [
      { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
      call,
      { role: 'user', parts: [{ functionResponse: { id: first.functionCalls![0].id, name: 'get_weather', response: { sky: 'sunny' } } }] },
    ],
  })
  expect(second.text).toBe('hello from openai')
  const messages = oai.received[1].body.messages
  const toolCallId = messages.find((m: any) => m.role === 'assistant').tool_calls[0].id
  expect(messages.find((m: any) => m.role === 'tool')).toEqual({ role: 'tool', tool_call_id: toolCallId, content: '{"sky":"sunny"}' })
})

test('the OpenAI SDK on a Gemini-format model: generateContent with the key as x-goog-api-key, whole and streamed', async () => {
  const client = openai()
  const whole = await client.chat.completions.create({ model: 'gemini/gemini-2.5-flash', messages: [{ role: 'user', content: 'hi' }] })
  expect(whole.choices[0].message.content).toBe('hello from gemini')
  expect(whole.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 4 })
  const stream = await client.chat.completions.create({
    model: 'gemini/gemini-2.5-flash',
    messages: [{ role: 'user', content: 'hi' }],
    stream: true,
  })
  let text = ''
  for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? ''
  expect(text).toBe('hello from gemini')
  expect(gem.received.map((r) => `${r.path}${r.search}`)).toEqual([
    '/v1beta/models/gemini-2.5-flash:generateContent',
    '/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse',
  ])
  for (const r of gem.received) {
    expect(r.headers['x-goog-api-key']).toBe(GEMINI_KEY)
    expect(r.headers.authorization).toBeUndefined()
    expect(r.body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })
  }
})

test("the OpenAI SDK's tool loop on a Gemini-format model: the call's thought signature goes back to Gemini on the next turn", async () => {
  const client = openai()
  const tools = [{ type: 'function' as const, function: weatherTool }]
  const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'Weather in Paris?' }]
  const first = await client.chat.completions.create({ model: 'gemini/gemini-2.5-flash', messages, tools })
  const call = first.choices[0].message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall
  expect([first.choices[0].finish_reason, call.function.name, JSON.parse(call.function.arguments)]).toEqual([
    'tool_calls',
    'get_weather',
    { city: 'Paris' },
  ])
  messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '{"sky":"sunny"}' })
  const second = await client.chat.completions.create({ model: 'gemini/gemini-2.5-flash', messages, tools })
  expect(second.choices[0].message.content).toBe('It is sunny.')
  const [callTurn, resultTurn] = gem.received[1].body.contents.slice(1)
  expect(callTurn.role).toBe('model')
  const part = callTurn.parts.find((p: any) => p.functionCall)
  expect(part.functionCall).toMatchObject({ name: 'get_weather', args: { city: 'Paris' } })
  // The same bytes (base64 or base64url: Gemini reads either).
  expect(Buffer.from(part.thoughtSignature, 'base64url')).toEqual(Buffer.from(SIGNATURE, 'base64'))
  expect(resultTurn.parts[0].functionResponse).toMatchObject({ name: 'get_weather', response: { sky: 'sunny' } })
  // Gemini's own schema rules on the way: the tool's schema cleaned of what Gemini refuses.
  expect(gem.received[0].body.tools[0].functionDeclarations[0]).toMatchObject({ name: 'get_weather' })
})

test("Gemini's account-bound endpoints go as they came to a Gemini pool of one key: the client's key left out of the query", async () => {
  const list = await fetch(`${lmlb.url}/v1beta/files?key=client-key-1234&pageSize=10`)
  expect(list.status).toBe(200)
  const upload = await fetch(`${lmlb.url}/upload/v1beta/files?uploadType=resumable`, {
    method: 'POST',
    headers: { 'x-goog-api-key': 'client' },
    body: '{}',
  })
  expect(upload.status).toBe(200)
  expect(gem.received.map((r) => [r.method, `${r.path}${r.search}`, r.headers['x-goog-api-key']])).toEqual([
    ['GET', '/v1beta/files?pageSize=10', GEMINI_KEY],
    ['POST', '/upload/v1beta/files?uploadType=resumable', GEMINI_KEY],
  ])
})

test('through the Chat pivot: @google/genai on an Anthropic-format model, whole and streamed', async () => {
  const ai = google()
  const whole = await ai.models.generateContent({ model: 'anthropic/claude-sonnet-4-5', contents: 'hi', config: { maxOutputTokens: 100 } })
  expect(whole.text).toBe('reply from anthropic')
  let streamed = ''
  for await (const chunk of await ai.models.generateContentStream({ model: 'anthropic/claude-sonnet-4-5', contents: 'hi' }))
    streamed += chunk.text ?? ''
  expect(streamed).toBe('reply from anthropic')
  expect(ant.received.map((r) => [r.path, r.body.model, r.body.stream ?? false, r.body.messages])).toEqual([
    ['/v1/messages', 'claude-sonnet-4-5', false, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]],
    ['/v1/messages', 'claude-sonnet-4-5', true, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]],
  ])
})

test('through the Chat pivot: the Anthropic SDK on a Gemini-format model, a tool loop whose thought signature reaches Gemini', async () => {
  const client = new Anthropic({ apiKey: 'any', baseURL: lmlb.url })
  const tools: Anthropic.Tool[] = [{ name: 'get_weather', description: 'The weather in a city', input_schema: weatherTool.parameters }]
  const question = { role: 'user' as const, content: 'Weather in Paris?' }
  const first = await client.messages.create({ model: 'gemini/gemini-2.5-flash', max_tokens: 1000, messages: [question], tools })
  const use = first.content.find((b) => b.type === 'tool_use')!
  expect([first.stop_reason, use.name, use.input]).toEqual(['tool_use', 'get_weather', { city: 'Paris' }])
  const result = { role: 'user' as const, content: [{ type: 'tool_result' as const, tool_use_id: use.id, content: 'sunny' }] }
  const stream = client.messages.stream({
    model: 'gemini/gemini-2.5-flash',
    max_tokens: 1000,
    messages: [question, { role: 'assistant', content: first.content }, result],
    tools,
  })
  expect(await stream.finalText()).toBe('It is sunny.')
  const part = gem.received[1].body.contents[1].parts.find((p: any) => p.functionCall)
  expect(Buffer.from(part.thoughtSignature, 'base64url')).toEqual(Buffer.from(SIGNATURE, 'base64'))
  expect(gem.received.map((r) => r.path)).toEqual([
    '/v1beta/models/gemini-2.5-flash:generateContent',
    '/v1beta/models/gemini-2.5-flash:streamGenerateContent',
  ])
})

test("through the Chat pivot: the OpenAI SDK's Responses calls on a Gemini-format model, whole and streamed", async () => {
  const client = openai()
  const whole = await client.responses.create({ model: 'gemini/gemini-2.5-flash', input: 'hi', store: false })
  expect(whole.output_text).toBe('hello from gemini')
  const stream = await client.responses.create({ model: 'gemini/gemini-2.5-flash', input: 'hi', stream: true, store: false })
  let text = ''
  for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta
  expect(text).toBe('hello from gemini')
  expect(gem.received.map((r) => r.body.contents)).toEqual([
    [{ role: 'user', parts: [{ text: 'hi' }] }],
    [{ role: 'user', parts: [{ text: 'hi' }] }],
  ])
})

test('through the Chat pivot: @google/genai function calling on an Anthropic-format model, the result a tool_result answering its call', async () => {
  const ai = google()
  const config = {
    tools: [{ functionDeclarations: [{ name: 'get_weather', description: 'The weather', parametersJsonSchema: weatherTool.parameters }] }],
  }
  const first = await ai.models.generateContent({ model: 'anthropic/claude-sonnet-4-5', contents: 'Weather in Paris?', config })
  expect(first.functionCalls).toEqual([expect.objectContaining({ name: 'get_weather', args: { city: 'Paris' } })])
  const second = await ai.models.generateContent({
    model: 'anthropic/claude-sonnet-4-5',
    config,
    contents: [
      { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
      first.candidates![0].content!,
      { role: 'user', parts: [{ functionResponse: { id: first.functionCalls![0].id, name: 'get_weather', response: { sky: 'sunny' } } }] },
    ],
  })
  expect(second.text).toBe('reply from anthropic')
  const [, call, result] = ant.received[1].body.messages
  const use = call.content.find((b: any) => b.type === 'tool_use')
  expect(result.content[0]).toMatchObject({ type: 'tool_result', tool_use_id: use.id })
  expect(JSON.stringify(result.content[0].content)).toContain('sunny')
})

test("through the Chat pivot: the OpenAI SDK's Responses tool loop on a Gemini-format model, the signature back with the call", async () => {
  const client = openai()
  const tools = [
    { type: 'function' as const, name: 'get_weather', description: 'The weather', parameters: weatherTool.parameters, strict: false },
  ]
  const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'Weather in Paris?' }]
  const first = await client.responses.create({ model: 'gemini/gemini-2.5-flash', input, tools, store: false })
  const call = first.output.find((o) => o.type === 'function_call')!
  expect([call.name, JSON.parse(call.arguments)]).toEqual(['get_weather', { city: 'Paris' }])
  input.push(call, { type: 'function_call_output', call_id: call.call_id, output: '{"sky":"sunny"}' })
  const second = await client.responses.create({ model: 'gemini/gemini-2.5-flash', input, tools, store: false })
  expect(second.output_text).toBe('It is sunny.')
  const part = gem.received[1].body.contents[1].parts.find((p: any) => p.functionCall)
  expect(Buffer.from(part.thoughtSignature, 'base64url')).toEqual(Buffer.from(SIGNATURE, 'base64'))
  expect(gem.received[1].body.contents[2].parts[0].functionResponse).toMatchObject({ name: 'get_weather', response: { sky: 'sunny' } })
})
