/**
 * Anthropic Messages API wire shapes, as far as lmlb reads and writes them.
 * Fields lmlb does not touch are left out; requests keep them as `unknown`.
 */
export type AnthropicTextBlock = { type: 'text'; text: string; cache_control?: unknown; citations?: unknown }
export type AnthropicImageSource = { type: 'base64'; media_type: string; data: string } | { type: 'url'; url: string }
export type AnthropicImageBlock = { type: 'image'; source: AnthropicImageSource }
export type AnthropicToolUseBlock = { type: 'tool_use'; id: string; name: string; input: unknown }
export type AnthropicToolResultBlock = {
  type: 'tool_result'
  tool_use_id: string
  content?: string | (AnthropicTextBlock | AnthropicImageBlock | { type: string })[]
  is_error?: boolean
}
export type AnthropicThinkingBlock = { type: 'thinking'; thinking: string; signature?: string }
export type AnthropicBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock
  | AnthropicThinkingBlock
  | { type: 'redacted_thinking'; data: string }
  | { type: string; [k: string]: unknown }

export interface AnthropicMessageParam {
  role: 'user' | 'assistant' | 'system' | string
  content: string | AnthropicBlock[]
}

export interface AnthropicTool {
  name: string
  description?: string
  input_schema?: Record<string, unknown>
  type?: string
}

export interface AnthropicRequest {
  model: string
  messages: AnthropicMessageParam[]
  max_tokens: number
  system?: string | AnthropicTextBlock[]
  metadata?: { user_id?: string }
  stop_sequences?: string[]
  stream?: boolean
  temperature?: number
  top_p?: number
  top_k?: number
  tools?: AnthropicTool[]
  tool_choice?: { type: 'auto' | 'any' | 'tool' | 'none'; name?: string; disable_parallel_tool_use?: boolean }
  thinking?: { type: 'enabled'; budget_tokens: number } | { type: 'adaptive' | 'disabled' }
  output_config?: { effort?: string }
  [k: string]: unknown
}

export interface AnthropicUsage {
  input_tokens: number
  output_tokens: number
  cache_read_input_tokens?: number
  cache_creation_input_tokens?: number
}

export interface AnthropicMessage {
  id: string
  type: 'message'
  role: 'assistant'
  model: string
  content: AnthropicBlock[]
  stop_reason: string | null
  stop_sequence: string | null
  usage: AnthropicUsage
}

/** An Anthropic stream event: its `type` is also its SSE event name. */
export type AnthropicEvent = { type: string; [k: string]: unknown }
