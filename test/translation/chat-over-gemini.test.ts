/**
 * A Chat client on Google's native Gemini API: request, whole answer and
 * stream, the thought signature's round trip through the tool call id,
 * and Gemini streams (CRLF-framed) cut at every byte.
 */
import { expect, test } from 'bun:test'
import type { GenerateContentResponse } from '../../src/apis/gemini/wire'
import type { OpenAIRequest } from '../../src/apis/openai-chat/wire'
import { SseDecoder } from '../../src/sse/decode'
import { chatOverGemini } from '../../src/translation/chat-over-gemini'
import { toGeminiRequest } from '../../src/translation/chat-over-gemini/request'
import { toOpenAIResponse } from '../../src/translation/chat-over-gemini/response'

const to = (req: Partial<OpenAIRequest>) => toGeminiRequest({ model: 'gemini-2.5-pro', messages: [], ...req } as OpenAIRequest)
const options = { model: 'gemini-2.5-pro', inputTokens: 0, stream: false }

test('Chat request → Gemini request: system/developer → systemInstruction; tool results folded into one user turn; calls keep id and signature', () => {
  const out = to({
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'developer', content: [{ type: 'text', text: 'Use tools.' }] },
      { role: 'user', content: 'Read a and b' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'call_r_0__thought__c2ln-_x', type: 'function', function: { name: 'read', arguments: '{"path":"a"}' } },
          { id: 'call_r_1', type: 'function', function: { name: 'read', arguments: '{"path":"b"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_r_0__thought__c2ln-_x', content: 'A' },
      { role: 'tool', tool_call_id: 'call_r_1', content: '{"lines":2}' },
      { role: 'user', content: 'Thanks' },
    ],
  })
  expect(out.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }, { text: 'Use tools.' }] })
  expect(out.contents).toEqual([
    { role: 'user', parts: [{ text: 'Read a and b' }] },
    {
      role: 'model',
      parts: [
        { functionCall: { id: 'call_r_0', name: 'read', args: { path: 'a' } }, thoughtSignature: 'c2ln-_x' },
        { functionCall: { id: 'call_r_1', name: 'read', args: { path: 'b' } } },
      ],
    },
    {
      role: 'user',
      parts: [
        { functionResponse: { id: 'call_r_0', name: 'read', response: { output: 'A' } } },
        { functionResponse: { id: 'call_r_1', name: 'read', response: { lines: 2 } } },
        { text: 'Thanks' },
      ],
    },
  ])
  expect(out).not.toHaveProperty('model')
  expect(out).not.toHaveProperty('generationConfig')
})

test('Chat request → Gemini request: tools: schemas cleaned for Gemini, an empty object schema left out; tool_choice → toolConfig', () => {
  const tools = [
    {
      type: 'function' as const,
      function: {
        name: 'f',
        description: 'F',
        parameters: {
          $schema: 'http://json-schema.org/draft-07/schema#',
          type: 'object',
          additionalProperties: false,
          properties: { default: { type: 'string', format: 'uri', default: 'x' } },
        },
      },
    },
    { type: 'function' as const, function: { name: 'g', parameters: { type: 'object', properties: {} } } },
  ]
  const out = to({ tools })
  expect(out.tools).toEqual([
    {
      functionDeclarations: [
        { name: 'f', description: 'F', parameters: { type: 'object', properties: { default: { type: 'string' } } } },
        { name: 'g' },
      ],
    },
  ])
  expect(out).not.toHaveProperty('toolConfig')
  expect(to({ tools, tool_choice: 'required' }).toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } })
  expect(to({ tools, tool_choice: 'none' }).toolConfig).toEqual({ functionCallingConfig: { mode: 'NONE' } })
  expect(to({ tools, tool_choice: 'auto' }).toolConfig).toEqual({ functionCallingConfig: { mode: 'AUTO' } })
  expect(to({ tools, tool_choice: { type: 'function', function: { name: 'g' } } }).toolConfig).toEqual({
    functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['g'] },
  })
})

test('Chat request → Gemini request: generation settings, JSON modes, reasoning effort, images', () => {
  const out = to({
    max_completion_tokens: 900,
    max_tokens: 100,
    temperature: 0.5,
    top_p: 0.8,
    stop: 'END',
    n: 2,
    seed: 7,
    reasoning_effort: 'high',
    response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
    messages: [
      {
        role: 'user',
        content: [
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } },
          { type: 'image_url', image_url: { url: 'https://example.com/a.webp?x=1' } },
        ],
      },
    ],
  })
  expect(out.generationConfig).toEqual({
    maxOutputTokens: 900,
    temperature: 0.5,
    topP: 0.8,
    seed: 7,
    candidateCount: 2,
    stopSequences: ['END'],
    responseMimeType: 'application/json',
    responseJsonSchema: { type: 'object' },
    thinkingConfig: { thinkingBudget: 24576, includeThoughts: true },
  })
  expect(out.contents[0].parts).toEqual([
    { inlineData: { mimeType: 'image/png', data: 'iVBOR' } },
    { fileData: { mimeType: 'image/webp', fileUri: 'https://example.com/a.webp?x=1' } },
  ])
  expect(to({ response_format: { type: 'json_object' } }).generationConfig).toEqual({ responseMimeType: 'application/json' })
  expect(to({ reasoning_effort: 'none' }).generationConfig).toEqual({ thinkingConfig: { thinkingBudget: 0 } })
})

const answer: GenerateContentResponse = {
  candidates: [
    {
      content: {
        role: 'model',
        parts: [
          { text: 'Plan: read.', thought: true },
          { text: 'Reading.' },
          { functionCall: { name: 'read', args: { path: 'a' } }, thoughtSignature: 'ab+/cd==' },
          { functionCall: { id: 'fc_2', name: 'read', args: { path: 'b' } } },
        ],
      },
      finishReason: 'STOP',
      index: 0,
    },
  ],
  usageMetadata: {
    promptTokenCount: 100,
    candidatesTokenCount: 20,
    totalTokenCount: 135,
    cachedContentTokenCount: 40,
    thoughtsTokenCount: 15,
  },
  modelVersion: 'gemini-2.5-pro',
  responseId: 'r1',
}

test('Gemini response → Chat completion: thoughts → reasoning, calls with the signature in the id, STOP after calls → tool_calls, usage', () => {
  const res = toOpenAIResponse(answer, { model: 'my-gemini' })
  expect(res).toMatchObject({ id: 'chatcmpl-r1', object: 'chat.completion', model: 'my-gemini' })
  expect(res.choices[0]).toEqual({
    index: 0,
    message: {
      role: 'assistant',
      content: 'Reading.',
      reasoning_content: 'Plan: read.',
      refusal: null,
      tool_calls: [
        { id: 'call_r1_0_0__thought__ab-_cd', type: 'function', function: { name: 'read', arguments: '{"path":"a"}' } },
        { id: 'fc_2', type: 'function', function: { name: 'read', arguments: '{"path":"b"}' } },
      ],
    },
    finish_reason: 'tool_calls',
  })
  expect(res.usage).toEqual({
    prompt_tokens: 100,
    completion_tokens: 35,
    total_tokens: 135,
    prompt_tokens_details: { cached_tokens: 40 },
    completion_tokens_details: { reasoning_tokens: 15 },
  } as typeof res.usage)
})

test('Gemini response → Chat completion: the signature comes back on its functionCall on the next turn (round trip through the id)', () => {
  const message = toOpenAIResponse(answer, { model: 'm' }).choices[0].message
  const next = to({
    messages: [
      { role: 'user', content: 'go' },
      message,
      ...(message.tool_calls ?? []).map((c) => ({ role: 'tool', tool_call_id: c.id, content: 'ok' })),
    ],
  })
  expect(next.contents[1]).toEqual({
    role: 'model',
    parts: [
      { text: 'Reading.' },
      { functionCall: { id: 'call_r1_0_0', name: 'read', args: { path: 'a' } }, thoughtSignature: 'ab-_cd' },
      { functionCall: { id: 'fc_2', name: 'read', args: { path: 'b' } } },
    ],
  })
  expect(next.contents[2].parts?.map((p) => p.functionResponse?.id)).toEqual(['call_r1_0_0', 'fc_2'])
})

test('Gemini response → Chat completion: finish reasons, and a blocked prompt', () => {
  const reason = (finishReason: string) =>
    toOpenAIResponse({ candidates: [{ content: { parts: [{ text: 'x' }] }, finishReason }] }, { model: 'm' }).choices[0].finish_reason
  expect(['STOP', 'MAX_TOKENS', 'SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'OTHER'].map(reason)).toEqual([
    'stop',
    'length',
    'content_filter',
    'content_filter',
    'content_filter',
    'content_filter',
    'stop',
  ])
  expect(toOpenAIResponse({ promptFeedback: { blockReason: 'SAFETY' } }, { model: 'm' }).choices[0].finish_reason).toBe('content_filter')
})

const event = (value: object) => `data: ${JSON.stringify(value)}\r\n\r\n`
const candidate = (parts: object[], finishReason?: string) => ({
  candidates: [{ content: { role: 'model', parts }, ...(finishReason && { finishReason }), index: 0 }],
  modelVersion: 'gemini-2.5-pro',
  responseId: 'r9',
})
const upstream =
  event(candidate([{ text: 'Let me ', thought: true }])) +
  event(candidate([{ text: 'Hel' }])) +
  event(candidate([{ text: 'lo' }, { functionCall: { name: 'read', args: { path: 'a' } }, thoughtSignature: 'c2ln' }])) +
  event({
    ...candidate([{ functionCall: { name: 'list', args: {} } }], 'STOP'),
    usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 4, totalTokenCount: 16, thoughtsTokenCount: 2 },
  })

function translate(text: string, cuts: number[], includeUsage = true): string {
  const bytes = new TextEncoder().encode(text)
  const state = chatOverGemini.stream.start({ model: 'my-gemini', includeUsage })
  const decoder = new SseDecoder()
  let out = ''
  let prev = 0
  for (const cut of [...cuts, bytes.length]) {
    for (const e of decoder.push(bytes.subarray(prev, cut))) out += chatOverGemini.stream.push(e.data, state)
    prev = cut
  }
  for (const e of decoder.end()) out += chatOverGemini.stream.push(e.data, state)
  return (out + chatOverGemini.stream.finish(state)).replace(/"created":\d+/g, '"created":0')
}

test('Gemini stream → Chat chunks: role, reasoning, content, whole tool calls with signed ids, finish_reason, usage, [DONE]; the same at every cut', () => {
  const whole = translate(upstream, [])
  const length = new TextEncoder().encode(upstream).length
  for (let cut = 1; cut < length; cut++) expect(translate(upstream, [cut])).toBe(whole)
  const head = { id: 'chatcmpl-r9', object: 'chat.completion.chunk', created: 0, model: 'my-gemini' }
  const chunk = (delta: object, finish: string | null = null) =>
    `data: ${JSON.stringify({ ...head, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`
  expect(whole).toBe(
    chunk({ role: 'assistant', content: '' }) +
      chunk({ reasoning_content: 'Let me ' }) +
      chunk({ content: 'Hel' }) +
      chunk({ content: 'lo' }) +
      chunk({
        tool_calls: [{ index: 0, id: 'call_r9_0__thought__c2ln', type: 'function', function: { name: 'read', arguments: '{"path":"a"}' } }],
      }) +
      chunk({ tool_calls: [{ index: 1, id: 'call_r9_1', type: 'function', function: { name: 'list', arguments: '{}' } }] }) +
      chunk({}, 'tool_calls') +
      `data: ${JSON.stringify({
        ...head,
        choices: [],
        usage: {
          prompt_tokens: 10,
          completion_tokens: 6,
          total_tokens: 16,
          prompt_tokens_details: { cached_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 2 },
        },
      })}\n\n` +
      'data: [DONE]\n\n',
  )
})

test('Gemini stream → Chat chunks: no usage chunk unless asked; MAX_TOKENS → length; a stream without finishReason still ends with one', () => {
  const short = event(candidate([{ text: 'x' }], 'MAX_TOKENS'))
  expect(translate(short, [], false)).toEndWith('"finish_reason":"length"}]}\n\ndata: [DONE]\n\n')
  expect(translate(event(candidate([{ text: 'x' }])), [], false)).toEndWith('"finish_reason":"stop"}]}\n\ndata: [DONE]\n\n')
})

test('Gemini stream → Chat chunks: an error event or a failure: one error chunk, nothing after it', () => {
  const out = translate(
    event(candidate([{ text: 'x' }])) + event({ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } }),
    [],
  )
  expect(out).toEndWith('data: {"error":{"message":"overloaded","type":"api_error","code":"UNAVAILABLE"}}\n\n')
  const state = chatOverGemini.stream.start({ model: 'm', includeUsage: true })
  expect(chatOverGemini.stream.fail(state, 'reset')).toBe(
    'data: {"error":{"message":"reset","type":"api_error","code":"upstream_stream_error"}}\n\n',
  )
  expect(chatOverGemini.stream.finish(state)).toBe('')
})

test('Gemini stream → Chat chunks: the pair: request body and context', () => {
  const { body, context } = chatOverGemini.request(
    { model: 'my-gemini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } },
    options,
  )
  expect(body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] })
  expect(context).toEqual({ model: 'my-gemini', includeUsage: true })
  expect(chatOverGemini.upstream).toBe('gemini')
})
