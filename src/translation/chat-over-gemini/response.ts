/**
 * A Gemini GenerateContentResponse → the OpenAI chat.completion the client
 * asked for. A functionCall's thoughtSignature, which Gemini wants back on
 * the next turn, rides inside the tool call's id (see `toolCallId`).
 */
import type { GeminiCandidate, GeminiPart, GeminiUsageMetadata, GenerateContentResponse } from '../../apis/gemini/wire'
import type { OpenAICompletion, OpenAIToolCall, OpenAIUsage } from '../../apis/openai-chat/wire'
import { own } from '../../util/own'

/** LiteLLM's separator: `call_<id>__thought__<signature>`; a client that keeps ids keeps the signature, with no state in lmlb. */
export const THOUGHT_SEPARATOR = '__thought__'

const FINISH: Record<string, string> = {
  STOP: 'stop',
  MAX_TOKENS: 'length',
  SAFETY: 'content_filter',
  RECITATION: 'content_filter',
  BLOCKLIST: 'content_filter',
  PROHIBITED_CONTENT: 'content_filter',
  SPII: 'content_filter',
  IMAGE_SAFETY: 'content_filter',
}

/** STOP after function calls is a tool-call stop to a Chat client. */
export function finishReasonOf(reason: string | undefined, sawCalls: boolean): string {
  const finish = own(FINISH, String(reason ?? 'STOP')) ?? 'stop'
  return finish === 'stop' && sawCalls ? 'tool_calls' : finish
}

/**
 * The id a Chat client sees for a functionCall: Gemini's own id, else one
 * made up (unique per response), then the signature. The signature goes in
 * base64url without padding: the same bytes (Google reads both alphabets)
 * in an id of `[A-Za-z0-9_-]`, which strict clients require of tool ids.
 */
export function toolCallId(part: GeminiPart, madeUp: string): string {
  const base = part.functionCall?.id || madeUp
  if (!part.thoughtSignature) return base
  return `${base}${THOUGHT_SEPARATOR}${part.thoughtSignature.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`
}

/** The id the call had at Gemini, and its thoughtSignature, from an id `toolCallId` made. */
export function splitToolCallId(id: string): { id: string; signature?: string } {
  const at = id.indexOf(THOUGHT_SEPARATOR)
  if (at === -1) return { id }
  return { id: id.slice(0, at), signature: id.slice(at + THOUGHT_SEPARATOR.length) }
}

/** OpenAI's usage with the reasoning tokens it reports inside completion_tokens. */
export type ChatUsage = OpenAIUsage & { completion_tokens_details: { reasoning_tokens: number } }

export function toOpenAIUsage(usage: GeminiUsageMetadata | undefined): ChatUsage {
  const prompt = usage?.promptTokenCount ?? 0
  const thoughts = usage?.thoughtsTokenCount ?? 0
  // OpenAI counts reasoning inside completion_tokens; Gemini counts thoughts apart.
  const completion = (usage?.candidatesTokenCount ?? 0) + thoughts
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: usage?.totalTokenCount ?? prompt + completion,
    prompt_tokens_details: { cached_tokens: usage?.cachedContentTokenCount ?? 0 },
    completion_tokens_details: { reasoning_tokens: thoughts },
  }
}

export function completionId(responseId: string | undefined): string {
  return `chatcmpl-${responseId || crypto.randomUUID().replace(/-/g, '')}`
}

/** A candidate's parts as a Chat message: thoughts → reasoning_content, text → content, calls → tool_calls. */
export function messageOf(candidate: GeminiCandidate, idPrefix: string) {
  let text = ''
  let thinking = ''
  const calls: OpenAIToolCall[] = []
  for (const part of candidate.content?.parts ?? []) {
    if (part.functionCall) {
      const id = toolCallId(part, `${idPrefix}_${calls.length}`)
      calls.push({
        id,
        type: 'function',
        function: { name: part.functionCall.name, arguments: JSON.stringify(part.functionCall.args ?? {}) },
      })
    } else if (typeof part.text === 'string') {
      if (part.thought) thinking += part.text
      else text += part.text
    }
  }
  return {
    role: 'assistant' as const,
    content: text === '' && calls.length > 0 ? null : text,
    ...(calls.length > 0 && { tool_calls: calls }),
    ...(thinking !== '' && { reasoning_content: thinking }),
    refusal: null,
  }
}

export function toOpenAIResponse(res: GenerateContentResponse, opts: { model: string }): OpenAICompletion {
  const id = completionId(res.responseId)
  const candidates = res.candidates ?? []
  // A blocked prompt has no candidates, only promptFeedback: one empty, filtered choice.
  const choices = candidates.length
    ? candidates.map((candidate, i) => {
        const message = messageOf(candidate, `call_${id.slice('chatcmpl-'.length)}_${i}`)
        const finish = finishReasonOf(candidate.finishReason, (message.tool_calls?.length ?? 0) > 0)
        return { index: candidate.index ?? i, message, finish_reason: finish }
      })
    : [
        {
          index: 0,
          message: { role: 'assistant' as const, content: '', refusal: null },
          finish_reason: res.promptFeedback ? 'content_filter' : 'stop',
        },
      ]
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: opts.model,
    choices,
    usage: toOpenAIUsage(res.usageMetadata),
  }
}
