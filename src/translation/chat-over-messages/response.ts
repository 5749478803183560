/** An Anthropic message → the OpenAI chat.completion the client asked for. */
import { own } from '../../util/own'
import type { AnthropicMessage, AnthropicUsage } from '../../apis/anthropic-messages/wire'
import type { OpenAICompletion, OpenAIToolCall, OpenAIUsage } from '../../apis/openai-chat/wire'

const FINISH: Record<string, string> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool_calls',
  refusal: 'content_filter',
}

export function finishReasonOf(stopReason: string | null | undefined): string {
  return own(FINISH, String(stopReason ?? '')) ?? 'stop'
}

export function toOpenAIUsage(usage: Partial<AnthropicUsage> | undefined): OpenAIUsage {
  const cached = usage?.cache_read_input_tokens ?? 0
  const prompt = (usage?.input_tokens ?? 0) + cached + (usage?.cache_creation_input_tokens ?? 0)
  const completion = usage?.output_tokens ?? 0
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
  }
}

export function completionId(messageId: string | undefined): string {
  return `chatcmpl-${(messageId ?? '').replace(/^msg_/, '') || crypto.randomUUID().replace(/-/g, '')}`
}

export function toOpenAIResponse(res: AnthropicMessage, opts: { model: string }): OpenAICompletion {
  const text = res.content.flatMap((b) => (b.type === 'text' ? [(b as { text: string }).text] : [])).join('')
  const thinking = res.content.flatMap((b) => (b.type === 'thinking' ? [(b as { thinking: string }).thinking] : [])).join('')
  const calls: OpenAIToolCall[] = res.content.flatMap((b) =>
    b.type === 'tool_use'
      ? [{ id: b.id as string, type: 'function' as const, function: { name: b.name as string, arguments: JSON.stringify(b.input ?? {}) } }]
      : [],
  )
  return {
    id: completionId(res.id),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: opts.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text === '' && calls.length > 0 ? null : text,
          ...(calls.length > 0 && { tool_calls: calls }),
          ...(thinking !== '' && { reasoning_content: thinking }),
          refusal: null,
        },
        finish_reason: finishReasonOf(res.stop_reason),
      },
    ],
    usage: toOpenAIUsage(res.usage),
  }
}
