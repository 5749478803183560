/**
 * The Vercel AI SDK's Google provider (`@ai-sdk/google`, which speaks
 * Google's own Gemini API: `models/{id}:generateContent` and
 * `:streamGenerateContent?alt=sse`, the key in `x-goog-api-key`) pointed at
 * lmlb's `/v1beta`, driven with `generateText` and `streamText` from `ai`:
 * a plain turn, and a tool round trip (the model calls `weather`, the SDK
 * runs it, the model reads its result on the second step).
 *
 * Written once for two kinds of upstream: a Gemini-format pool of two keys
 * (lmlb passes the call through; keys rotate, only as `x-goog-api-key`,
 * never the SDK's own) and an OpenAI-format model (lmlb translates to Chat
 * Completions and back).
 *
 * Everything stays on 127.0.0.1; every call is bounded by an abort signal.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { createGoogleGenerativeAI } from '@ai-sdk/google'
import { generateText, stepCountIs, streamText, tool } from 'ai'
import { z } from 'zod'
import { startLmlb, type LmlbOptions, type RunningLmlb } from '../helpers/lmlb'
import { chatChunks, chatStream } from '../helpers/requests'
import { startUpstream, type FakeUpstream, type Received } from '../helpers/upstream'

const CALL_MS = 10_000
const TEST_MS = 20_000

const GEMINI_KEYS = ['gem-sdk-e2e-key-aaaa1111', 'gem-sdk-e2e-key-bbbb2222']
const OPENAI_KEY = 'sk-ai-sdk-google-e2e-0001'
const CLIENT_KEY = 'ai-sdk-google-client-key-not-forwarded'

const PLAIN_PROMPT = 'Say hello.'
const HELLO = 'Hello from the stand-in!'
const TOOL_PROMPT = 'What is the weather in Paris?'
const FORECAST = 'sunny-lmlb-21C'
const SIGNATURE = Buffer.from('an opaque thought signature').toString('base64')
const CHAT_CALL_ID = 'call_sdk_google_1'
const answerFor = (toolOutput: string) => `The weather tool says: ${toolOutput.includes(FORECAST) ? FORECAST : 'nothing'}`
const TOOL_ANSWER = answerFor(FORECAST)

// ---------------------------------------------------------------------------
// The model's side, independent of wire format.

type Action = { text: string } | { call: { name: string; args: object } }

function decide(asked: string, tools: string[], toolOutput: string | undefined): Action {
  if (toolOutput !== undefined) return { text: answerFor(toolOutput) }
  if (tools.includes('weather') && asked.includes('weather')) return { call: { name: 'weather', args: { city: 'Paris' } } }
  return { text: HELLO }
}

const halves = (s: string) => [s.slice(0, Math.floor(s.length / 2)), s.slice(Math.floor(s.length / 2))]

interface UpstreamKind {
  name: string
  /** The path lmlb calls on the stand-in (without the method suffix for Gemini). */
  path: (stream: boolean) => string
  /** The model id the SDK is given, and the one the stand-in sees. */
  model: string
  upstreamModel: string
  usage: { input: number; output: number }
  lmlb(up: FakeUpstream): LmlbOptions
  /** lmlb's own credential reached the stand-in, not the SDK's apiKey. */
  expectAuth(r: Received): void
  /** What the tool returned, as the stand-in received it on the second step. */
  toolResult(r: Received): string | undefined
  handler(r: Received): Response
}

// -- Gemini: parts; a function call signed; the result comes back as a functionResponse part.

type Part = { text?: string; functionCall?: { id?: string; name: string; args: object }; functionResponse?: any; thoughtSignature?: string }
type Content = { role?: string; parts: Part[] }

const geminiResponses = (r: Received): Part[] =>
  ((r.body?.contents ?? []) as Content[]).flatMap((c) => c.parts.filter((p) => p.functionResponse))

const GEMINI: UpstreamKind = {
  name: 'a Gemini-format pool of two keys (passed through)',
  path: (stream) => `/v1beta/models/gemini-2.5-flash:${stream ? 'streamGenerateContent' : 'generateContent'}`,
  model: 'gemini-2.5-flash',
  upstreamModel: 'gemini-2.5-flash',
  usage: { input: 31, output: 7 },
  lmlb: (up) => ({
    args: ['--config', 'lmlb.yaml'],
    files: { 'lmlb.yaml': `services:\n  gemini:\n    format: gemini\n    endpoints: [${up.base.replace(/\/v1$/, '/v1beta')}]\n` },
    env: { GEMINI_API_KEYS: GEMINI_KEYS.join(',') },
  }),
  expectAuth: (r) => {
    expect(GEMINI_KEYS).toContain(r.headers['x-goog-api-key'])
    expect(r.headers.authorization).toBeUndefined()
    expect(JSON.stringify(r)).not.toContain(CLIENT_KEY)
  },
  toolResult: (r) => {
    const part = geminiResponses(r).at(-1)
    return part && JSON.stringify(part.functionResponse.response)
  },
  handler(r) {
    const method = r.path.slice(r.path.lastIndexOf(':') + 1)
    if (method !== 'generateContent' && method !== 'streamGenerateContent')
      return Response.json({ error: { code: 404, message: `no ${r.path}`, status: 'NOT_FOUND' } }, { status: 404 })
    const contents = r.body.contents as Content[]
    const asked = contents
      .filter((c) => c.role === 'user')
      .flatMap((c) => c.parts.map((p) => p.text ?? ''))
      .join('\n')
    const tools = ((r.body.tools ?? []) as { functionDeclarations?: { name: string }[] }[]).flatMap((t) =>
      (t.functionDeclarations ?? []).map((f) => f.name),
    )
    const action = decide(asked, tools, GEMINI.toolResult(r))
    const parts: Part[] = 'call' in action ? [{ functionCall: action.call, thoughtSignature: SIGNATURE }] : [{ text: action.text }]
    const { input, output } = GEMINI.usage
    const answer = (parts: Part[], last: boolean) => ({
      candidates: [{ content: { role: 'model', parts }, ...(last && { finishReason: 'STOP' }), index: 0 }],
      usageMetadata: last
        ? { promptTokenCount: input, candidatesTokenCount: output, totalTokenCount: input + output }
        : { promptTokenCount: input, totalTokenCount: input },
      modelVersion: 'gemini-2.5-flash',
      responseId: 'resp-sdk-google',
    })
    if (method === 'generateContent') return Response.json(answer(parts, true))
    // As Google streams: one GenerateContentResponse a `data:` line, text in pieces, a function call whole.
    const events = 'text' in action ? halves(action.text).map((text, i) => answer([{ text }], i === 1)) : [answer(parts, true)]
    return new Response(events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join(''), {
      headers: { 'content-type': 'text/event-stream' },
    })
  },
}

// -- Chat Completions: the result comes back as a role 'tool' message.

type ChatMessage = { role: string; content: unknown; tool_call_id?: string; tool_calls?: object[] }
const textOf = (content: unknown): string =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.map((p) => p?.text ?? '').join('') : ''

const OPENAI: UpstreamKind = {
  name: 'an OpenAI-format model (translated to Chat Completions)',
  path: () => '/v1/chat/completions',
  // The provider puts `models/` before an id only when it has no slash: a routed id carries its own.
  model: 'models/openai/gpt-4o',
  upstreamModel: 'gpt-4o',
  usage: { input: 23, output: 5 },
  lmlb: (up) => ({ env: { OPENAI_API_KEYS: OPENAI_KEY, SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }) } }),
  expectAuth: (r) => {
    expect(r.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`)
    expect(r.headers['x-goog-api-key']).toBeUndefined()
    expect(JSON.stringify(r)).not.toContain(CLIENT_KEY)
  },
  toolResult: (r) => {
    const result = ((r.body?.messages ?? []) as ChatMessage[]).find((m) => m.role === 'tool')
    return result && textOf(result.content)
  },
  handler(r) {
    if (r.path !== '/v1/chat/completions')
      return Response.json({ error: { message: `no route ${r.path}`, type: 'invalid_request_error' } }, { status: 404 })
    const messages = r.body.messages as ChatMessage[]
    const asked = messages
      .filter((m) => m.role === 'user')
      .map((m) => textOf(m.content))
      .join('\n')
    const tools = ((r.body.tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name)
    const action = decide(asked, tools, OPENAI.toolResult(r))
    const usage = {
      prompt_tokens: OPENAI.usage.input,
      completion_tokens: OPENAI.usage.output,
      total_tokens: OPENAI.usage.input + OPENAI.usage.output,
    }
    const head = { id: 'chatcmpl-sdk-google', created: 1, model: r.body.model }
    const args = 'call' in action ? JSON.stringify(action.call.args) : ''
    const finish_reason = 'call' in action ? 'tool_calls' : 'stop'
    if (!r.body.stream) {
      const message =
        'call' in action
          ? {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: CHAT_CALL_ID, type: 'function', function: { name: action.call.name, arguments: args } }],
            }
          : { role: 'assistant', content: action.text }
      return Response.json({ ...head, object: 'chat.completion', choices: [{ index: 0, message, finish_reason }], usage })
    }
    const chunk = chatChunks({ ...head, object: 'chat.completion.chunk' })
    const chunks: object[] = [chunk({ role: 'assistant', content: '' })]
    if ('call' in action) {
      const [a, b] = halves(args)
      chunks.push(
        chunk({ tool_calls: [{ index: 0, id: CHAT_CALL_ID, type: 'function', function: { name: action.call.name, arguments: a } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: b } }] }),
      )
    } else {
      chunks.push(...halves(action.text).map((content) => chunk({ content })))
    }
    chunks.push(chunk({}, finish_reason), { ...head, object: 'chat.completion.chunk', choices: [], usage })
    return chatStream(chunks)
  },
}

// ---------------------------------------------------------------------------
// The scenarios, for either kind.

function scenarios(kind: UpstreamKind) {
  let up: FakeUpstream
  let lmlb: RunningLmlb
  let google: ReturnType<typeof createGoogleGenerativeAI>

  beforeAll(async () => {
    up = startUpstream(kind.upstreamModel, (r) => kind.handler(r))
    lmlb = await startLmlb(kind.lmlb(up))
    google = createGoogleGenerativeAI({ baseURL: `${lmlb.url}/v1beta`, apiKey: CLIENT_KEY })
  })
  afterAll(async () => {
    await lmlb?.stop()
    await up?.stop()
  })
  beforeEach(() => up.reset())

  /** The weather tool, recording what it was called with. */
  const weatherTool = (ran: unknown[]) =>
    tool({
      description: 'The weather in a city',
      inputSchema: z.object({ city: z.string() }),
      execute: async (input) => {
        ran.push(input)
        return { forecast: FORECAST }
      },
    })

  /** Where each call went and how it was asked; every one on lmlb's credential. */
  const expectCalls = (stream: boolean, count: number) => {
    expect(up.received).toHaveLength(count)
    for (const r of up.received) {
      expect(r.method).toBe('POST')
      expect(r.path).toBe(kind.path(stream))
      kind.expectAuth(r)
      if (kind === GEMINI) expect(r.search).toBe(stream ? '?alt=sse' : '')
      else expect([r.body.model, r.body.stream ?? false]).toEqual([kind.upstreamModel, stream])
    }
  }

  /** The second step carried the tool's result (and, on Gemini, the call back with its signature). */
  const expectRoundTrip = () => {
    const [first, second] = up.received
    expect(kind.toolResult(first)).toBeUndefined()
    // What the SDK sent as the functionResponse's `response`; across formats, that JSON as the tool message's content.
    expect(JSON.parse(kind.toolResult(second) ?? 'null')).toEqual({ name: 'weather', content: { forecast: FORECAST } })
    if (kind === GEMINI) {
      expect(geminiResponses(second)).toEqual([{ functionResponse: expect.objectContaining({ name: 'weather' }) }])
      const call = (second.body.contents as Content[]).flatMap((c) =>
        c.parts.filter((p) => p.functionCall).map((p) => ({ role: c.role, ...p })),
      )
      expect(call).toEqual([
        { role: 'model', functionCall: expect.objectContaining({ name: 'weather', args: { city: 'Paris' } }), thoughtSignature: SIGNATURE },
      ])
      // The id the SDK gave the call (Gemini sent none) names the result too.
      expect(geminiResponses(second)[0].functionResponse.id).toBe(call[0].functionCall!.id)
      // Round-robin: the two steps on the two keys.
      expect(up.received.map((r) => r.headers['x-goog-api-key']).sort()).toEqual([...GEMINI_KEYS].sort())
    } else {
      const messages = second.body.messages as ChatMessage[]
      const callId = (messages.find((m) => m.tool_calls)?.tool_calls as { id: string }[])[0].id
      expect(messages.find((m) => m.tool_calls)).toMatchObject({
        role: 'assistant',
        tool_calls: [{ type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } }],
      })
      expect(messages.find((m) => m.role === 'tool')).toMatchObject({ tool_call_id: callId })
    }
  }

  test(
    "generateText: the stand-in's text and the tokens it reported",
    async () => {
      const result = await generateText({
        model: google(kind.model),
        prompt: PLAIN_PROMPT,
        maxRetries: 0,
        abortSignal: AbortSignal.timeout(CALL_MS),
      })
      expect(result.text).toBe(HELLO)
      expect(result.finishReason).toBe('stop')
      expect(result.usage).toMatchObject({ inputTokens: kind.usage.input, outputTokens: kind.usage.output })
      expectCalls(false, 1)
      expect(JSON.stringify(up.received[0].body)).toContain(PLAIN_PROMPT)
    },
    TEST_MS,
  )

  test(
    "streamText: the deltas joined are the stand-in's text; finishReason stop; the usage",
    async () => {
      const result = streamText({
        model: google(kind.model),
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
      expectCalls(true, 1)
    },
    TEST_MS,
  )

  test(
    'generateText, a tool round trip: the SDK runs the tool, its result reaches the stand-in on the second call, the final text comes back',
    async () => {
      const ran: unknown[] = []
      const result = await generateText({
        model: google(kind.model),
        prompt: TOOL_PROMPT,
        tools: { weather: weatherTool(ran) },
        stopWhen: stepCountIs(2),
        maxRetries: 0,
        abortSignal: AbortSignal.timeout(CALL_MS),
      })
      expect(ran).toEqual([{ city: 'Paris' }])
      expect(result.steps).toHaveLength(2)
      expect(result.steps[0].toolCalls).toMatchObject([{ toolName: 'weather', input: { city: 'Paris' } }])
      expect(result.text).toBe(TOOL_ANSWER)
      expect(result.finishReason).toBe('stop')
      expectCalls(false, 2)
      expectRoundTrip()
    },
    TEST_MS,
  )

  test(
    'streamText, a tool round trip: both steps streamed, the text of the final step',
    async () => {
      const ran: unknown[] = []
      const errors: unknown[] = []
      const result = streamText({
        model: google(kind.model),
        prompt: TOOL_PROMPT,
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
      expect(text).toBe(TOOL_ANSWER)
      expect(await result.finishReason).toBe('stop')
      expect(ran).toEqual([{ city: 'Paris' }])
      expectCalls(true, 2)
      expectRoundTrip()
    },
    TEST_MS,
  )
}

describe(`AI SDK (@ai-sdk/google) through lmlb: ${GEMINI.name}`, () => {
  scenarios(GEMINI)
})

describe(`AI SDK (@ai-sdk/google) through lmlb: ${OPENAI.name}`, () => {
  scenarios(OPENAI)
})
