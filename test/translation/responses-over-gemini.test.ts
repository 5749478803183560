/**
 * A Responses client (Codex) on a Gemini-format upstream, through Chat both
 * ways: the request (a tool-using turn, and the real Codex request), the
 * whole answer, a Gemini stream cut at every byte, and the thoughtSignature's
 * round trip through the call_id.
 */
import { expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import type { GeminiRequest, GenerateContentResponse } from '../../src/apis/gemini/wire'
import type { ResponseObject, ResponsesEvent, ResponsesRequest } from '../../src/apis/openai-responses/wire'
import { SseDecoder } from '../../src/sse/decode'
import { toChatRequest } from '../../src/translation/responses-over-chat/request'
import { responsesOverGemini } from '../../src/translation/responses-over-gemini'
import { sseEvents } from '../helpers/requests'

const MODEL = 'gemini-2.5-pro'
const options = { model: MODEL, inputTokens: 0, stream: true }

const codexTurn: ResponsesRequest = {
  model: 'gpt-5-codex',
  instructions: 'You are Codex.',
  stream: true,
  max_output_tokens: 200_000,
  reasoning: { effort: 'xhigh', summary: 'auto' },
  include: ['reasoning.encrypted_content'],
  tool_choice: 'auto',
  parallel_tool_calls: true,
  tools: [
    {
      type: 'function',
      name: 'exec_command',
      description: 'Runs a command.',
      parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'], additionalProperties: false },
    },
    {
      type: 'namespace',
      name: 'agents',
      description: 'agents',
      tools: [{ type: 'function', name: 'spawn', parameters: { type: 'object' } }],
    },
    { type: 'web_search' },
  ],
  input: [
    { type: 'message', role: 'developer', content: [{ type: 'input_text', text: 'Sandbox: read-only.' }] },
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'List the files.' }] },
    { type: 'reasoning', summary: [{ type: 'summary_text', text: 'Listing.' }], encrypted_content: 'gAAAA' },
    { type: 'function_call', call_id: 'call_r1_0_0__thought__c2lnbmVk', name: 'exec_command', arguments: '{"cmd":"ls"}' },
    { type: 'function_call_output', call_id: 'call_r1_0_0__thought__c2lnbmVk', output: 'a.ts\nb.ts' },
  ],
} as ResponsesRequest

test('Responses request → Gemini request: instructions, a tool loop with the signature back, tools (namespace flattened, hosted dropped), fitted', () => {
  const keep = { id: 'resp_kept', done: () => {} }
  const { body, context } = responsesOverGemini.request(codexTurn, { ...options, keep } as typeof options)
  expect(body).toEqual({
    systemInstruction: { parts: [{ text: 'You are Codex.' }, { text: 'Sandbox: read-only.' }] },
    contents: [
      { role: 'user', parts: [{ text: 'List the files.' }] },
      {
        role: 'model',
        parts: [{ functionCall: { id: 'call_r1_0_0', name: 'exec_command', args: { cmd: 'ls' } }, thoughtSignature: 'c2lnbmVk' }],
      },
      { role: 'user', parts: [{ functionResponse: { id: 'call_r1_0_0', name: 'exec_command', response: { output: 'a.ts\nb.ts' } } }] },
    ],
    tools: [
      {
        functionDeclarations: [
          {
            name: 'exec_command',
            description: 'Runs a command.',
            parameters: { type: 'object', properties: { cmd: { type: 'string' } }, required: ['cmd'] },
          },
          { name: 'agents__spawn' },
        ],
      },
    ],
    toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
    // 200,000 capped at the model's 65,536; xhigh taken as high.
    generationConfig: { maxOutputTokens: 65_536, thinkingConfig: { thinkingBudget: 24_576, includeThoughts: true } },
  } satisfies GeminiRequest)
  expect(context).toMatchObject({ model: 'gpt-5-codex', request: codexTurn, keep })
  expect(context.tools.get('agents__spawn')).toEqual({ kind: 'function', name: 'spawn', namespace: 'agents' })
  expect(responsesOverGemini.upstream).toBe('gemini')
  // A model that does not think gets no effort, and its own cap.
  const old = responsesOverGemini.request(codexTurn, { ...options, model: 'gemini-2.0-flash' }).body as GeminiRequest
  expect(old.generationConfig).toEqual({ maxOutputTokens: 8_192 })
})

test('Responses request → Gemini request: the real Codex request: developer messages as systemInstruction, function tools kept', () => {
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/codex/request.json', import.meta.url), 'utf8')).body as ResponsesRequest
  const gemini = responsesOverGemini.request(fixture, options).body as GeminiRequest
  expect(gemini.systemInstruction?.parts).toHaveLength(2)
  expect(gemini.contents.map((c) => c.role)).toEqual(['user'])
  expect(gemini.contents[0].parts).toHaveLength(2)
  const names = gemini.tools?.[0].functionDeclarations?.map((f) => f.name)
  expect(names).toContain('exec_command')
  expect(names?.some((n) => n.startsWith('multi_agent_v1__'))).toBe(true)
  expect(JSON.stringify(gemini.tools)).not.toContain('additionalProperties')
  // Codex sent no effort: Gemini thinks as it does by default.
  expect(gemini.generationConfig).toBeUndefined()
})

const context = () => {
  const request = { model: 'gpt-5-codex', input: 'hi', tools: codexTurn.tools } as ResponsesRequest
  return { model: 'gpt-5-codex', tools: toChatRequest(request, { model: MODEL }).tools, request }
}

const answer: GenerateContentResponse = {
  candidates: [
    {
      content: {
        role: 'model',
        parts: [
          { text: 'Need the tests.', thought: true },
          { text: 'Running them.' },
          { functionCall: { name: 'exec_command', args: { cmd: 'bun test' } }, thoughtSignature: 'ab+/cd==' },
          { functionCall: { name: 'agents__spawn', args: { task: 'review' } } },
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

test('Gemini response → Response object: reasoning, message, calls (signed call_id, namespace named back), usage', () => {
  const response = responsesOverGemini.response(answer, context()) as ResponseObject
  expect(response).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-5-codex' })
  const output = response.output as Record<string, any>[]
  expect(output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call', 'function_call'])
  expect(output[0].summary).toEqual([{ type: 'summary_text', text: 'Need the tests.' }])
  expect(output[1].content).toMatchObject([{ type: 'output_text', text: 'Running them.' }])
  expect(output[2]).toMatchObject({ call_id: 'call_r1_0_0__thought__ab-_cd', name: 'exec_command', arguments: '{"cmd":"bun test"}' })
  expect(output[3]).toMatchObject({ call_id: 'call_r1_0_1', name: 'spawn', namespace: 'agents', arguments: '{"task":"review"}' })
  expect(response.usage).toMatchObject({
    input_tokens: 100,
    input_tokens_details: { cached_tokens: 40 },
    output_tokens: 35,
    output_tokens_details: { reasoning_tokens: 15 },
    total_tokens: 135,
  })
})

test('thought signature round trip: the call_id Codex keeps gives the signature back to Gemini on the next turn', () => {
  const output = (responsesOverGemini.response(answer, context()) as ResponseObject).output as Record<string, any>[]
  const calls = output.filter((o) => o.type === 'function_call')
  const next = {
    model: 'gpt-5-codex',
    tools: codexTurn.tools,
    input: [
      { type: 'message', role: 'user', content: 'Run the tests' },
      ...output,
      ...calls.map((c) => ({ type: 'function_call_output', call_id: c.call_id, output: 'ok' })),
    ],
  } as ResponsesRequest
  const gemini = responsesOverGemini.request(next, options).body as GeminiRequest
  expect(gemini.contents.slice(1)).toEqual([
    {
      role: 'model',
      parts: [
        { text: 'Running them.' },
        { functionCall: { id: 'call_r1_0_0', name: 'exec_command', args: { cmd: 'bun test' } }, thoughtSignature: 'ab-_cd' },
        { functionCall: { id: 'call_r1_0_1', name: 'agents__spawn', args: { task: 'review' } } },
      ],
    },
    {
      role: 'user',
      parts: [
        { functionResponse: { id: 'call_r1_0_0', name: 'exec_command', response: { output: 'ok' } } },
        { functionResponse: { id: 'call_r1_0_1', name: 'agents__spawn', response: { output: 'ok' } } },
      ],
    },
  ])
})

const event = (value: object) => `data: ${JSON.stringify(value)}\r\n\r\n`
const candidate = (parts: object[], finishReason?: string) => ({
  candidates: [{ content: { role: 'model', parts }, ...(finishReason && { finishReason }), index: 0 }],
  modelVersion: MODEL,
  responseId: 'r9',
})
const upstream =
  event(candidate([{ text: 'Tests first.', thought: true }])) +
  event(candidate([{ text: 'Running' }])) +
  event(
    candidate([{ text: ' them.' }, { functionCall: { name: 'exec_command', args: { cmd: 'bun test' } }, thoughtSignature: 'c2ln+/8=' }]),
  ) +
  event({
    ...candidate([{ functionCall: { name: 'agents__spawn', args: { task: 'review' } } }], 'STOP'),
    usageMetadata: {
      promptTokenCount: 120,
      candidatesTokenCount: 30,
      totalTokenCount: 160,
      cachedContentTokenCount: 100,
      thoughtsTokenCount: 10,
    },
  })

/** The pair's stream fed the SSE text cut at `cuts`, as lmlb feeds it; the client's SSE text (its clock read as 0). */
function translate(text: string, cuts: number[]): string {
  const bytes = new TextEncoder().encode(text)
  const state = responsesOverGemini.stream.start(context())
  const decoder = new SseDecoder()
  let out = ''
  let prev = 0
  for (const cut of [...cuts, bytes.length]) {
    for (const e of decoder.push(bytes.subarray(prev, cut))) out += responsesOverGemini.stream.push(e.data, state)
    prev = cut
  }
  for (const e of decoder.end()) out += responsesOverGemini.stream.push(e.data, state)
  return (out + responsesOverGemini.stream.finish(state)).replace(/"created_at":\d+/g, '"created_at":0')
}

const parsed = (text: string) =>
  sseEvents(text).map((e) => {
    const data = JSON.parse(e.data) as ResponsesEvent & Record<string, any>
    expect(e.event).toBe(data.type)
    return data
  })

test('Gemini stream → Responses events: reasoning, text, signed calls whole, completed with usage; the same at every cut', () => {
  const whole = translate(upstream, [])
  const length = new TextEncoder().encode(upstream).length
  for (let cut = 1; cut < length; cut++) expect(translate(upstream, [cut])).toBe(whole)
  const events = parsed(whole)
  expect(events.map((e) => e.type)).toEqual([
    'response.created',
    'response.in_progress',
    'response.output_item.added',
    'response.reasoning_summary_part.added',
    'response.reasoning_summary_text.delta',
    'response.reasoning_summary_text.done',
    'response.reasoning_summary_part.done',
    'response.output_item.done',
    'response.output_item.added',
    'response.content_part.added',
    'response.output_text.delta',
    'response.output_text.delta',
    'response.output_text.done',
    'response.content_part.done',
    'response.output_item.done',
    'response.output_item.added',
    'response.function_call_arguments.delta',
    'response.output_item.added',
    'response.function_call_arguments.delta',
    'response.function_call_arguments.done',
    'response.output_item.done',
    'response.function_call_arguments.done',
    'response.output_item.done',
    'response.completed',
  ])
  expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i))
  expect(events.filter((e) => e.type.endsWith('.delta')).map((e) => e.delta)).toEqual([
    'Tests first.',
    'Running',
    ' them.',
    '{"cmd":"bun test"}',
    '{"task":"review"}',
  ])
  const completed = events.at(-1)!.response as ResponseObject
  expect(completed).toMatchObject({ id: 'resp_r9', status: 'completed', model: 'gpt-5-codex' })
  const output = completed.output as Record<string, any>[]
  expect(output.map((o) => o.type)).toEqual(['reasoning', 'message', 'function_call', 'function_call'])
  expect(output[2]).toMatchObject({ call_id: 'call_r9_0__thought__c2ln-_8', name: 'exec_command', arguments: '{"cmd":"bun test"}' })
  expect(output[3]).toMatchObject({ call_id: 'call_r9_1', name: 'spawn', namespace: 'agents', arguments: '{"task":"review"}' })
  expect(completed.usage).toMatchObject({ input_tokens: 120, input_tokens_details: { cached_tokens: 100 }, output_tokens: 40 })
})

test('Gemini stream → Responses events: an error event or a failure ends with response.failed, nothing after it', () => {
  const broken = event(candidate([{ text: 'Hi' }])) + event({ error: { code: 503, message: 'overloaded', status: 'UNAVAILABLE' } })
  const events = parsed(translate(broken, []))
  expect(events.at(-1)).toMatchObject({
    type: 'response.failed',
    response: { status: 'failed', error: { code: 'UNAVAILABLE', message: 'overloaded' } },
  })
  expect(events.filter((e) => e.type === 'response.failed')).toHaveLength(1)
  const state = responsesOverGemini.stream.start(context())
  expect(parsed(responsesOverGemini.stream.fail(state, 'reset')).map((e) => e.type)).toEqual([
    'response.created',
    'response.in_progress',
    'response.failed',
  ])
  expect(responsesOverGemini.stream.finish(state)).toBe('')
})
