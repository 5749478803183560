/** An OpenAI chat.completion → the Anthropic message the client asked for. */
import { parseArguments } from '../../apis/openai-chat/tool-arguments'
import type { AnthropicBlock, AnthropicMessage, AnthropicUsage } from '../../apis/anthropic-messages/wire'
import type { OpenAICompletion, OpenAIUsage } from '../../apis/openai-chat/wire'

export interface ResponseOptions {
  /** The model name the client asked for: the answer names it back. */
  model: string
  /** The request's stop sequences, to tell `stop_sequence` from `end_turn`. */
  stopSequences?: string[]
}

export function toAnthropicResponse(res: OpenAICompletion, opts: ResponseOptions): AnthropicMessage {
  const choice = res.choices?.[0]
  const message = choice?.message
  const content: AnthropicBlock[] = []
  const reasoning = message?.reasoning_content ?? message?.reasoning
  if (reasoning) content.push({ type: 'thinking', thinking: reasoning, signature: '' })
  const text = message?.content ?? message?.refusal ?? ''
  if (text !== '') content.push({ type: 'text', text })
  for (const call of message?.tool_calls ?? []) {
    content.push({ type: 'tool_use', id: call.id || toolUseId(), name: call.function.name, input: parseArguments(call.function.arguments) })
  }
  const matched = (choice as { stop_reason?: unknown } | undefined)?.stop_reason
  const { stopReason, stopSequence } = stopReasonOf(
    choice?.finish_reason ?? null,
    text,
    opts.stopSequences,
    (message?.tool_calls?.length ?? 0) > 0,
    matched,
  )
  return {
    id: messageId(res.id),
    type: 'message',
    role: 'assistant',
    model: opts.model,
    content,
    stop_reason: stopReason,
    stop_sequence: stopSequence,
    usage: toAnthropicUsage(res.usage),
  }
}

export function stopReasonOf(
  finish: string | null,
  text: string,
  stopSequences: string[] | undefined,
  sawToolCalls: boolean,
  /** vLLM and others name the stop string that matched (`choices[].stop_reason`). */
  matched?: unknown,
): { stopReason: string; stopSequence: string | null } {
  switch (finish) {
    case 'length':
      return { stopReason: 'max_tokens', stopSequence: null }
    case 'tool_calls':
    case 'function_call':
      return { stopReason: 'tool_use', stopSequence: null }
    case 'content_filter':
      return { stopReason: 'refusal', stopSequence: null }
    case 'stop': {
      // OpenAI says only "stop" and strips the sequence; vLLM names it; one left at the end of the text also tells.
      const hit = stopSequences?.find((s) => s === matched || text.endsWith(s))
      return hit
        ? { stopReason: 'stop_sequence', stopSequence: hit }
        : { stopReason: sawToolCalls ? 'tool_use' : 'end_turn', stopSequence: null }
    }
    default:
      return { stopReason: sawToolCalls ? 'tool_use' : 'end_turn', stopSequence: null }
  }
}

export function toAnthropicUsage(usage: OpenAIUsage | null | undefined): AnthropicUsage {
  const cached = usage?.prompt_tokens_details?.cached_tokens ?? 0
  return {
    input_tokens: Math.max(0, (usage?.prompt_tokens ?? 0) - cached),
    output_tokens: usage?.completion_tokens ?? 0,
    cache_read_input_tokens: cached,
    cache_creation_input_tokens: 0,
  }
}

export function messageId(upstreamId: string | undefined): string {
  return `msg_${(upstreamId ?? '').replace(/^chatcmpl-/, '') || crypto.randomUUID().replace(/-/g, '')}`
}

export function toolUseId(): string {
  return `toolu_${crypto.randomUUID().replace(/-/g, '').slice(0, 24)}`
}
