/**
 * An OpenAI Chat Completions request → an Anthropic Messages request.
 * System and developer messages become `system`; tool messages become
 * `tool_result` blocks in a user turn; consecutive turns of one role merge
 * (Anthropic wants them alternating).
 */
import { own } from '../../util/own'
import { parseArguments } from '../../apis/openai-chat/tool-arguments'
import type { AnthropicBlock, AnthropicMessageParam, AnthropicRequest, AnthropicTool } from '../../apis/anthropic-messages/wire'
import type { OpenAIContentPart, OpenAIRequest } from '../../apis/openai-chat/wire'

/** Anthropic requires max_tokens; OpenAI clients often leave it out. */
export const DEFAULT_MAX_TOKENS = 4_096
/** `reasoning_effort` → a thinking budget. */
const THINKING_BUDGET: Record<string, number> = { minimal: 1_024, low: 2_048, medium: 8_192, high: 24_576 }

/** OpenAI fields with no Anthropic counterpart, dropped on purpose (docs/translation.md lists them). */
export const DROPPED_OPENAI_FIELDS: Record<string, string> = {
  n: 'one answer per request',
  logprobs: 'not offered by Anthropic',
  presence_penalty: 'not offered by Anthropic',
  frequency_penalty: 'not offered by Anthropic',
  logit_bias: 'not offered by Anthropic',
  seed: 'not offered by Anthropic',
  response_format: 'no JSON mode; ask in the prompt or use a tool',
  audio: 'text and images only',
}

export function toAnthropicRequest(req: OpenAIRequest, opts: { model: string }): AnthropicRequest {
  const system: string[] = []
  const messages: AnthropicMessageParam[] = []
  const push = (role: 'user' | 'assistant', blocks: AnthropicBlock[]) => {
    if (blocks.length === 0) return
    const last = messages.at(-1)
    if (last?.role === role) (last.content as AnthropicBlock[]).push(...blocks)
    else messages.push({ role, content: blocks })
  }
  for (const m of req.messages) {
    if (m.role === 'system' || m.role === 'developer') system.push(textOf(m.content))
    else if (m.role === 'tool') push('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id ?? '', content: textOf(m.content) }])
    else if (m.role === 'assistant') {
      const blocks: AnthropicBlock[] = contentBlocks(m.content)
      for (const call of m.tool_calls ?? [])
        blocks.push({ type: 'tool_use', id: call.id, name: call.function.name, input: parseArguments(call.function.arguments) })
      push('assistant', blocks)
    } else push('user', contentBlocks(m.content))
  }

  const out: AnthropicRequest = {
    model: opts.model,
    messages,
    max_tokens: req.max_completion_tokens ?? req.max_tokens ?? DEFAULT_MAX_TOKENS,
  }
  if (system.length > 0) out.system = system.join('\n\n')
  if (req.stop !== undefined && req.stop !== null) out.stop_sequences = typeof req.stop === 'string' ? [req.stop] : req.stop
  if (req.user) out.metadata = { user_id: req.user }
  if (req.stream) out.stream = true
  const budget = typeof req.reasoning_effort === 'string' ? own(THINKING_BUDGET, req.reasoning_effort) : undefined
  if (budget) {
    out.thinking = { type: 'enabled', budget_tokens: budget }
    // The budget must fit under max_tokens; sampling settings are fixed while thinking.
    if (out.max_tokens <= budget) out.max_tokens = budget + DEFAULT_MAX_TOKENS
  } else {
    // OpenAI's temperature runs to 2, Anthropic's to 1.
    if (req.temperature !== undefined && req.temperature !== null) out.temperature = Math.min(1, req.temperature)
    if (req.top_p !== undefined && req.top_p !== null) out.top_p = req.top_p
  }
  if (req.tools?.length) {
    out.tools = req.tools.map(
      (t): AnthropicTool => ({
        name: t.function.name,
        ...(t.function.description !== undefined && { description: t.function.description }),
        input_schema: t.function.parameters ?? { type: 'object', properties: {} },
      }),
    )
    const choice = req.tool_choice
    const tc: AnthropicRequest['tool_choice'] =
      choice === 'required'
        ? { type: 'any' }
        : choice === 'none'
          ? { type: 'none' }
          : typeof choice === 'object'
            ? { type: 'tool', name: choice.function.name }
            : { type: 'auto' }
    if (req.parallel_tool_calls === false && tc.type !== 'none') tc.disable_parallel_tool_use = true
    if (choice !== undefined || tc.disable_parallel_tool_use) out.tool_choice = tc
  }
  return out
}

function contentBlocks(content: string | OpenAIContentPart[] | null | undefined): AnthropicBlock[] {
  if (content === null || content === undefined) return []
  if (typeof content === 'string') return content === '' ? [] : [{ type: 'text', text: content }]
  return content.flatMap((part): AnthropicBlock[] => {
    if (part.type === 'text') return [{ type: 'text', text: (part as { text: string }).text }]
    if (part.type === 'image_url') return [imageBlock((part as { image_url: { url: string } }).image_url.url)]
    return []
  })
}

function imageBlock(url: string): AnthropicBlock {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url)
  return data
    ? { type: 'image', source: { type: 'base64', media_type: data[1], data: data[2] } }
    : { type: 'image', source: { type: 'url', url } }
}

/** A Chat message's text: its content, or its text parts joined by line breaks. */
export function textOf(content: string | OpenAIContentPart[] | null | undefined): string {
  if (typeof content === 'string') return content
  return (content ?? [])
    .filter((p) => p.type === 'text')
    .map((p) => (p as { text: string }).text)
    .join('\n')
}
