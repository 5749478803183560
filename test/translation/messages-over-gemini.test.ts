/**
 * An Anthropic client (Claude Code) on a Gemini-format upstream, through
 * Chat both ways: the request (a tool-using turn, and the real Claude Code
 * request), the whole answer, a Gemini stream cut at every byte, and the
 * thoughtSignature's round trip through the tool_use id.
 */
import { expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import type { AnthropicEvent, AnthropicMessage, AnthropicRequest } from '../../src/apis/anthropic-messages/wire'
import type { GeminiRequest, GenerateContentResponse } from '../../src/apis/gemini/wire'
import { SseDecoder } from '../../src/sse/decode'
import { messagesOverGemini } from '../../src/translation/messages-over-gemini'
import { sseEvents } from '../helpers/requests'

const MODEL = 'gemini-2.5-pro'
const options = { model: MODEL, inputTokens: 42, stream: true }

const claudeCodeTurn: AnthropicRequest = {
  model: 'claude-sonnet-4-5',
  max_tokens: 32_000,
  stream: true,
  system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
  thinking: { type: 'enabled', budget_tokens: 10_000 },
  metadata: { user_id: 'user_abc' },
  tools: [
    {
      name: 'Read',
      description: 'Reads a file.',
      input_schema: {
        $schema: 'http://json-schema.org/draft-07/schema#',
        type: 'object',
        properties: { file_path: { type: 'string' } },
        required: ['file_path'],
        additionalProperties: false,
      },
    },
  ],
  messages: [
    { role: 'user', content: [{ type: 'text', text: 'Read a.ts' }] },
    {
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'I should read it.', signature: '' },
        { type: 'text', text: 'Reading.' },
        { type: 'tool_use', id: 'call_r1_0_0__thought__c2lnbmVk', name: 'Read', input: { file_path: 'a.ts' } },
      ],
    },
    {
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'call_r1_0_0__thought__c2lnbmVk', content: [{ type: 'text', text: 'export const a = 1' }] },
        { type: 'text', text: 'What does it do?' },
      ],
    },
  ],
}

test('Anthropic request → Gemini request: system, a tool loop with the signature back on its functionCall, tools cleaned, thinking, caps', () => {
  const { body, context } = messagesOverGemini.request(claudeCodeTurn, options)
  expect(body).toEqual({
    systemInstruction: { parts: [{ text: 'You are Claude Code.' }] },
    contents: [
      { role: 'user', parts: [{ text: 'Read a.ts' }] },
      {
        role: 'model',
        parts: [
          { text: 'Reading.' },
          { functionCall: { id: 'call_r1_0_0', name: 'Read', args: { file_path: 'a.ts' } }, thoughtSignature: 'c2lnbmVk' },
        ],
      },
      {
        role: 'user',
        parts: [
          { functionResponse: { id: 'call_r1_0_0', name: 'Read', response: { output: 'export const a = 1' } } },
          { text: 'What does it do?' },
        ],
      },
    ],
    tools: [
      {
        functionDeclarations: [
          {
            name: 'Read',
            description: 'Reads a file.',
            parameters: { type: 'object', properties: { file_path: { type: 'string' } }, required: ['file_path'] },
          },
        ],
      },
    ],
    // A budget of 10,000 is a medium effort, which Gemini takes as 8,192.
    generationConfig: { maxOutputTokens: 32_000, thinkingConfig: { thinkingBudget: 8_192, includeThoughts: true } },
  } satisfies GeminiRequest)
  expect(context).toEqual({ model: 'claude-sonnet-4-5', stopSequences: undefined, inputTokensEstimate: 42 })
  expect(messagesOverGemini.upstream).toBe('gemini')
})

test("Anthropic request → Gemini request: the real Claude Code request: max_tokens capped at the model's limit, effort, no thinking for 2.0", () => {
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/claude-code/request.json', import.meta.url), 'utf8')) as AnthropicRequest
  const gemini = messagesOverGemini.request(fixture, options).body as GeminiRequest
  expect(gemini.generationConfig).toEqual({ maxOutputTokens: 65_536, thinkingConfig: { thinkingBudget: 8_192, includeThoughts: true } })
  expect(gemini.systemInstruction?.parts?.[0].text).toStartWith('x-anthropic-billing-header')
  expect(gemini.tools?.[0].functionDeclarations?.map((f) => f.name)).toContain('Bash')
  expect(JSON.stringify(gemini.tools)).not.toContain('additionalProperties')
  expect(gemini.contents.map((c) => c.role)).toEqual(['user'])
  const old = messagesOverGemini.request(fixture, { ...options, model: 'gemini-2.0-flash' }).body as GeminiRequest
  expect(old.generationConfig).toEqual({ maxOutputTokens: 8_192 })
})

const answer: GenerateContentResponse = {
  candidates: [
    {
      content: {
        role: 'model',
        parts: [
          { text: 'It exports a.', thought: true },
          { text: 'Checking the tests.' },
          { functionCall: { name: 'Bash', args: { command: 'bun test' } }, thoughtSignature: 'ab+/cd==' },
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
  modelVersion: MODEL,
  responseId: 'r1',
}

test('Gemini response → Anthropic message: thinking, text, a tool_use whose id carries the signature, tool_use stop, usage', () => {
  const message = messagesOverGemini.response(answer, { model: 'claude-sonnet-4-5', inputTokensEstimate: 0 }) as AnthropicMessage
  expect(message).toEqual({
    id: 'msg_r1',
    type: 'message',
    role: 'assistant',
    model: 'claude-sonnet-4-5',
    content: [
      { type: 'thinking', thinking: 'It exports a.', signature: '' },
      { type: 'text', text: 'Checking the tests.' },
      { type: 'tool_use', id: 'call_r1_0_0__thought__ab-_cd', name: 'Bash', input: { command: 'bun test' } },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 60, output_tokens: 35, cache_read_input_tokens: 40, cache_creation_input_tokens: 0 },
  })
  const length = { ...answer, candidates: [{ ...answer.candidates![0], content: { parts: [{ text: 'x' }] }, finishReason: 'MAX_TOKENS' }] }
  expect((messagesOverGemini.response(length, { model: 'c', inputTokensEstimate: 0 }) as AnthropicMessage).stop_reason).toBe('max_tokens')
})

test('thought signature round trip: the tool_use id Claude Code keeps gives the signature back to Gemini on the next turn', () => {
  const message = messagesOverGemini.response(answer, { model: 'claude-sonnet-4-5', inputTokensEstimate: 0 }) as AnthropicMessage
  const call = message.content.find((b) => b.type === 'tool_use') as { id: string }
  expect(call.id).toContain('__thought__')
  const next: AnthropicRequest = {
    model: 'claude-sonnet-4-5',
    max_tokens: 1_000,
    messages: [
      { role: 'user', content: 'Run the tests' },
      { role: 'assistant', content: message.content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '3 pass' }] },
    ],
  }
  const gemini = messagesOverGemini.request(next, options).body as GeminiRequest
  expect(gemini.contents.slice(1)).toEqual([
    {
      role: 'model',
      parts: [
        { text: 'Checking the tests.' },
        { functionCall: { id: 'call_r1_0_0', name: 'Bash', args: { command: 'bun test' } }, thoughtSignature: 'ab-_cd' },
      ],
    },
    { role: 'user', parts: [{ functionResponse: { id: 'call_r1_0_0', name: 'Bash', response: { output: '3 pass' } } }] },
  ])
})

const event = (value: object) => `data: ${JSON.stringify(value)}\r\n\r\n`
const candidate = (parts: object[], finishReason?: string) => ({
  candidates: [{ content: { role: 'model', parts }, ...(finishReason && { finishReason }), index: 0 }],
  modelVersion: MODEL,
  responseId: 'r9',
})
const upstream =
  event(candidate([{ text: 'Read it first.', thought: true }])) +
  event(candidate([{ text: 'Reading' }])) +
  event(candidate([{ text: ' now.' }, { functionCall: { name: 'Read', args: { file_path: 'a.ts' } }, thoughtSignature: 'c2ln+/8=' }])) +
  event({
    ...candidate([{ functionCall: { name: 'Bash', args: { command: 'ls' } } }], 'STOP'),
    usageMetadata: {
      promptTokenCount: 120,
      candidatesTokenCount: 30,
      totalTokenCount: 160,
      cachedContentTokenCount: 100,
      thoughtsTokenCount: 10,
    },
  })

/** The pair's stream fed the SSE text cut at `cuts`, as lmlb feeds it; the client's SSE text. */
function translate(text: string, cuts: number[]): string {
  const bytes = new TextEncoder().encode(text)
  const state = messagesOverGemini.stream.start({ model: 'claude-sonnet-4-5', inputTokensEstimate: 42 })
  const decoder = new SseDecoder()
  let out = ''
  let prev = 0
  for (const cut of [...cuts, bytes.length]) {
    for (const e of decoder.push(bytes.subarray(prev, cut))) out += messagesOverGemini.stream.push(e.data, state)
    prev = cut
  }
  for (const e of decoder.end()) out += messagesOverGemini.stream.push(e.data, state)
  return out + messagesOverGemini.stream.finish(state)
}

const parsed = (text: string) => sseEvents(text).map((e) => ({ event: e.event, data: JSON.parse(e.data) as AnthropicEvent }))

test('Gemini stream → Anthropic events: thinking, text, signed tool_use blocks, tool_use stop with usage; the same at every cut', () => {
  const whole = translate(upstream, [])
  const length = new TextEncoder().encode(upstream).length
  for (let cut = 1; cut < length; cut++) expect(translate(upstream, [cut])).toBe(whole)
  const events = parsed(whole)
  for (const e of events) expect(e.event).toBe(e.data.type)
  const start = (index: number, block: object) => ({ type: 'content_block_start', index, content_block: block })
  const delta = (index: number, d: object) => ({ type: 'content_block_delta', index, delta: d })
  const stop = (index: number) => ({ type: 'content_block_stop', index })
  expect(events.map((e) => e.data)).toEqual([
    {
      type: 'message_start',
      message: {
        id: 'msg_r9',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-5',
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 42, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
      },
    },
    start(0, { type: 'thinking', thinking: '', signature: '' }),
    delta(0, { type: 'thinking_delta', thinking: 'Read it first.' }),
    stop(0),
    start(1, { type: 'text', text: '' }),
    delta(1, { type: 'text_delta', text: 'Reading' }),
    delta(1, { type: 'text_delta', text: ' now.' }),
    stop(1),
    start(2, { type: 'tool_use', id: 'call_r9_0__thought__c2ln-_8', name: 'Read', input: {} }),
    delta(2, { type: 'input_json_delta', partial_json: '{"file_path":"a.ts"}' }),
    stop(2),
    start(3, { type: 'tool_use', id: 'call_r9_1', name: 'Bash', input: {} }),
    delta(3, { type: 'input_json_delta', partial_json: '{"command":"ls"}' }),
    stop(3),
    {
      type: 'message_delta',
      delta: { stop_reason: 'tool_use', stop_sequence: null },
      usage: { input_tokens: 20, cache_read_input_tokens: 100, output_tokens: 40 },
    },
    { type: 'message_stop' },
  ])
})

test('Gemini stream → Anthropic events: the streamed tool_use id gives the signature back on the next turn', () => {
  const ids = parsed(translate(upstream, []))
    .map((e) => e.data.content_block as { type: string; id: string } | undefined)
    .filter((b) => b?.type === 'tool_use')
    .map((b) => b!.id)
  const next: AnthropicRequest = {
    model: 'claude-sonnet-4-5',
    max_tokens: 1_000,
    messages: [
      { role: 'user', content: 'go' },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: ids[0], name: 'Read', input: { file_path: 'a.ts' } },
          { type: 'tool_use', id: ids[1], name: 'Bash', input: { command: 'ls' } },
        ],
      },
      {
        role: 'user',
        content: ids.map((id) => ({ type: 'tool_result' as const, tool_use_id: id, content: 'ok' })),
      },
    ],
  }
  const gemini = messagesOverGemini.request(next, options).body as GeminiRequest
  expect(gemini.contents[1].parts).toEqual([
    { functionCall: { id: 'call_r9_0', name: 'Read', args: { file_path: 'a.ts' } }, thoughtSignature: 'c2ln-_8' },
    { functionCall: { id: 'call_r9_1', name: 'Bash', args: { command: 'ls' } } },
  ])
  expect(gemini.contents[2].parts?.map((p) => p.functionResponse?.id)).toEqual(['call_r9_0', 'call_r9_1'])
})

test("Gemini stream → Anthropic events: an error event or a failure: Anthropic's error event, nothing after it; a bare stream still ends", () => {
  const broken = event(candidate([{ text: 'Hi' }])) + event({ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } })
  expect(parsed(translate(broken, [])).map((e) => e.data.type)).toEqual([
    'message_start',
    'content_block_start',
    'content_block_delta',
    'error',
  ])
  expect(parsed(translate(broken, [])).at(-1)?.data).toEqual({ type: 'error', error: { type: 'api_error', message: 'overloaded' } })
  const state = messagesOverGemini.stream.start({ model: 'c', inputTokensEstimate: 0 })
  expect(parsed(messagesOverGemini.stream.fail(state, 'reset')).map((e) => e.data)).toEqual([
    { type: 'error', error: { type: 'api_error', message: 'reset' } },
  ])
  expect(messagesOverGemini.stream.finish(state)).toBe('')
  const types = parsed(translate(event(candidate([{ text: 'x' }], 'MAX_TOKENS')), [])).map((e) => e.data)
  expect(types.at(-2)).toMatchObject({ type: 'message_delta', delta: { stop_reason: 'max_tokens' } })
  expect(types.at(-1)).toEqual({ type: 'message_stop' })
})
