/**
 * The wire shapes translation reads and writes, as far as it uses them.
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

export type OpenAIContentPart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string; detail?: string } } | { type: string; [k: string]: unknown }

export interface OpenAIToolCall {
  id: string
  type: 'function'
  function: { name: string; arguments: string }
}

export interface OpenAIMessage {
  role: 'system' | 'developer' | 'user' | 'assistant' | 'tool' | string
  content?: string | OpenAIContentPart[] | null
  tool_calls?: OpenAIToolCall[]
  tool_call_id?: string
  name?: string
  reasoning_content?: string
}

export interface OpenAITool {
  type: 'function'
  function: { name: string; description?: string; parameters?: Record<string, unknown> }
}

export type OpenAIToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } }

export interface OpenAIRequest {
  model: string
  messages: OpenAIMessage[]
  max_tokens?: number
  max_completion_tokens?: number
  temperature?: number
  top_p?: number
  stop?: string | string[]
  stream?: boolean
  stream_options?: { include_usage?: boolean }
  tools?: OpenAITool[]
  tool_choice?: OpenAIToolChoice
  parallel_tool_calls?: boolean
  user?: string
  reasoning_effort?: string
  [k: string]: unknown
}

export interface OpenAIUsage {
  prompt_tokens: number
  completion_tokens: number
  total_tokens?: number
  prompt_tokens_details?: { cached_tokens?: number }
}

export interface OpenAICompletion {
  id: string
  object: 'chat.completion'
  created: number
  model: string
  choices: {
    index: number
    message: { role: 'assistant'; content: string | null; tool_calls?: OpenAIToolCall[]; reasoning_content?: string; reasoning?: string; refusal?: string | null }
    finish_reason: string | null
  }[]
  usage?: OpenAIUsage
}

export interface OpenAIChunk {
  id?: string
  object?: 'chat.completion.chunk'
  created?: number
  model?: string
  choices?: {
    index: number
    delta: {
      role?: string
      content?: string | null
      reasoning_content?: string | null
      reasoning?: string | null
      tool_calls?: { index?: number; id?: string; type?: string; function?: { name?: string; arguments?: string } }[]
    }
    finish_reason?: string | null
  }[]
  usage?: OpenAIUsage | null
  error?: { message?: string; type?: string; code?: unknown }
}

/** An Anthropic stream event: its `type` is also its SSE event name. */
export type AnthropicEvent = { type: string; [k: string]: unknown }
