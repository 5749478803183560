/**
 * A Gemini client on an Anthropic upstream, through Chat both ways: the
 * request (a tool-using turn, and the real Gemini CLI request), the whole
 * answer, and an Anthropic stream cut at every byte.
 */
import { expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import type { AnthropicMessage, AnthropicRequest } from '../../src/apis/anthropic-messages/wire'
import type { GeminiRequest } from '../../src/apis/gemini/wire'
import { SseDecoder } from '../../src/sse/decode'
import { geminiOverMessages } from '../../src/translation/gemini-over-messages'
import { streamFixture } from '../helpers/fixtures'
import { anthropicEvent, sseEvents } from '../helpers/requests'

const MODEL = 'claude-sonnet-4-5'
const options = { model: MODEL, inputTokens: 0, stream: false }

const toolTurn: GeminiRequest = {
  systemInstruction: { parts: [{ text: 'You are a CLI agent.' }] },
  contents: [
    { role: 'user', parts: [{ text: 'What is in this folder?' }] },
    {
      role: 'model',
      parts: [{ text: 'Let me look.' }, { functionCall: { name: 'list_directory', args: { path: '.' } }, thoughtSignature: 'c2lnbmVk' }],
    },
    { role: 'user', parts: [{ functionResponse: { name: 'list_directory', response: { output: 'a.ts\nb.ts' } } }] },
  ],
  tools: [
    {
      functionDeclarations: [
        {
          name: 'list_directory',
          description: 'Lists a directory.',
          parametersJsonSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
        },
      ],
    },
  ],
  toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
  generationConfig: { temperature: 1.5, topP: 0.95, topK: 64, maxOutputTokens: 8_000, stopSequences: ['END'] },
}

test('Gemini request → Anthropic request: system, a tool-using turn (call ids made up and matched), tools, sampling, streaming from the options', () => {
  const { body, context } = geminiOverMessages.request(toolTurn, { ...options, stream: true })
  expect(body).toEqual({
    model: MODEL,
    system: 'You are a CLI agent.',
    messages: [
      { role: 'user', content: [{ type: 'text', text: 'What is in this folder?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me look.' },
          { type: 'tool_use', id: 'call_1_0', name: 'list_directory', input: { path: '.' } },
        ],
      },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1_0', content: '{"output":"a.ts\\nb.ts"}' }] },
    ],
    max_tokens: 8_000,
    stop_sequences: ['END'],
    stream: true,
    // Gemini's temperature runs to 2, Anthropic's to 1; topK and the thoughtSignature are lost on the way.
    temperature: 1,
    top_p: 0.95,
    tools: [
      {
        name: 'list_directory',
        description: 'Lists a directory.',
        input_schema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
      },
    ],
    tool_choice: { type: 'auto' },
  } satisfies AnthropicRequest)
  expect(context).toEqual({ model: MODEL, includeThoughts: false })
  expect(geminiOverMessages.upstream).toBe('messages')
  expect(geminiOverMessages.request(toolTurn, options).body).not.toHaveProperty('stream')
})

test('Gemini request → Anthropic request: the real Gemini CLI request: system, user text, tools; Anthropic gets its default max_tokens', () => {
  const fixture = JSON.parse(readFileSync('/work/shared/fixtures/gemini-cli-request.json', 'utf8'))
  const { body, context } = geminiOverMessages.request(fixture.requests[1].body, { ...options, stream: true })
  const anthropic = body as AnthropicRequest
  expect(anthropic.system).toBeString()
  expect(anthropic.messages.map((m) => m.role)).toEqual(['user'])
  expect(anthropic.tools?.map((t) => t.name)).toContain('read_file')
  expect(anthropic).toMatchObject({ model: MODEL, max_tokens: 4_096, stream: true, temperature: 1, top_p: 0.95 })
  // thinkingLevel HIGH gives no effort for a Claude model (providers/models.ts): no thinking is asked for.
  expect(anthropic).not.toHaveProperty('thinking')
  expect(context).toEqual({ model: MODEL, includeThoughts: true })
})

const answer: AnthropicMessage = {
  id: 'msg_01abc',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5-20250929',
  content: [
    { type: 'thinking', thinking: 'Two files.', signature: 'EpcE' },
    { type: 'text', text: 'Reading both.' },
    { type: 'tool_use', id: 'toolu_01A', name: 'read_file', input: { path: 'a.ts' } },
    { type: 'tool_use', id: 'toolu_01B', name: 'read_file', input: { path: 'b.ts' } },
  ],
  stop_reason: 'tool_use',
  stop_sequence: null,
  usage: { input_tokens: 100, output_tokens: 50, cache_read_input_tokens: 20, cache_creation_input_tokens: 0 },
}

test('Anthropic message → Gemini response: thoughts only when asked, text, calls with their ids, STOP, usage', () => {
  const parts = [
    { text: 'Reading both.' },
    { functionCall: { name: 'read_file', args: { path: 'a.ts' }, id: 'toolu_01A' } },
    { functionCall: { name: 'read_file', args: { path: 'b.ts' }, id: 'toolu_01B' } },
  ]
  expect(geminiOverMessages.response(answer, { model: MODEL, includeThoughts: false })).toEqual({
    candidates: [{ content: { parts, role: 'model' }, finishReason: 'STOP', index: 0 }],
    usageMetadata: { promptTokenCount: 120, candidatesTokenCount: 50, totalTokenCount: 170, cachedContentTokenCount: 20 },
    modelVersion: MODEL,
    responseId: '01abc',
  })
  const thinking = geminiOverMessages.response(answer, { model: MODEL, includeThoughts: true }) as { candidates: { content: any }[] }
  expect(thinking.candidates[0].content.parts).toEqual([{ text: 'Two files.', thought: true }, ...parts])
  const long = geminiOverMessages.response({ ...answer, stop_reason: 'max_tokens' }, { model: MODEL, includeThoughts: false })
  expect((long as { candidates: { finishReason: string }[] }).candidates[0].finishReason).toBe('MAX_TOKENS')
})

/** The pair's stream fed the SSE text cut at `cuts`, as lmlb feeds it; the client's SSE text. */
function translate(text: string, cuts: number[], includeThoughts = true): string {
  const bytes = new TextEncoder().encode(text)
  const state = geminiOverMessages.stream.start({ model: MODEL, includeThoughts })
  const decoder = new SseDecoder()
  let out = ''
  let prev = 0
  for (const cut of [...cuts, bytes.length]) {
    for (const e of decoder.push(bytes.subarray(prev, cut))) out += geminiOverMessages.stream.push(e.data, state)
    prev = cut
  }
  for (const e of decoder.end()) out += geminiOverMessages.stream.push(e.data, state)
  return out + geminiOverMessages.stream.finish(state)
}

test('Anthropic stream → Gemini events: thoughts, text, the call whole at the end with finishReason and usage; the same at every cut', () => {
  const upstream = streamFixture('anthropic-messages-thinking-text-tool-use')
  const whole = translate(upstream, [])
  const length = new TextEncoder().encode(upstream).length
  for (let cut = 1; cut < length; cut++) expect(translate(upstream, [cut])).toBe(whole)
  const events = sseEvents(whole)
  // Gemini names no events, and frames each with CRLF as Google does.
  expect(events.map((e) => e.event)).toEqual(Array(7).fill(undefined))
  expect(whole).toEndWith('}\r\n\r\n')
  const head = { modelVersion: MODEL, responseId: '01Kq7VfN3wXhT9bYc2DpLmZs' }
  const event = (parts: object[]) => ({ candidates: [{ content: { parts, role: 'model' }, index: 0 }], ...head })
  expect(events.map((e) => JSON.parse(e.data))).toEqual([
    event([{ text: 'The user wants the current weather in Paris. I have a get_weather tool that takes a city', thought: true }]),
    event([{ text: ' and a unit. Paris is in France, so Celsius is the natural unit', thought: true }]),
    event([{ text: '. I should call the tool rather than guess.', thought: true }]),
    event([{ text: "I'll look up the current weather" }]),
    event([{ text: ' in Paris for' }]),
    event([{ text: ' you.' }]),
    {
      candidates: [
        {
          content: {
            parts: [
              { functionCall: { name: 'get_weather', args: { city: 'Paris', unit: 'celsius' }, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6' } },
            ],
            role: 'model',
          },
          finishReason: 'STOP',
          index: 0,
        },
      ],
      usageMetadata: { promptTokenCount: 2260, candidatesTokenCount: 164, totalTokenCount: 2424, cachedContentTokenCount: 2048 },
      ...head,
    },
  ])
  // Not asked for: no thoughts.
  expect(sseEvents(translate(upstream, [], false)).map((e) => JSON.parse(e.data).candidates[0].content.parts[0].text)).toEqual([
    "I'll look up the current weather",
    ' in Paris for',
    ' you.',
    undefined,
  ])
})

test("Anthropic stream → Gemini events: an error event ends the stream with Google's error object; a failure too, and nothing after", () => {
  const upstream =
    anthropicEvent('message_start', { message: { id: 'msg_1', usage: { input_tokens: 5, output_tokens: 1 } } }) +
    anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
    anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'Hi' } }) +
    anthropicEvent('error', { error: { type: 'overloaded_error', message: 'Overloaded' } })
  expect(sseEvents(translate(upstream, [])).map((e) => JSON.parse(e.data))).toEqual([
    { candidates: [{ content: { parts: [{ text: 'Hi' }], role: 'model' }, index: 0 }], modelVersion: MODEL, responseId: '1' },
    { error: { code: 500, message: 'Overloaded', status: 'INTERNAL' } },
  ])
  const state = geminiOverMessages.stream.start({ model: MODEL, includeThoughts: false })
  expect(geminiOverMessages.stream.fail(state, 'reset')).toBe('data: {"error":{"code":500,"message":"reset","status":"INTERNAL"}}\r\n\r\n')
  expect(geminiOverMessages.stream.finish(state)).toBe('')
})
