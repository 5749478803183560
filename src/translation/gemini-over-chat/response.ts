/** An OpenAI chat.completion → the GenerateContentResponse a Gemini client asked for. */
import type { GeminiFinishReason, GeminiPart, GeminiUsageMetadata, GenerateContentResponse } from '../../apis/gemini/wire'
import { parseArguments } from '../../apis/openai-chat/tool-arguments'
import type { OpenAICompletion, OpenAIToolCall, OpenAIUsage } from '../../apis/openai-chat/wire'
import { own } from '../../util/own'

export interface ResponseOptions {
  /** The model the client asked for (in the URL): the answer names it as its modelVersion. */
  model: string
  /** thinkingConfig.includeThoughts: reasoning is returned as thought parts only when asked, as Gemini does. */
  includeThoughts: boolean
}

/** OpenAI usage as some upstreams report it: reasoning tokens inside completion_tokens. */
export type ChatUsage = OpenAIUsage & { completion_tokens_details?: { reasoning_tokens?: number } }

const FINISH: Record<string, GeminiFinishReason> = {
  stop: 'STOP',
  length: 'MAX_TOKENS',
  // Gemini has no finish reason of its own for a tool call: it stops, and the parts hold the calls.
  tool_calls: 'STOP',
  function_call: 'STOP',
  content_filter: 'SAFETY',
}

export function finishReasonOf(finish: string | null | undefined): GeminiFinishReason {
  if (finish === null || finish === undefined) return 'STOP'
  return own(FINISH, finish) ?? 'OTHER'
}

export function toGeminiResponse(res: OpenAICompletion, opts: ResponseOptions): GenerateContentResponse {
  const candidates = (res.choices ?? []).map((choice, i) => {
    const message = choice.message
    const parts: GeminiPart[] = []
    const reasoning = message?.reasoning_content ?? message?.reasoning
    if (reasoning && opts.includeThoughts) parts.push({ text: reasoning, thought: true })
    const text = message?.content ?? message?.refusal ?? ''
    if (text !== '') parts.push({ text })
    for (const call of message?.tool_calls ?? []) parts.push(functionCallPart(call))
    return { content: { parts, role: 'model' }, finishReason: finishReasonOf(choice.finish_reason), index: choice.index ?? i }
  })
  return {
    candidates,
    ...(res.usage && { usageMetadata: toUsageMetadata(res.usage) }),
    modelVersion: opts.model,
    responseId: responseIdOf(res.id),
  }
}

/** A whole call: its arguments parsed from JSON, its id kept (the client sends it back on the functionResponse). */
export function functionCallPart(call: Pick<OpenAIToolCall, 'id' | 'function'>): GeminiPart {
  const args = parseArguments(call.function.arguments) as Record<string, unknown>
  return { functionCall: { name: call.function.name, args, ...(call.id && { id: call.id }) } }
}

/** Gemini counts thoughts apart from the answer; OpenAI counts them inside completion_tokens. */
export function toUsageMetadata(usage: ChatUsage): GeminiUsageMetadata {
  const thoughts = usage.completion_tokens_details?.reasoning_tokens ?? 0
  const cached = usage.prompt_tokens_details?.cached_tokens ?? 0
  const prompt = usage.prompt_tokens ?? 0
  const completion = usage.completion_tokens ?? 0
  return {
    promptTokenCount: prompt,
    candidatesTokenCount: Math.max(0, completion - thoughts),
    totalTokenCount: usage.total_tokens ?? prompt + completion,
    ...(cached > 0 && { cachedContentTokenCount: cached }),
    ...(thoughts > 0 && { thoughtsTokenCount: thoughts }),
  }
}

export function responseIdOf(upstreamId: string | undefined): string {
  return (upstreamId ?? '').replace(/^chatcmpl-/, '') || crypto.randomUUID().replace(/-/g, '')
}
