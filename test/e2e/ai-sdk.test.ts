/**
 * The Vercel AI SDK's default OpenAI provider (`@ai-sdk/openai`: `openai(id)`
 * speaks the Responses API, `POST /v1/responses`) pointed at lmlb, driven
 * with `generateText` and `streamText` from `ai`; behind lmlb a stand-in
 * upstream scripts the model's side: plain text, and a tool round trip
 * (the model calls `weather`, the SDK runs it, the model reads the result).
 *
 * Written once for three kinds of upstream, as codex.test.ts does: one with
 * the Responses API (lmlb passes the call through), one that has only Chat
 * Completions and an Anthropic one (lmlb translates).
 *
 * What the SDK sends back on a follow-up step (@ai-sdk/openai 4.0.x,
 * `convertToOpenAIResponsesInput`): a client-side function call goes back
 * whole (`function_call`, then `function_call_output`) whatever `store` is;
 * but an assistant *text* item that came with an id (every Responses
 * message has one) goes back as `{ type: 'item_reference', id }` while
 * `store` is on, its default. Over a translated upstream lmlb resolves it
 * from the response it kept (proxy/kept-responses.ts); a Responses
 * upstream resolves it from its own store.
 *
 * Everything stays on 127.0.0.1; every call is bounded by an abort signal.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { createOpenAI } from '@ai-sdk/openai'
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai'
import { startLmlb, type LmlbOptions, type RunningLmlb } from '../helpers/lmlb'
import { chatChunks, chatStream, typedEventStream } from '../helpers/requests'
import { startUpstream, type FakeUpstream, type Received } from '../helpers/upstream'

const CALL_MS = 10_000
const TEST_MS = 20_000

const PLAIN_PROMPT = 'Say hello.'
const HELLO = 'Hello from the stand-in!'
const TOOL_PROMPT = 'What is the weather in Paris?'
/** A prompt on which the model says a few words before calling the tool: an assistant text item in the step. */
const CHATTY_TOOL_PROMPT = 'What is the weather in Paris? Say what you are doing first.'
const PREAMBLE = 'Let me check the weather.'
const FORECAST = 'sunny-lmlb-21C'
const CLIENT_KEY = 'sk-ai-sdk-client-key-not-forwarded'
const answerFor = (toolOutput: string) => `The weather tool says: ${toolOutput}`

// ---------------------------------------------------------------------------
// The model's side, independent of wire format.

type Action = { text: string } | { preamble?: string; call: { name: string; args: object } }
interface Turn {
  /** The text of every user message, joined. */
  asked: string
  tools: string[]
  /** The tool's result, once the SDK sends it back. */
  toolOutput?: string
}

function decide(turn: Turn): Action {
  if (turn.toolOutput !== undefined) return { text: answerFor(turn.toolOutput) }
  if (turn.tools.includes('weather') && turn.asked.includes('weather')) {
    return { ...(turn.asked.includes('first') && { preamble: PREAMBLE }), call: { name: 'weather', args: { city: 'Paris' } } }
  }
  return { text: HELLO }
}

const halves = (s: string) => [s.slice(0, Math.floor(s.length / 2)), s.slice(Math.floor(s.length / 2))]
const textOf = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content.map((p) => (typeof p === 'string' ? p : textOf(p?.text ?? p?.content ?? ''))).join('')
      : ''

type Kind = 'responses' | 'chat' | 'anthropic'

interface UpstreamKind {
  kind: Kind
  /** The path lmlb calls on the stand-in. */
  path: string
  /** The model the SDK asks lmlb for, and the one the stand-in sees. */
  model: string
  upstreamModel: string
  /** The id the stand-in gives its tool call. */
  callId: string
  /** The tokens the stand-in reports for every answer. */
  usage: { input: number; output: number }
  lmlb(up: FakeUpstream): LmlbOptions
  /** lmlb's own credential reached the stand-in, not the SDK's apiKey. */
  expectAuth(r: Received): void
  /** Reads a request into a turn. */
  turn(r: Received): Turn
  /** The tool result in the stand-in's own format, if the request holds one. */
  toolResult(r: Received): { id: string; output: string } | undefined
  reply(model: string, action: Action, stream: boolean): Response
}

// -- The Responses API: items; every stream event with a sequence_number.

type ResponsesItem = {
  type?: string
  id?: string
  role?: string
  content?: unknown
  call_id?: string
  output?: unknown
  name?: string
  arguments?: string
}

function responsesReply(model: string, action: Action, stream: boolean): Response {
  const n = ++answers
  const output: Record<string, any>[] = []
  const preamble = 'call' in action ? action.preamble : action.text
  if (preamble !== undefined)
    output.push({
      id: `msg_sdk_${n}`,
      type: 'message',
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: preamble, annotations: [] }],
    })
  if ('call' in action)
    output.push({
      id: `fc_sdk_${n}`,
      type: 'function_call',
      status: 'completed',
      call_id: RESPONSES.callId,
      name: action.call.name,
      arguments: JSON.stringify(action.call.args),
    })
  const usage = {
    input_tokens: RESPONSES.usage.input,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: RESPONSES.usage.output,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: RESPONSES.usage.input + RESPONSES.usage.output,
  }
  const base = {
    id: `resp_sdk_${n}`,
    object: 'response',
    created_at: 1,
    model,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    error: null,
    incomplete_details: null,
  }
  const done = { ...base, status: 'completed', output, usage }
  if (!stream) return Response.json(done)
  const events: object[] = [
    { type: 'response.created', response: { ...base, status: 'in_progress', output: [], usage: null } },
    { type: 'response.in_progress', response: { ...base, status: 'in_progress', output: [], usage: null } },
  ]
  output.forEach((item, output_index) => {
    const at = { item_id: item.id, output_index }
    if (item.type === 'message') {
      const part = item.content[0]
      events.push(
        { type: 'response.output_item.added', output_index, item: { ...item, status: 'in_progress', content: [] } },
        { type: 'response.content_part.added', ...at, content_index: 0, part: { ...part, text: '' } },
        ...halves(part.text).map((delta) => ({ type: 'response.output_text.delta', ...at, content_index: 0, delta })),
        { type: 'response.output_text.done', ...at, content_index: 0, text: part.text },
        { type: 'response.content_part.done', ...at, content_index: 0, part },
      )
    } else {
      events.push(
        { type: 'response.output_item.added', output_index, item: { ...item, status: 'in_progress', arguments: '' } },
        ...halves(item.arguments).map((delta) => ({ type: 'response.function_call_arguments.delta', ...at, delta })),
        { type: 'response.function_call_arguments.done', ...at, arguments: item.arguments },
      )
    }
    events.push({ type: 'response.output_item.done', output_index, item })
  })
  events.push({ type: 'response.completed', response: done })
  return typedEventStream(events, { numbered: true })
}

const RESPONSES: UpstreamKind = {
  kind: 'responses',
  path: '/v1/responses',
  model: 'openai/gpt-test',
  upstreamModel: 'gpt-test',
  callId: 'call_sdk_responses_1',
  usage: { input: 31, output: 7 },
  lmlb: (up) => ({ env: { OPENAI_API_KEYS: 'sk-ai-sdk-e2e-openai-0001', SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }) } }),
  expectAuth: (r) => expect(r.headers.authorization).toBe('Bearer sk-ai-sdk-e2e-openai-0001'),
  turn: (r) => {
    const input = (typeof r.body.input === 'string' ? [{ role: 'user', content: r.body.input }] : r.body.input) as ResponsesItem[]
    return {
      asked: input
        .filter((i) => i.role === 'user')
        .map((i) => textOf(i.content))
        .join('\n'),
      tools: ((r.body.tools ?? []) as { name?: string }[]).flatMap((t) => t.name ?? []),
      toolOutput: RESPONSES.toolResult(r)?.output,
    }
  },
  toolResult(r) {
    const out = ((Array.isArray(r.body?.input) ? r.body.input : []) as ResponsesItem[]).find((i) => i.type === 'function_call_output')
    return out && { id: String(out.call_id), output: textOf(out.output) }
  },
  reply: responsesReply,
}

// -- Chat Completions: the result comes back as a role 'tool' message.

type ChatMessage = {
  role: string
  content: unknown
  tool_call_id?: string
  tool_calls?: { id: string; function: { name: string; arguments: string } }[]
}

const CHAT: UpstreamKind = {
  kind: 'chat',
  path: '/v1/chat/completions',
  model: 'chatonly/some-model',
  upstreamModel: 'some-model',
  callId: 'call_sdk_chat_1',
  usage: { input: 23, output: 5 },
  lmlb: (up) => ({ args: ['--config', 'lmlb.yaml'], files: { 'lmlb.yaml': `services:\n  chatonly:\n    endpoints: ["${up.base}"]\n` } }),
  // A service configured without keys: nothing of the SDK's key goes through.
  expectAuth: (r) => expect(r.headers.authorization ?? '').not.toContain(CLIENT_KEY),
  turn: (r) => {
    const messages = r.body.messages as ChatMessage[]
    return {
      asked: messages
        .filter((m) => m.role === 'user')
        .map((m) => textOf(m.content))
        .join('\n'),
      tools: ((r.body.tools ?? []) as { function?: { name: string } }[]).flatMap((t) => t.function?.name ?? []),
      toolOutput: CHAT.toolResult(r)?.output,
    }
  },
  toolResult(r) {
    const tool = ((r.body?.messages ?? []) as ChatMessage[]).find((m) => m.role === 'tool')
    return tool && { id: String(tool.tool_call_id), output: textOf(tool.content) }
  },
  reply(model, action, stream) {
    const usage = {
      prompt_tokens: CHAT.usage.input,
      completion_tokens: CHAT.usage.output,
      total_tokens: CHAT.usage.input + CHAT.usage.output,
    }
    const head = { id: 'chatcmpl-sdk', created: 1, model }
    const text = 'call' in action ? (action.preamble ?? null) : action.text
    const args = 'call' in action ? JSON.stringify(action.call.args) : ''
    const finish_reason = 'call' in action ? 'tool_calls' : 'stop'
    if (!stream) {
      const tool_calls =
        'call' in action ? [{ id: CHAT.callId, type: 'function', function: { name: action.call.name, arguments: args } }] : undefined
      return Response.json({
        ...head,
        object: 'chat.completion',
        choices: [
          { index: 0, message: { role: 'assistant', content: text, ...(tool_calls && { tool_calls }) }, logprobs: null, finish_reason },
        ],
        usage,
      })
    }
    const chunk = chatChunks({ ...head, object: 'chat.completion.chunk' }, { logprobs: true })
    const chunks: object[] = [
      chunk({ role: 'assistant', content: '' }),
      ...(text === null ? [] : halves(text).map((content) => chunk({ content }))),
    ]
    if ('call' in action) {
      const [a, b] = halves(args)
      chunks.push(
        chunk({ tool_calls: [{ index: 0, id: CHAT.callId, type: 'function', function: { name: action.call.name, arguments: a } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: b } }] }),
      )
    }
    chunks.push(chunk({}, finish_reason), { ...head, object: 'chat.completion.chunk', choices: [], usage })
    return chatStream(chunks)
  },
}

// -- Anthropic Messages: the result comes back as a tool_result block.

type AnthropicBlock = { type: string; text?: string; id?: string; name?: string; input?: unknown; tool_use_id?: string; content?: unknown }
type AnthropicMessage = { role: string; content: string | AnthropicBlock[] }

const ANTHROPIC: UpstreamKind = {
  kind: 'anthropic',
  path: '/v1/messages',
  model: 'anthropic/claude-test',
  upstreamModel: 'claude-test',
  callId: 'toolu_sdk_1',
  usage: { input: 17, output: 9 },
  lmlb: (up) => ({ env: { ANTHROPIC_API_KEYS: 'sk-ant-ai-sdk-e2e-0001', SERVICE_ENDPOINTS: JSON.stringify({ anthropic: [up.base] }) } }),
  expectAuth: (r) => {
    expect(r.headers['x-api-key']).toBe('sk-ant-ai-sdk-e2e-0001')
    expect(r.headers.authorization ?? '').not.toContain(CLIENT_KEY)
  },
  turn: (r) => ({
    asked: (r.body.messages as AnthropicMessage[])
      .filter((m) => m.role === 'user')
      .map((m) =>
        typeof m.content === 'string'
          ? m.content
          : m.content
              .filter((b) => b.type === 'text')
              .map((b) => b.text ?? '')
              .join(''),
      )
      .join('\n'),
    tools: ((r.body.tools ?? []) as { name?: string }[]).flatMap((t) => t.name ?? []),
    toolOutput: ANTHROPIC.toolResult(r)?.output,
  }),
  toolResult(r) {
    for (const m of (r.body?.messages ?? []) as AnthropicMessage[]) {
      const result = typeof m.content === 'string' ? undefined : m.content.find((b) => b.type === 'tool_result')
      if (m.role === 'user' && result) return { id: String(result.tool_use_id), output: textOf(result.content) }
    }
    return undefined
  },
  reply(model, action, stream) {
    const text = 'call' in action ? action.preamble : action.text
    const blocks: AnthropicBlock[] = [
      ...(text === undefined ? [] : [{ type: 'text', text }]),
      ...('call' in action ? [{ type: 'tool_use', id: ANTHROPIC.callId, name: action.call.name, input: action.call.args }] : []),
    ]
    const stop_reason = 'call' in action ? 'tool_use' : 'end_turn'
    const message = { id: 'msg_sdk_anthropic', type: 'message', role: 'assistant', model, stop_sequence: null }
    if (!stream)
      return Response.json({
        ...message,
        content: blocks,
        stop_reason,
        usage: { input_tokens: ANTHROPIC.usage.input, output_tokens: ANTHROPIC.usage.output },
      })
    const events: object[] = [
      {
        type: 'message_start',
        message: { ...message, content: [], stop_reason: null, usage: { input_tokens: ANTHROPIC.usage.input, output_tokens: 1 } },
      },
    ]
    blocks.forEach((block, index) => {
      if (block.type === 'text') {
        events.push(
          { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
          ...halves(block.text!).map((t) => ({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: t } })),
        )
      } else {
        events.push(
          { type: 'content_block_start', index, content_block: { ...block, input: {} } },
          ...halves(JSON.stringify(block.input)).map((partial_json) => ({
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json },
          })),
        )
      }
      events.push({ type: 'content_block_stop', index })
    })
    events.push(
      { type: 'message_delta', delta: { stop_reason, stop_sequence: null }, usage: { output_tokens: ANTHROPIC.usage.output } },
      { type: 'message_stop' },
    )
    return typedEventStream(events)
  },
}

/** Numbers the Responses stand-in's answers (distinct response and item ids). */
let answers = 0

function handler(kind: UpstreamKind) {
  return (r: Received): Response => {
    if (r.path === '/v1/messages/count_tokens') return Response.json({ input_tokens: kind.usage.input })
    if (r.path !== kind.path)
      return Response.json({ error: { message: `no route ${r.path}`, type: 'invalid_request_error' } }, { status: 404 })
    return kind.reply(r.body.model, decide(kind.turn(r)), r.body.stream === true)
  }
}

// ---------------------------------------------------------------------------
// The scenarios, for any upstream kind.

const weatherInput = jsonSchema<{ city: string }>({
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
  additionalProperties: false,
})

function scenarios(kind: UpstreamKind) {
  const translated = kind.kind !== 'responses'
  let up: FakeUpstream
  let lmlb: RunningLmlb
  /** The Responses requests the SDK sent lmlb, parsed, and lmlb's whole (not streamed) answers. */
  let sent: any[] = []
  let answered: { status: number; body: any }[] = []
  let openai: ReturnType<typeof createOpenAI>

  beforeAll(async () => {
    up = startUpstream(kind.kind, handler(kind))
    lmlb = await startLmlb(kind.lmlb(up))
    const recording = (async (url: string | URL | Request, init?: RequestInit) => {
      if (typeof init?.body === 'string') sent.push(JSON.parse(init.body))
      const res = await fetch(url, init)
      if (res.headers.get('content-type')?.startsWith('application/json'))
        answered.push({ status: res.status, body: await res.clone().json() })
      return res
    }) as typeof fetch
    openai = createOpenAI({ baseURL: `${lmlb.url}/v1`, apiKey: CLIENT_KEY, fetch: recording })
  })
  afterAll(async () => {
    await lmlb?.stop()
    await up?.stop()
  })
  beforeEach(() => {
    up.received.length = 0
    sent = []
    answered = []
  })

  const calls = () => up.received.filter((r) => r.path === kind.path)
  /** The weather tool, recording what it was called with. */
  const weatherTool = (ran: unknown[]) =>
    tool({
      description: 'The weather in a city',
      inputSchema: weatherInput,
      execute: async (input) => {
        ran.push(input)
        return { forecast: FORECAST }
      },
    })
  const roundTrip = (prompt: string, ran: unknown[], store?: false) =>
    generateText({
      model: openai(kind.model),
      prompt,
      tools: { weather: weatherTool(ran) },
      stopWhen: stepCountIs(2),
      maxRetries: 0,
      abortSignal: AbortSignal.timeout(CALL_MS),
      ...(store === false && { providerOptions: { openai: { store: false } } }),
    })

  test(
    "generateText: the stand-in's text and the tokens it reported",
    async () => {
      const result = await generateText({
        model: openai(kind.model),
        prompt: PLAIN_PROMPT,
        maxRetries: 0,
        abortSignal: AbortSignal.timeout(CALL_MS),
      })
      expect(result.text).toBe(HELLO)
      expect(result.finishReason).toBe('stop')
      expect(result.usage).toMatchObject({ inputTokens: kind.usage.input, outputTokens: kind.usage.output })

      const [call, ...more] = calls()
      expect(more).toEqual([])
      expect(call.body.model).toBe(kind.upstreamModel)
      expect(call.body.stream ?? false).toBe(false)
      expect(JSON.stringify(call.body)).toContain(PLAIN_PROMPT)
      kind.expectAuth(call)
    },
    TEST_MS,
  )

  test(
    "streamText: the deltas joined are the stand-in's text; finishReason stop; the usage",
    async () => {
      const result = streamText({
        model: openai(kind.model),
        prompt: PLAIN_PROMPT,
        maxRetries: 0,
        abortSignal: AbortSignal.timeout(CALL_MS),
      })
      const deltas: string[] = []
      for await (const delta of result.textStream) deltas.push(delta)
      expect(deltas.join('')).toBe(HELLO)
      expect(deltas.length).toBeGreaterThan(1)
      expect(await result.finishReason).toBe('stop')
      expect(await result.usage).toMatchObject({ inputTokens: kind.usage.input, outputTokens: kind.usage.output })
      const [call, ...more] = calls()
      expect(more).toEqual([])
      expect(call.body.stream).toBe(true)
    },
    TEST_MS,
  )

  // On the passthrough kind store: false too: a real OpenAI stores responses and resolves
  // item_references; this stand-in is a dumb Responses server that keeps nothing.
  test(
    'a tool round trip with store: false: the SDK runs the tool, the stand-in reads its result, the final text comes back',
    async () => {
      const ran: unknown[] = []
      const result = await roundTrip(CHATTY_TOOL_PROMPT, ran, false)
      const output = JSON.stringify({ forecast: FORECAST })
      expect(ran).toEqual([{ city: 'Paris' }])
      expect(result.steps).toHaveLength(2)
      expect(result.steps[0].toolCalls).toMatchObject([{ toolCallId: kind.callId, toolName: 'weather', input: { city: 'Paris' } }])
      expect(result.steps[0].text).toBe(PREAMBLE)
      expect(result.text).toBe(answerFor(output))
      expect(result.finishReason).toBe('stop')

      // Step 2 as the SDK sent it: every earlier item itself, no reference.
      expect(sent).toHaveLength(2)
      expect(sent[1].store).toBe(false)
      expect(sent[1].input).toEqual([
        { role: 'user', content: [{ type: 'input_text', text: CHATTY_TOOL_PROMPT }] },
        { role: 'assistant', content: PREAMBLE },
        { type: 'function_call', call_id: kind.callId, name: 'weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: kind.callId, output },
      ])

      // Step 2 as the stand-in received it, in its own format.
      const [first, second, ...more] = calls()
      expect(more).toEqual([])
      expect(kind.toolResult(first)).toBeUndefined()
      expect(kind.toolResult(second)).toEqual({ id: kind.callId, output })
      if (kind.kind === 'responses') {
        expect(second.body.store).toBe(false)
        expect(second.body.input).toEqual(sent[1].input)
      }
      if (kind.kind === 'chat') {
        expect(second.body.messages).toEqual([
          { role: 'user', content: [{ type: 'text', text: CHATTY_TOOL_PROMPT }] },
          {
            role: 'assistant',
            content: PREAMBLE,
            tool_calls: [{ id: kind.callId, type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
          },
          { role: 'tool', tool_call_id: kind.callId, content: output },
        ])
      }
      if (kind.kind === 'anthropic') {
        expect(second.body.messages).toMatchObject([
          { role: 'user' },
          {
            role: 'assistant',
            content: [
              { type: 'text', text: PREAMBLE },
              { type: 'tool_use', id: kind.callId, name: 'weather', input: { city: 'Paris' } },
            ],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: kind.callId }] },
        ])
      }
    },
    TEST_MS,
  )

  test(
    'a tool round trip streamed (streamText, store: false): the text of the final step, finishReason stop',
    async () => {
      const ran: unknown[] = []
      const result = streamText({
        model: openai(kind.model),
        prompt: TOOL_PROMPT,
        tools: { weather: weatherTool(ran) },
        stopWhen: stepCountIs(2),
        maxRetries: 0,
        abortSignal: AbortSignal.timeout(CALL_MS),
        providerOptions: { openai: { store: false } },
      })
      let text = ''
      for await (const delta of result.textStream) text += delta
      const output = JSON.stringify({ forecast: FORECAST })
      expect(text).toBe(answerFor(output))
      expect(await result.finishReason).toBe('stop')
      expect(ran).toEqual([{ city: 'Paris' }])
      const [first, second, ...more] = calls()
      expect(more).toEqual([])
      expect([first.body.stream, second.body.stream]).toEqual([true, true])
      expect(kind.toolResult(second)).toEqual({ id: kind.callId, output })
    },
    TEST_MS,
  )

  test(
    'store left on (the default), a bare tool call: the SDK sends the function_call back whole, no item_reference; the round trip works',
    async () => {
      const ran: unknown[] = []
      const result = await roundTrip(TOOL_PROMPT, ran)
      const output = JSON.stringify({ forecast: FORECAST })
      expect(result.text).toBe(answerFor(output))
      expect(ran).toEqual([{ city: 'Paris' }])
      expect(sent[1].store).toBeUndefined()
      expect(sent[1].input).toEqual([
        { role: 'user', content: [{ type: 'input_text', text: TOOL_PROMPT }] },
        { type: 'function_call', call_id: kind.callId, name: 'weather', arguments: '{"city":"Paris"}' },
        { type: 'function_call_output', call_id: kind.callId, output },
      ])
      expect(kind.toolResult(calls()[1])).toEqual({ id: kind.callId, output })
    },
    TEST_MS,
  )

  if (translated) {
    test(
      'store left on, text before the tool call: the SDK sends that text back as an item_reference; lmlb resolves it from the response it kept, and the round trip works',
      async () => {
        const ran: unknown[] = []
        const result = await roundTrip(CHATTY_TOOL_PROMPT, ran)
        expect(result.text).toBe(answerFor(JSON.stringify({ forecast: FORECAST })))
        expect(ran).toEqual([{ city: 'Paris' }])
        // Step 1's answer says it is stored; step 2 names its text by the id lmlb gave it.
        expect(answered[0].body).toMatchObject({ store: true, previous_response_id: null })
        const said = (answered[0].body.output as ResponsesItem[]).find((i) => i.type === 'message')
        expect(said).toMatchObject({ id: expect.any(String), content: [{ type: 'output_text', text: PREAMBLE }] })
        expect(sent[1].input).toEqual([
          { role: 'user', content: [{ type: 'input_text', text: CHATTY_TOOL_PROMPT }] },
          { type: 'item_reference', id: said!.id! },
          { type: 'function_call', call_id: kind.callId, name: 'weather', arguments: '{"city":"Paris"}' },
          { type: 'function_call_output', call_id: kind.callId, output: JSON.stringify({ forecast: FORECAST }) },
        ])
        // The upstream got the text itself back in step 2, before the tool call and its result.
        expect(calls()).toHaveLength(2)
        const second = JSON.stringify(calls()[1].body)
        expect(second).toContain(PREAMBLE)
        expect(second.indexOf(PREAMBLE)).toBeLessThan(second.indexOf(FORECAST))
        expect(kind.toolResult(calls()[1])).toEqual({ id: kind.callId, output: JSON.stringify({ forecast: FORECAST }) })
      },
      TEST_MS,
    )

    test(
      'the same, streamed: streamText runs both steps; the reference to the streamed text is resolved',
      async () => {
        const ran: unknown[] = []
        const errors: unknown[] = []
        const result = streamText({
          model: openai(kind.model),
          prompt: CHATTY_TOOL_PROMPT,
          tools: { weather: weatherTool(ran) },
          stopWhen: stepCountIs(2),
          maxRetries: 0,
          abortSignal: AbortSignal.timeout(CALL_MS),
          onError: ({ error }) => {
            errors.push(error)
          },
        })
        let text = ''
        for await (const delta of result.textStream) text += delta
        expect(errors).toEqual([])
        expect(text).toBe(PREAMBLE + answerFor(JSON.stringify({ forecast: FORECAST })))
        expect(ran).toEqual([{ city: 'Paris' }])
        expect(sent[1].input).toContainEqual({ type: 'item_reference', id: expect.any(String) })
        expect(calls()).toHaveLength(2)
        expect(JSON.stringify(calls()[1].body)).toContain(PREAMBLE)
      },
      TEST_MS,
    )

    test(
      'a reference to a response lmlb no longer keeps: a 400 naming the item, nothing sent upstream',
      async () => {
        const gone = `msg_${'0'.repeat(32)}_0`
        const res = await fetch(`${lmlb.url}/v1/responses`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${CLIENT_KEY}` },
          body: JSON.stringify({
            model: kind.model,
            input: [
              { role: 'user', content: 'hi' },
              { type: 'item_reference', id: gone },
            ],
          }),
        })
        expect(res.status).toBe(400)
        const body = (await res.json()) as { error: { code: string; message: string } }
        expect(body.error.code).toBe('item_not_found')
        expect(body.error.message).toContain(gone)
        expect(calls()).toHaveLength(0)
      },
      TEST_MS,
    )
  } else {
    test(
      'store left on, text before the tool call: the item_reference the SDK sends goes to the Responses upstream as it is',
      async () => {
        const ran: unknown[] = []
        const result = await roundTrip(CHATTY_TOOL_PROMPT, ran)
        // A real OpenAI resolves the reference from its store; the stand-in just answers the tool output.
        expect(result.text).toBe(answerFor(JSON.stringify({ forecast: FORECAST })))
        const said = (answered[0].body.output as ResponsesItem[]).find((i) => i.type === 'message')
        expect(sent[1].input).toContainEqual({ type: 'item_reference', id: said!.id! })
        expect(calls()[1].body.input).toEqual(sent[1].input)
      },
      TEST_MS,
    )
  }
}

describe('AI SDK (@ai-sdk/openai, Responses API) through lmlb: a Responses API upstream (passed through)', () => {
  scenarios(RESPONSES)
})

describe('AI SDK (@ai-sdk/openai, Responses API) through lmlb: a Chat-Completions-only upstream (translated)', () => {
  scenarios(CHAT)
})

describe('AI SDK (@ai-sdk/openai, Responses API) through lmlb: an Anthropic upstream (translated)', () => {
  scenarios(ANTHROPIC)
})
