/**
 * OpenAI chat.completion.chunk stream → a Gemini `streamGenerateContent?alt=sse`
 * stream. A pure state machine: text and thoughts go out as they come; a
 * tool call's argument fragments are gathered and its functionCall goes
 * out whole once they are complete (at the next call, or at the end: Gemini
 * never streams partial arguments); the last event says why it stopped and
 * how many tokens it took.
 *
 * On the wire each event is `data: <one GenerateContentResponse>` and a
 * CRLF blank line, as Google sends it: no `event:` names and no comment
 * lines, which Google's own SDKs do not expect.
 */
import type { GeminiPart, GenerateContentResponse } from '../../apis/gemini/wire'
import { textLiteralOf } from '../../apis/openai-chat/text-chunk'
import { callOfFragment, type ToolFragment } from '../../apis/openai-chat/tool-fragments'
import type { OpenAIChunk } from '../../apis/openai-chat/wire'
import { type ChatUsage, finishReasonOf, functionCallPart, responseIdOf, toUsageMetadata } from './response'

interface ToolCall {
  id: string
  name: string
  arguments: string
}

export interface GeminiStreamState {
  model: string
  includeThoughts: boolean
  /** One candidate asked for: text chunks may take the fast path (only choice 0 is translated). */
  single: boolean
  responseId?: string
  calls: ToolCall[]
  byIndex: Map<number, ToolCall>
  /** How many of `calls` have gone out. */
  sent: number
  finishReason: string | null
  usage?: ChatUsage
  done: boolean
}

/** What a stream may end with instead of an answer. */
type GeminiEvent = GenerateContentResponse | { error: { code: number; message: string; status: string } }

export function createGeminiStreamState(opts: { model: string; includeThoughts: boolean; candidates?: number }): GeminiStreamState {
  return {
    model: opts.model,
    includeThoughts: opts.includeThoughts,
    single: (opts.candidates ?? 1) <= 1,
    calls: [],
    byIndex: new Map(),
    sent: 0,
    finishReason: null,
    done: false,
  }
}

/** Google's SSE framing: one JSON line and a CRLF blank line per event. */
export function encodeGeminiEvents(events: GeminiEvent[]): string {
  let out = ''
  for (const e of events) out += `data: ${JSON.stringify(e)}\r\n\r\n`
  return out
}

export function onChunk(chunk: OpenAIChunk, state: GeminiStreamState): GeminiEvent[] {
  if (state.done) return []
  if (chunk.error) return failStream(state, chunk.error.message ?? 'upstream error')
  state.responseId ??= responseIdOf(chunk.id)
  if (chunk.usage) state.usage = chunk.usage
  // Only the first candidate is streamed: Gemini clients read candidates[0].
  const choice = chunk.choices?.find((c) => (c.index ?? 0) === 0)
  if (!choice) return []
  const events: GeminiEvent[] = []
  const delta = choice.delta ?? {}
  const reasoning = delta.reasoning_content ?? delta.reasoning
  if (reasoning && state.includeThoughts)
    events.push(...flushCalls(state, state.calls.length), partsEvent(state, [{ text: reasoning, thought: true }]))
  if (delta.content) events.push(...flushCalls(state, state.calls.length), partsEvent(state, [{ text: delta.content }]))
  for (const fragment of delta.tool_calls ?? []) events.push(...toolFragment(fragment, state))
  if (choice.finish_reason) state.finishReason = choice.finish_reason
  return events
}

/** The upstream ended: the calls not yet sent, why it stopped, and the usage, in one last event. */
export function finish(state: GeminiStreamState): GeminiEvent[] {
  if (state.done) return []
  state.responseId ??= responseIdOf(undefined)
  const parts = state.calls.slice(state.sent).map((c) => functionCallPart({ id: c.id, function: { name: c.name, arguments: c.arguments } }))
  state.sent = state.calls.length
  state.done = true
  return [
    {
      candidates: [{ content: { parts, role: 'model' }, finishReason: finishReasonOf(state.finishReason), index: 0 }],
      ...(state.usage && { usageMetadata: toUsageMetadata(state.usage) }),
      modelVersion: state.model,
      responseId: state.responseId,
    },
  ]
}

/** It broke: Google's error object as the last event, and nothing after it. */
export function failStream(state: GeminiStreamState, message: string): GeminiEvent[] {
  if (state.done) return []
  state.done = true
  return [{ error: { code: 500, message, status: 'INTERNAL' } }]
}

/**
 * A text chunk (apis/openai-chat/text-chunk.ts) turned into its Gemini event
 * without parsing it: the upstream's JSON string literal goes in as it is.
 * Left to `onChunk` (undefined) before the first chunk names the response,
 * while a call waits to go out, or whenever in doubt.
 */
export function textEvent(data: string, state: GeminiStreamState): string | undefined {
  if (state.done || !state.single || state.responseId === undefined || state.sent < state.calls.length) return undefined
  const literal = textLiteralOf(data)
  if (literal === undefined) return undefined
  if (literal === '""') return ''
  return (
    `data: {"candidates":[{"content":{"parts":[{"text":${literal}}],"role":"model"},"index":0}],` +
    `"modelVersion":${JSON.stringify(state.model)},"responseId":${JSON.stringify(state.responseId)}}\r\n\r\n`
  )
}

/** One event of parts; its layout matches `textEvent`'s, field for field. */
function partsEvent(state: GeminiStreamState, parts: GeminiPart[]): GenerateContentResponse {
  return { candidates: [{ content: { parts, role: 'model' }, index: 0 }], modelVersion: state.model, responseId: state.responseId }
}

/** A fragment that starts a new call completes the calls before it: they go out. */
function toolFragment(fragment: ToolFragment, state: GeminiStreamState): GeminiEvent[] {
  const before = state.calls.length
  const call = callOfFragment(fragment, state.byIndex, state.calls, (id, name): ToolCall => ({ id, name, arguments: '' }))
  call.arguments += fragment.function?.arguments ?? ''
  return state.calls.length > before ? flushCalls(state, state.calls.length - 1) : []
}

/** The calls before `upTo` that have not gone out, as one event. */
function flushCalls(state: GeminiStreamState, upTo: number): GeminiEvent[] {
  if (state.sent >= upTo) return []
  const parts = state.calls
    .slice(state.sent, upTo)
    .map((c) => functionCallPart({ id: c.id, function: { name: c.name, arguments: c.arguments } }))
  state.sent = upTo
  return [partsEvent(state, parts)]
}
