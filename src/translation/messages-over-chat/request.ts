/**
 * An Anthropic Messages request → an OpenAI Chat Completions request.
 * Mostly data: each Anthropic field has its OpenAI counterpart below; code
 * only where a shape truly changes (content blocks, tool results, tools).
 */
import { isReasoningModel, outputLimit, takesReasoningEffort } from '../../providers/models'
import type {
  AnthropicBlock,
  AnthropicImageBlock,
  AnthropicRequest,
  AnthropicTextBlock,
  AnthropicToolResultBlock,
  AnthropicToolUseBlock,
} from '../../apis/anthropic-messages/wire'
import type { OpenAIContentPart, OpenAIMessage, OpenAIRequest, OpenAITool } from '../../apis/openai-chat/wire'

export interface RequestOptions {
  /** The model name the upstream knows. */
  model: string
}

/** Anthropic fields with no OpenAI counterpart, dropped on purpose (docs/translation.md lists them). */
export const DROPPED_ANTHROPIC_FIELDS: Record<string, string> = {
  top_k: 'OpenAI has no top-k sampling',
  cache_control: 'prompt caching is automatic on OpenAI',
  citations: 'no citation blocks in Chat Completions',
  context_management: 'Anthropic-side context editing',
  container: 'Anthropic code-execution containers',
  mcp_servers: 'Anthropic-hosted MCP connectors',
  service_tier: 'tiers differ per provider',
  'document blocks': 'PDF/text documents are not sent (a note stands in their place)',
  'server tools': 'Anthropic-hosted tools (web search, code execution...) have no OpenAI equivalent',
  'thinking blocks in history': "earlier turns' reasoning cannot be replayed to another vendor",
}

/** OpenAI's `stop` takes at most four sequences. */
const MAX_STOP_SEQUENCES = 4
/** OpenAI's `user` field is an end-user identifier of at most 64 characters. */
const MAX_USER_LENGTH = 64

export function toOpenAIRequest(req: AnthropicRequest, opts: RequestOptions): OpenAIRequest {
  const reasoning = isReasoningModel(opts.model)
  const out: OpenAIRequest = { model: opts.model, messages: toMessages(req) }
  const maxTokens = Math.min(req.max_tokens, outputLimit(opts.model))
  if (reasoning) out.max_completion_tokens = maxTokens
  else out.max_tokens = maxTokens
  // Reasoning models accept only their default sampling.
  if (req.temperature !== undefined && !reasoning) out.temperature = req.temperature
  if (req.top_p !== undefined && !reasoning) out.top_p = req.top_p
  if (req.stop_sequences?.length) out.stop = req.stop_sequences.slice(0, MAX_STOP_SEQUENCES)
  if (req.metadata?.user_id) out.user = req.metadata.user_id.slice(0, MAX_USER_LENGTH)
  if (req.stream) {
    out.stream = true
    out.stream_options = { include_usage: true }
  }
  const effort = reasoningEffort(req)
  if (effort && takesReasoningEffort(opts.model)) out.reasoning_effort = effort
  const tools = (req.tools ?? []).filter(isFunctionTool).map((t) => toTool(t))
  if (tools.length > 0) {
    out.tools = tools
    const choice = req.tool_choice
    if (choice?.type === 'any') out.tool_choice = 'required'
    else if (choice?.type === 'none') out.tool_choice = 'none'
    else if (choice?.type === 'tool' && choice.name) out.tool_choice = { type: 'function', function: { name: choice.name } }
    else if (choice?.type === 'auto') out.tool_choice = 'auto'
    if (choice?.disable_parallel_tool_use) out.parallel_tool_calls = false
  }
  return out
}

/** `thinking` → an effort level: the budget's size, or Claude's own effort setting for adaptive thinking. */
function reasoningEffort(req: AnthropicRequest): string | undefined {
  const thinking = req.thinking
  if (!thinking || thinking.type === 'disabled') return undefined
  if (thinking.type === 'enabled') {
    const budget = (thinking as { budget_tokens: number }).budget_tokens
    return budget < 4_096 ? 'low' : budget < 16_384 ? 'medium' : 'high'
  }
  const effort = req.output_config?.effort
  return effort === 'low' || effort === 'medium' || effort === 'high' ? effort : 'medium'
}

/** Custom (function) tools only: Anthropic's server tools (`web_search_...`) have a `type` of their own. */
function isFunctionTool(tool: { type?: string }): boolean {
  return tool.type === undefined || tool.type === 'custom'
}

function toTool(tool: { name: string; description?: string; input_schema?: Record<string, unknown> }): OpenAITool {
  const schema = tool.input_schema ?? { type: 'object', properties: {} }
  return {
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description !== undefined && { description: tool.description }),
      parameters: schema,
    },
  }
}

function toMessages(req: AnthropicRequest): OpenAIMessage[] {
  const messages: OpenAIMessage[] = []
  const system = textOf(req.system)
  if (system !== '') messages.push({ role: 'system', content: system })
  for (const m of req.messages) {
    if (typeof m.content === 'string') {
      messages.push({ role: m.role === 'assistant' ? 'assistant' : m.role === 'system' ? 'system' : 'user', content: m.content })
    } else if (m.role === 'assistant') {
      messages.push(assistantMessage(m.content))
    } else if (m.role === 'system') {
      messages.push({ role: 'system', content: textOf(m.content) })
    } else {
      messages.push(...userMessages(m.content))
    }
  }
  return messages
}

function assistantMessage(blocks: AnthropicBlock[]): OpenAIMessage {
  const text = blocks
    .filter((b): b is AnthropicTextBlock => b.type === 'text')
    .map((b) => b.text)
    .join('')
  const calls = blocks.filter((b): b is AnthropicToolUseBlock => b.type === 'tool_use')
  const message: OpenAIMessage = { role: 'assistant', content: text === '' && calls.length > 0 ? null : text }
  if (calls.length > 0) {
    message.tool_calls = calls.map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: JSON.stringify(c.input ?? {}) },
    }))
  }
  return message
}

/**
 * One user turn: its tool results first, as `tool` messages in order (OpenAI
 * wants them right after the assistant's calls), then the rest as one user
 * message. Images inside a tool result cannot ride in a `tool` message: they
 * follow in a user message that says which call they belong to.
 */
function userMessages(blocks: AnthropicBlock[]): OpenAIMessage[] {
  const out: OpenAIMessage[] = []
  const toolImages: OpenAIContentPart[] = []
  const parts: OpenAIContentPart[] = []
  for (const block of blocks) {
    if (block.type === 'tool_result') {
      const result = block as AnthropicToolResultBlock
      const content = typeof result.content === 'string' ? result.content : textOf(result.content)
      out.push({ role: 'tool', tool_call_id: result.tool_use_id, content: result.is_error ? `Error: ${content}` : content })
      const images = Array.isArray(result.content) ? result.content.filter((b): b is AnthropicImageBlock => b.type === 'image') : []
      if (images.length > 0)
        toolImages.push({ type: 'text', text: `Images returned by tool call ${result.tool_use_id}:` }, ...images.map(imagePart))
    } else if (block.type === 'text') {
      parts.push({ type: 'text', text: (block as AnthropicTextBlock).text })
    } else if (block.type === 'image') {
      parts.push(imagePart(block as AnthropicImageBlock))
    } else if (block.type === 'document') {
      parts.push({ type: 'text', text: '[a document was attached here; lmlb does not pass documents to this model]' })
    }
  }
  const rest = [...toolImages, ...parts]
  if (rest.length > 0) {
    // A lone text part reads best (and most compatibly) as a plain string.
    const only = rest.length === 1 && rest[0].type === 'text' ? (rest[0] as { text: string }).text : undefined
    out.push({ role: 'user', content: only ?? rest })
  }
  return out
}

function imagePart(block: AnthropicImageBlock): OpenAIContentPart {
  const s = block.source
  return { type: 'image_url', image_url: { url: s.type === 'base64' ? `data:${s.media_type};base64,${s.data}` : s.url } }
}

/** The text of a string or of a list of blocks (other blocks skipped). */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content
    .filter((b): b is AnthropicTextBlock => b?.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text)
    .join('\n\n')
}
