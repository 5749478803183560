/**
 * OpenAI chunk streams → Responses events: a recorded-style sequence cut at
 * every byte position, through the SSE decoder and the state machine; the
 * events then read back by the openai SDK's own stream accumulator.
 */
import { describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { responsesOverChat } from '../../../src/translation/responses-over-chat'
import { createResponsesStreamState, failStream, finish, onChunk } from '../../../src/translation/responses-over-chat/stream'
import { toChatRequest } from '../../../src/translation/responses-over-chat/request'
import { SseDecoder } from '../../../src/sse/decode'
import { encodeJsonEvent } from '../../../src/sse/encode'
import type { OpenAIChunk } from '../../../src/apis/openai-chat/wire'
import { streamFixture, throughPair } from '../../helpers/fixtures'
import { chatChunks, chatStreamText, sseEvents } from '../../helpers/requests'
import type { ResponsesEvent, ResponsesOutputItem, ResponsesRequest } from '../../../src/apis/openai-responses/wire'

const chunk = chatChunks({ id: 'chatcmpl-abc', object: 'chat.completion.chunk', created: 1_700_000_000 })
const usageChunk = (prompt: number, completion: number, cached = 0): OpenAIChunk => ({
  id: 'chatcmpl-abc',
  choices: [],
  usage: {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
  },
})

const request: ResponsesRequest = {
  model: 'gpt-5-test',
  input: 'hi',
  stream: true,
  tools: [
    { type: 'function', name: 'get_weather', parameters: { type: 'object' } },
    { type: 'namespace', name: 'multi_agent_v1', description: 'agents', tools: [{ type: 'function', name: 'spawn_agent' }] },
    { type: 'custom', name: 'apply_patch' },
  ],
}
const { tools } = toChatRequest(request, { model: 'gpt-5' })
const opts = { model: 'gpt-5-test', tools, request }

/** Runs SSE bytes, cut at the given positions, through decoder and translator. */
function translate(text: string, cuts: number[] = []): ResponsesEvent[] {
  const bytes = new TextEncoder().encode(text)
  const state = createResponsesStreamState(opts)
  const decoder = new SseDecoder()
  const events: ResponsesEvent[] = []
  const feed = (data: string) => events.push(...(data === '[DONE]' ? finish(state) : onChunk(JSON.parse(data), state)))
  let prev = 0
  for (const cut of [...cuts, bytes.length]) {
    for (const e of decoder.push(bytes.subarray(prev, cut))) feed(e.data)
    prev = cut
  }
  for (const e of decoder.end()) feed(e.data)
  events.push(...finish(state))
  return events
}

const types = (events: ResponsesEvent[]) => events.map((e) => e.type)
const itemsDone = (events: ResponsesEvent[]) =>
  events.filter((e) => e.type === 'response.output_item.done').map((e) => (e as { item: ResponsesOutputItem }).item)
const terminal = (events: ResponsesEvent[]) => events.at(-1) as Extract<ResponsesEvent, { response: unknown }>

/** Text, then reasoning, then two calls whose arguments interleave by index (one namespaced), then finish_reason and usage. */
const recorded = [
  chunk({ role: 'assistant', content: '' }),
  chunk({ content: 'Let me ' }),
  chunk({ content: 'check — ☀️.' }),
  chunk({ reasoning_content: 'Two cities, ' }),
  chunk({ reasoning_content: 'two calls.' }),
  chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } }] }),
  chunk({
    tool_calls: [{ index: 1, id: 'call_2', type: 'function', function: { name: 'multi_agent_v1__spawn_agent', arguments: '{"task":' } }],
  }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] }),
  chunk({ tool_calls: [{ index: 1, function: { arguments: '"weather"}' } }] }),
  chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
  chunk({}, 'tool_calls'),
  usageChunk(30, 20, 10),
]

describe('Chat stream → Responses events', () => {
  const text = chatStreamText(recorded)
  const events = translate(text)

  test('the events, in order, numbered from 0', () => {
    expect(types(events)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.reasoning_summary_part.added',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.delta',
      'response.reasoning_summary_text.done',
      'response.reasoning_summary_part.done',
      'response.output_item.done',
      'response.output_item.added',
      'response.output_item.added',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.delta',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.function_call_arguments.done',
      'response.output_item.done',
      'response.completed',
    ])
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i))
    expect(events[0]).toMatchObject({
      response: { id: 'resp_abc', status: 'in_progress', output: [], model: 'gpt-5-test', created_at: 1_700_000_000 },
    })
    expect(events[4]).toEqual({
      type: 'response.output_text.delta',
      item_id: 'msg_abc_0',
      output_index: 0,
      content_index: 0,
      delta: 'Let me ',
      logprobs: [],
      sequence_number: 4,
    })
    expect(events[18]).toMatchObject({
      type: 'response.function_call_arguments.delta',
      item_id: 'fc_abc_3',
      output_index: 3,
      delta: '{"task":',
    })
  })

  test('every output_item.done item is complete, and the completed response holds them all, with usage', () => {
    const expected: ResponsesOutputItem[] = [
      {
        type: 'message',
        id: 'msg_abc_0',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: 'Let me check — ☀️.', annotations: [], logprobs: [] }],
      },
      { type: 'reasoning', id: 'rs_abc_1', summary: [{ type: 'summary_text', text: 'Two cities, two calls.' }] },
      { type: 'function_call', id: 'fc_abc_2', status: 'completed', call_id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' },
      {
        type: 'function_call',
        id: 'fc_abc_3',
        status: 'completed',
        call_id: 'call_2',
        name: 'spawn_agent',
        namespace: 'multi_agent_v1',
        arguments: '{"task":"weather"}',
      },
    ]
    expect(itemsDone(events)).toEqual(expected)
    expect(terminal(events).response).toMatchObject({
      id: 'resp_abc',
      status: 'completed',
      output: expected,
      usage: {
        input_tokens: 30,
        input_tokens_details: { cached_tokens: 10 },
        output_tokens: 20,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: 50,
      },
    })
    expect(events[2]).toMatchObject({ item: { type: 'message', status: 'in_progress', content: [] } })
    expect(events[16]).toMatchObject({ item: { type: 'function_call', call_id: 'call_1', name: 'get_weather', arguments: '' } })
  })

  test('the same events whatever byte the SSE text is cut at', () => {
    const length = new TextEncoder().encode(text).length
    for (let cut = 1; cut < length; cut++) expect(translate(text, [cut])).toEqual(events)
  })

  test('the openai SDK reads the stream back into the same response', async () => {
    const body = events.map((e) => encodeJsonEvent(e.type, e)).join('')
    const client = new OpenAI({
      apiKey: 'k',
      baseURL: 'http://lmlb.test/v1',
      fetch: async () => new Response(body, { headers: { 'content-type': 'text/event-stream' } }),
    })
    const stream = client.responses.stream({ model: 'gpt-5-test', input: 'hi' })
    const seen: string[] = []
    for await (const event of stream) seen.push(event.type)
    const final = await stream.finalResponse()
    expect(seen).toEqual(types(events))
    // The SDK adds its own parsed fields (parsed, parsed_arguments: null).
    expect(final.output).toMatchObject(terminal(events).response.output as never)
    expect(final).toMatchObject({ id: 'resp_abc', status: 'completed', usage: { total_tokens: 50 } })
    expect(final.output_text).toBe('Let me check — ☀️.')
  })

  test('a call with no arguments at all gives "{}"; arguments before the name are kept', () => {
    const out = translate(
      chatStreamText([
        chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'get_weather' } }] }),
        chunk({ tool_calls: [{ index: 1, function: { arguments: '{"a":' } }] }),
        chunk({ tool_calls: [{ index: 1, id: 'call_2', function: { name: 'get_weather', arguments: '1}' } }] }),
        chunk({}, 'tool_calls'),
      ]),
    )
    expect(out.find((e) => e.type === 'response.function_call_arguments.done')).toMatchObject({ arguments: '{}', output_index: 0 })
    expect(itemsDone(out)).toEqual([
      { type: 'function_call', id: 'fc_abc_0', status: 'completed', call_id: 'call_1', name: 'get_weather', arguments: '{}' },
      { type: 'function_call', id: 'fc_abc_1', status: 'completed', call_id: 'call_2', name: 'get_weather', arguments: '{"a":1}' },
    ])
  })

  test('a custom tool call: its input unwrapped, sent whole once the call ends', () => {
    const out = translate(
      chatStreamText([
        chunk({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'apply_patch', arguments: '{"input":"*** Begin' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: ' Patch\\n"}' } }] }),
        chunk({}, 'tool_calls'),
      ]),
    )
    expect(types(out)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.custom_tool_call_input.delta',
      'response.custom_tool_call_input.done',
      'response.output_item.done',
      'response.completed',
    ])
    expect(out[2]).toMatchObject({ item: { type: 'custom_tool_call', call_id: 'call_1', name: 'apply_patch', input: '' } })
    expect(itemsDone(out)).toEqual([
      {
        type: 'custom_tool_call',
        id: 'ctc_abc_0',
        status: 'completed',
        call_id: 'call_1',
        name: 'apply_patch',
        input: '*** Begin Patch\n',
      },
    ])
  })

  test('length → response.incomplete (max_output_tokens), the cut item incomplete', () => {
    const out = translate(chatStreamText([chunk({ content: 'A long' }), chunk({}, 'length'), usageChunk(5, 2)]))
    expect(terminal(out)).toMatchObject({
      type: 'response.incomplete',
      response: {
        status: 'incomplete',
        incomplete_details: { reason: 'max_output_tokens' },
        output: [{ type: 'message', status: 'incomplete', content: [{ text: 'A long' }] }],
      },
    })
    expect(types(out).filter((t) => t.startsWith('response.') && t.split('.').length === 2)).toEqual([
      'response.created',
      'response.in_progress',
      'response.incomplete',
    ])
  })

  test('an error chunk → response.failed with code and message, then nothing', () => {
    const state = createResponsesStreamState(opts)
    const out = [
      ...onChunk(chunk({ content: 'Hi' }), state),
      ...onChunk(
        { error: { message: 'Rate limit reached. Please try again in 2s.', type: 'rate_limit_error', code: 'rate_limit_exceeded' } },
        state,
      ),
      ...onChunk(chunk({ content: 'more' }), state),
      ...finish(state),
      ...failStream(state, 'again'),
    ]
    expect(types(out)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.failed',
    ])
    expect(terminal(out).response).toMatchObject({
      id: 'resp_abc',
      status: 'failed',
      error: { code: 'rate_limit_exceeded', message: 'Rate limit reached. Please try again in 2s.' },
      output: [{ type: 'message', status: 'incomplete', content: [{ text: 'Hi' }] }],
    })
  })

  test('failStream before any chunk: the lifecycle still opens, then fails', () => {
    const state = createResponsesStreamState(opts)
    const out = failStream(state, 'upstream went away')
    expect(types(out)).toEqual(['response.created', 'response.in_progress', 'response.failed'])
    expect(terminal(out).response.error).toEqual({ code: 'server_error', message: 'upstream went away' })
    expect(out.map((e) => e.sequence_number)).toEqual([0, 1, 2])
  })

  test('the upstream ends without a finish_reason or [DONE]: still response.completed, exactly once', () => {
    const out = translate(chatStreamText([chunk({ content: 'Hi' })], false))
    expect(types(out)).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      'response.output_text.delta',
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ])
    expect(terminal(out).response).not.toHaveProperty('usage')
  })
})

describe('a Chat stream in the API’s own layout (test/fixtures/streams) → Responses events, through the pair', () => {
  const text = streamFixture('openai-chat-text-then-tool-call')
  const served = throughPair(responsesOverChat.stream, opts, text)
  const events = served.map((e) => JSON.parse(e.data) as ResponsesEvent)
  /** What OpenAI's own Responses API streams for the same turn. */
  const openai = sseEvents(streamFixture('openai-responses-text-then-function-call')).map((e) => JSON.parse(e.data))
  type Placed = { type: string; sequence_number: number; output_index?: number; content_index?: number; delta?: string }
  const place = (e: Placed) => [e.type, e.sequence_number, e.output_index, e.content_index]
  const deltas = (list: Placed[], type: string) => list.filter((e) => e.type === type).map((e) => e.delta)
  const withoutId = ({ id, ...item }: { id: string }) => item

  test('the same events as the state machine, each named by its type', () => {
    expect(served.map((e) => e.event)).toEqual(events.map((e) => e.type))
    expect(events).toEqual(translate(text))
  })

  test('the events of OpenAI’s own stream for that turn, in its order, numbering and output and content indexes', () => {
    expect(events.map(place)).toEqual(openai.map(place))
    expect(deltas(events, 'response.output_text.delta')).toEqual(deltas(openai, 'response.output_text.delta'))
    expect(deltas(events, 'response.function_call_arguments.delta')).toEqual(deltas(openai, 'response.function_call_arguments.delta'))
  })

  test('the message and the call, complete: its arguments assembled; response.completed with the usage', () => {
    const done = itemsDone(events)
    expect(done.map(withoutId)).toEqual(openai.filter((e) => e.type === 'response.output_item.done').map((e) => withoutId(e.item)))
    expect(done[1]).toMatchObject({ type: 'function_call', call_id: 'call_Yk3vN8pQ2sLxR7aT0bWcE4fH', name: 'get_weather' })
    expect(JSON.parse((done[1] as { arguments: string }).arguments)).toEqual({ city: 'Paris', unit: 'celsius' })
    const completed = terminal(events)
    expect(completed.type).toBe('response.completed')
    expect(completed.response).toMatchObject({ status: 'completed', model: 'gpt-5-test', created_at: 1764851742 })
    expect((completed.response as { output: { id: string }[] }).output.map(withoutId)).toEqual(done.map(withoutId))
    expect((completed.response as { usage: object }).usage).toEqual(openai.at(-1).response.usage)
  })
})
