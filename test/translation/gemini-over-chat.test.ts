/**
 * A Gemini client on a Chat upstream: request, whole answer and stream,
 * with small fixtures, the real Gemini CLI request, and Chat streams cut
 * at every byte.
 */
import { expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import type { GeminiRequest } from '../../src/apis/gemini/wire'
import type { OpenAIChunk, OpenAICompletion } from '../../src/apis/openai-chat/wire'
import { SseDecoder } from '../../src/sse/decode'
import { geminiOverChat } from '../../src/translation/gemini-over-chat'
import { toChatRequest } from '../../src/translation/gemini-over-chat/request'
import { toGeminiResponse } from '../../src/translation/gemini-over-chat/response'
import { chatChunks, chatStreamText } from '../helpers/requests'

const options = { model: 'gpt-4.1', inputTokens: 0, stream: false }
const to = (req: Partial<GeminiRequest>, stream = false) =>
  toChatRequest({ contents: [], ...req } as GeminiRequest, { model: 'gpt-4.1', stream })

test('Gemini request → Chat request: the real Gemini CLI request: system message, two user messages, model from the options, JSON schema lower-cased', () => {
  const fixture = JSON.parse(readFileSync('/work/shared/fixtures/gemini-cli-request.json', 'utf8'))
  const { body } = geminiOverChat.request(fixture.requests[0].body, options)
  const chat = body as ReturnType<typeof to>
  expect(chat.model).toBe('gpt-4.1')
  expect(chat.messages.map((m) => m.role)).toEqual(['system', 'user', 'user'])
  expect(chat.messages[0].content).toStartWith('\nYou are a specialized Task Routing AI.')
  expect(chat.messages[1].content).toStartWith('<session_context>')
  expect(chat.messages[2]).toEqual({ role: 'user', content: 'say hi' })
  expect(chat).toMatchObject({ temperature: 1, top_p: 0.95 })
  expect(chat).not.toHaveProperty('stream')
  expect(chat.response_format).toMatchObject({
    type: 'json_schema',
    json_schema: { name: 'response', schema: { type: 'object', properties: { complexity_score: { type: 'integer' } } } },
  })
})

test('Gemini request → Chat request: the streamed CLI request: tools from parametersJsonSchema, stream with usage', () => {
  const fixture = JSON.parse(readFileSync('/work/shared/fixtures/gemini-cli-request.json', 'utf8'))
  const { body } = geminiOverChat.request(fixture.requests[1].body, { ...options, stream: true })
  const chat = body as ReturnType<typeof to>
  expect(chat.stream).toBe(true)
  expect(chat.stream_options).toEqual({ include_usage: true })
  expect(chat.tools?.map((t) => t.function.name)).toContain('read_file')
  expect(chat.tools?.[0].function.parameters).toMatchObject({ type: 'object', required: ['strategic_intent'] })
})

test('Gemini request → Chat request: generationConfig: limits, sampling, stop, n, JSON mode, thinking; topK dropped', () => {
  const out = to({
    generationConfig: {
      maxOutputTokens: 500,
      temperature: 0.3,
      topP: 0.9,
      topK: 40,
      stopSequences: ['a', 'b', 'c', 'd', 'e'],
      candidateCount: 2,
      responseMimeType: 'application/json',
      thinkingConfig: { thinkingBudget: 8000 },
    },
  })
  expect(out).toMatchObject({ max_tokens: 500, temperature: 0.3, top_p: 0.9, stop: ['a', 'b', 'c', 'd'], n: 2 })
  expect(out.response_format).toEqual({ type: 'json_object' })
  expect(out).not.toHaveProperty('top_k')
  // gpt-4.1 takes no reasoning effort; a reasoning model does, and its own limit field.
  expect(out).not.toHaveProperty('reasoning_effort')
  const reasoning = toChatRequest(
    { contents: [], generationConfig: { maxOutputTokens: 500, temperature: 0.3, thinkingConfig: { thinkingBudget: 8000 } } },
    { model: 'o3', stream: false },
  )
  expect(reasoning).toMatchObject({ max_completion_tokens: 500, reasoning_effort: 'medium' })
  expect(reasoning).not.toHaveProperty('temperature')
  const off = toChatRequest({ contents: [], generationConfig: { thinkingConfig: { thinkingBudget: 0 } } }, { model: 'o3', stream: false })
  expect(off).not.toHaveProperty('reasoning_effort')
  const level = toChatRequest(
    { contents: [], generationConfig: { thinkingConfig: { thinkingLevel: 'HIGH' } } },
    { model: 'o3', stream: false },
  )
  expect(level.reasoning_effort).toBe('high')
})

test('Gemini request → Chat request: tools: OpenAPI parameters lower-cased, google tools dropped, toolConfig → tool_choice', () => {
  const tools = [
    { functionDeclarations: [{ name: 'f', description: 'F', parameters: { type: 'OBJECT', properties: { type: { type: 'STRING' } } } }] },
    { googleSearch: {} },
  ]
  const out = to({ tools })
  expect(out.tools).toEqual([
    {
      type: 'function',
      function: { name: 'f', description: 'F', parameters: { type: 'object', properties: { type: { type: 'string' } } } },
    },
  ])
  expect(out).not.toHaveProperty('tool_choice')
  const mode = (m: string, names?: string[]) =>
    to({ tools, toolConfig: { functionCallingConfig: { mode: m as 'ANY', allowedFunctionNames: names } } }).tool_choice
  expect(mode('ANY')).toBe('required')
  expect(mode('ANY', ['f'])).toEqual({ type: 'function', function: { name: 'f' } })
  expect(mode('ANY', ['f', 'g'])).toBe('required')
  expect(mode('NONE')).toBe('none')
  expect(mode('AUTO')).toBe('auto')
})

test('Gemini request → Chat request: a tool round trip over two turns: ids made up per turn, each response answers its call by name in order', () => {
  const out = to({
    contents: [
      { role: 'user', parts: [{ text: 'Read a and b' }] },
      {
        role: 'model',
        parts: [
          { text: 'thinking...', thought: true },
          { functionCall: { name: 'read', args: { path: 'a' } }, thoughtSignature: 'c2ln' },
          { functionCall: { name: 'read', args: { path: 'b' } } },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { name: 'read', response: { output: 'A' } } },
          { functionResponse: { name: 'read', response: { output: 'B' } } },
        ],
      },
      { role: 'model', parts: [{ functionCall: { id: 'g1', name: 'list', args: {} } }] },
      { role: 'user', parts: [{ functionResponse: { id: 'g1', name: 'list', response: { output: [] } } }, { text: 'and now?' }] },
    ],
  })
  expect(out.messages).toEqual([
    { role: 'user', content: 'Read a and b' },
    {
      role: 'assistant',
      content: null,
      tool_calls: [
        { id: 'call_1_0', type: 'function', function: { name: 'read', arguments: '{"path":"a"}' } },
        { id: 'call_1_1', type: 'function', function: { name: 'read', arguments: '{"path":"b"}' } },
      ],
    },
    { role: 'tool', tool_call_id: 'call_1_0', content: '{"output":"A"}' },
    { role: 'tool', tool_call_id: 'call_1_1', content: '{"output":"B"}' },
    { role: 'assistant', content: null, tool_calls: [{ id: 'g1', type: 'function', function: { name: 'list', arguments: '{}' } }] },
    { role: 'tool', tool_call_id: 'g1', content: '{"output":[]}' },
    { role: 'user', content: 'and now?' },
  ])
})

test('Gemini request → Chat request: images inline → data URLs; other media → a note', () => {
  const out = to({
    contents: [
      {
        parts: [
          { text: 'Look' },
          { inlineData: { mimeType: 'image/png', data: 'iVBOR' } },
          { inlineData: { mimeType: 'application/pdf', data: 'JVBER' } },
        ],
      },
    ],
  })
  expect(out.messages[0].content).toEqual([
    { type: 'text', text: 'Look' },
    { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } },
    { type: 'text', text: '[a application/pdf attachment was here; lmlb does not pass it to this model]' },
  ])
})

const completion = (message: object, finish: string, usage?: object): OpenAICompletion =>
  ({
    id: 'chatcmpl-xyz',
    object: 'chat.completion',
    created: 1,
    model: 'gpt-4.1',
    choices: [{ index: 0, message: { role: 'assistant', content: null, ...message }, finish_reason: finish }],
    ...(usage && { usage }),
  }) as OpenAICompletion

test('Chat completion → Gemini response: text, thoughts when asked, tool calls with parsed args and ids kept, usage with cached and thought tokens', () => {
  const res = toGeminiResponse(
    completion(
      {
        content: 'Checking.',
        reasoning_content: 'hmm',
        tool_calls: [{ id: 'call_9', type: 'function', function: { name: 'read', arguments: '{"path":"a"}' } }],
      },
      'tool_calls',
      {
        prompt_tokens: 100,
        completion_tokens: 30,
        total_tokens: 130,
        prompt_tokens_details: { cached_tokens: 60 },
        completion_tokens_details: { reasoning_tokens: 10 },
      },
    ),
    { model: 'gpt-4.1', includeThoughts: true },
  )
  expect(res).toEqual({
    candidates: [
      {
        content: {
          parts: [
            { text: 'hmm', thought: true },
            { text: 'Checking.' },
            { functionCall: { name: 'read', args: { path: 'a' }, id: 'call_9' } },
          ],
          role: 'model',
        },
        finishReason: 'STOP',
        index: 0,
      },
    ],
    usageMetadata: {
      promptTokenCount: 100,
      candidatesTokenCount: 20,
      totalTokenCount: 130,
      cachedContentTokenCount: 60,
      thoughtsTokenCount: 10,
    },
    modelVersion: 'gpt-4.1',
    responseId: 'xyz',
  })
  const quiet = toGeminiResponse(completion({ content: 'x', reasoning_content: 'hmm' }, 'stop'), { model: 'm', includeThoughts: false })
  expect(quiet.candidates?.[0].content?.parts).toEqual([{ text: 'x' }])
})

test('Chat completion → Gemini response: finish reasons', () => {
  const reason = (finish: string) =>
    toGeminiResponse(completion({ content: 'x' }, finish), { model: 'm', includeThoughts: false }).candidates?.[0].finishReason
  expect(['stop', 'length', 'tool_calls', 'content_filter', 'odd'].map(reason)).toEqual(['STOP', 'MAX_TOKENS', 'STOP', 'SAFETY', 'OTHER'])
})

const chunk = chatChunks({ id: 'chatcmpl-s1', object: 'chat.completion.chunk' })
const usage: OpenAIChunk = { id: 'chatcmpl-s1', choices: [], usage: { prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 } }
const context = { model: 'gpt-4.1', includeThoughts: true, candidates: 1 }

/** The client's text for an upstream SSE text cut at the given byte positions. */
function translate(text: string, cuts: number[] = []): string {
  const bytes = new TextEncoder().encode(text)
  const state = geminiOverChat.stream.start(context)
  const decoder = new SseDecoder()
  let out = ''
  let prev = 0
  for (const cut of [...cuts, bytes.length]) {
    for (const e of decoder.push(bytes.subarray(prev, cut))) out += geminiOverChat.stream.push(e.data, state)
    prev = cut
  }
  for (const e of decoder.end()) out += geminiOverChat.stream.push(e.data, state)
  return out + geminiOverChat.stream.finish(state)
}

/** The same at every single cut, and byte by byte. */
function everyCut(text: string): string {
  const whole = translate(text)
  const length = new TextEncoder().encode(text).length
  for (let cut = 1; cut < length; cut++) expect(translate(text, [cut])).toBe(whole)
  expect(
    translate(
      text,
      Array.from({ length: length - 1 }, (_, i) => i + 1),
    ),
  ).toBe(whole)
  return whole
}

const event = (value: object) => `data: ${JSON.stringify(value)}\r\n\r\n`
const parts = (p: object[], extra: object = {}) => ({
  candidates: [{ content: { parts: p, role: 'model' }, ...extra, index: 0 }],
})
const tail = { modelVersion: 'gpt-4.1', responseId: 's1' }

test('Chat stream → Gemini stream: text and thoughts as they come, then one last event with finishReason and usage; CRLF framing, nothing else', () => {
  const out = everyCut(
    chatStreamText([
      chunk({ role: 'assistant', content: '' }),
      chunk({ reasoning_content: 'Hm.' }),
      chunk({ content: 'Hel' }),
      chunk({ content: 'lo "you"' }),
      chunk({}, 'stop'),
      usage,
    ]),
  )
  expect(out).toBe(
    event({ ...parts([{ text: 'Hm.', thought: true }]), ...tail }) +
      event({ ...parts([{ text: 'Hel' }]), ...tail }) +
      event({ ...parts([{ text: 'lo "you"' }]), ...tail }) +
      event({
        ...parts([], { finishReason: 'STOP' }),
        usageMetadata: { promptTokenCount: 12, candidatesTokenCount: 5, totalTokenCount: 17 },
        ...tail,
      }),
  )
  expect(out).not.toMatch(/^(event|:)/m)
})

test('Chat stream → Gemini stream: tool calls go out whole, the first at the next call, the last with the finish, however their arguments are split', () => {
  const argsA = '{"path":"a.txt","n":2}'
  const expected =
    event({ ...parts([{ text: 'Let me look.' }]), ...tail }) +
    event({ ...parts([{ functionCall: { name: 'read', args: { path: 'a.txt', n: 2 }, id: 'call_a' } }]), ...tail }) +
    event({ ...parts([{ functionCall: { name: 'list', args: {}, id: 'call_b' } }], { finishReason: 'STOP' }), ...tail })
  for (let split = 0; split <= argsA.length; split++) {
    const stream = chatStreamText([
      chunk({ content: 'Let me look.' }),
      chunk({ tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'read', arguments: argsA.slice(0, split) } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: argsA.slice(split) } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'list', arguments: '' } }] }),
      chunk({}, 'tool_calls'),
    ])
    expect(split % 7 === 0 ? everyCut(stream) : translate(stream)).toBe(expected)
  }
})

test('Chat stream → Gemini stream: thoughts are left out unless includeThoughts; an upstream that stops without [DONE] still gets its last event', () => {
  const state = geminiOverChat.stream.start({ ...context, includeThoughts: false })
  const out = [chunk({ reasoning_content: 'secret' }), chunk({ content: 'ok' }, 'length')]
    .map((c) => geminiOverChat.stream.push(JSON.stringify(c), state))
    .join('')
  expect(out + geminiOverChat.stream.finish(state)).toBe(
    event({ ...parts([{ text: 'ok' }]), ...tail }) + event({ ...parts([], { finishReason: 'MAX_TOKENS' }), ...tail }),
  )
  expect(geminiOverChat.stream.finish(state)).toBe('')
})

test('Chat stream → Gemini stream: fail: a Google error object as the last event, nothing after it', () => {
  const state = geminiOverChat.stream.start(context)
  geminiOverChat.stream.push(JSON.stringify(chunk({ content: 'x' })), state)
  expect(geminiOverChat.stream.fail(state, 'upstream reset')).toBe(
    event({ error: { code: 500, message: 'upstream reset', status: 'INTERNAL' } }),
  )
  expect(geminiOverChat.stream.push(JSON.stringify(chunk({ content: 'y' })), state)).toBe('')
  expect(geminiOverChat.stream.finish(state)).toBe('')
})
