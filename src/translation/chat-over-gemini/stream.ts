/**
 * Gemini stream events (each a whole GenerateContentResponse) → OpenAI
 * chat.completion.chunk objects. A pure state machine: the role first,
 * then each part as it comes (thoughts as reasoning_content, text as
 * content, each functionCall whole with its id), the finish_reason when
 * Gemini gives one, and at the end the usage chunk when the client asked
 * (`stream_options.include_usage`). Gemini sends no end marker: the caller's
 * `finish` ends the stream and writes `[DONE]`.
 */
import type { GeminiUsageMetadata, GenerateContentResponse } from '../../apis/gemini/wire'
import type { OpenAIChunk } from '../../apis/openai-chat/wire'
import { completionId, finishReasonOf, toOpenAIUsage, toolCallId } from './response'

export interface ChatStreamState {
  model: string
  includeUsage: boolean
  id: string
  created: number
  started: boolean
  /** The next tool_calls index. */
  calls: number
  finishSent: boolean
  usage?: GeminiUsageMetadata
  finished: boolean
}

type Out = OpenAIChunk | { error: object }

export function createChatStreamState(opts: { model: string; includeUsage: boolean }): ChatStreamState {
  return {
    model: opts.model,
    includeUsage: opts.includeUsage,
    id: completionId(undefined),
    created: Math.floor(Date.now() / 1000),
    started: false,
    calls: 0,
    finishSent: false,
    finished: false,
  }
}

export function onEvent(event: GenerateContentResponse & { error?: { message?: string; status?: string } }, state: ChatStreamState): Out[] {
  if (state.finished) return []
  if (event.error) return failChat(state, event.error.message ?? 'upstream error', event.error.status)
  const out: Out[] = []
  if (!state.started) {
    state.started = true
    if (event.responseId) state.id = completionId(event.responseId)
    out.push(chunk(state, { role: 'assistant', content: '' }))
  }
  if (event.usageMetadata) state.usage = event.usageMetadata
  // Only the first candidate is streamed: Chat streams of n > 1 are not translated.
  const candidate = event.candidates?.find((c) => (c.index ?? 0) === 0)
  for (const part of candidate?.content?.parts ?? []) {
    if (part.functionCall) {
      const index = state.calls++
      const id = toolCallId(part, `call_${state.id.slice('chatcmpl-'.length)}_${index}`)
      const fn = { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) }
      out.push(chunk(state, { tool_calls: [{ index, id, type: 'function', function: fn }] }))
    } else if (typeof part.text === 'string' && part.text !== '') {
      out.push(chunk(state, part.thought ? { reasoning_content: part.text } : { content: part.text }))
    }
  }
  const reason = candidate?.finishReason ?? (event.promptFeedback?.blockReason ? 'SAFETY' : undefined)
  if (reason && !state.finishSent) {
    state.finishSent = true
    out.push(chunk(state, {}, finishReasonOf(reason, state.calls > 0)))
  }
  return out
}

/** The end: a finish_reason if Gemini gave none, then the usage chunk when asked. */
export function finishChat(state: ChatStreamState): Out[] {
  if (state.finished) return []
  const out: Out[] = []
  if (!state.started) out.push(...onEvent({}, state))
  if (!state.finishSent) out.push(chunk(state, {}, finishReasonOf(undefined, state.calls > 0)))
  state.finished = true
  if (state.includeUsage)
    out.push({
      id: state.id,
      object: 'chat.completion.chunk',
      created: state.created,
      model: state.model,
      choices: [],
      usage: toOpenAIUsage(state.usage),
    })
  return out
}

/** It broke: an error chunk, and nothing after it. */
export function failChat(state: ChatStreamState, message: string, code = 'upstream_stream_error'): Out[] {
  if (state.finished) return []
  state.finished = true
  return [{ error: { message, type: 'api_error', code } }]
}

function chunk(state: ChatStreamState, delta: object, finish: string | null = null): OpenAIChunk {
  return {
    id: state.id,
    object: 'chat.completion.chunk',
    created: state.created,
    model: state.model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  }
}
