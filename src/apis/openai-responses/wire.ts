/**
 * OpenAI Responses API wire shapes, as far as lmlb reads and writes them
 * (checked against the openai SDK's types and Codex's parser). Fields lmlb
 * does not touch are left out; requests keep them as `unknown`.
 */

// ── Request ────────────────────────────────────────────────────────────────

export type ResponsesInputText = { type: 'input_text'; text: string }
export type ResponsesInputImage = { type: 'input_image'; image_url?: string | null; file_id?: string | null; detail?: string }
export type ResponsesInputFile = { type: 'input_file'; file_data?: string; file_id?: string | null; file_url?: string; filename?: string }
export type ResponsesOutputText = { type: 'output_text'; text: string; annotations?: unknown[]; logprobs?: unknown[] }
export type ResponsesRefusal = { type: 'refusal'; refusal: string }
export type ResponsesContentPart =
  | ResponsesInputText
  | ResponsesInputImage
  | ResponsesInputFile
  | ResponsesOutputText
  | ResponsesRefusal
  | { type: string; [k: string]: unknown }

/** `type` may be left out of a message item (the SDK's EasyInputMessage). */
export interface ResponsesMessageItem {
  type?: 'message'
  id?: string
  role: 'user' | 'assistant' | 'system' | 'developer' | string
  content: string | ResponsesContentPart[]
  status?: string
}

export interface ResponsesFunctionCallItem {
  type: 'function_call'
  id?: string
  call_id: string
  name: string
  /** Tools of a `namespace` group are called by their own name, the group named here. */
  namespace?: string
  arguments: string
  status?: string
}

export interface ResponsesFunctionCallOutputItem {
  type: 'function_call_output' | 'custom_tool_call_output'
  id?: string
  call_id: string
  output: string | ResponsesContentPart[]
}

export interface ResponsesCustomToolCallItem {
  type: 'custom_tool_call'
  id?: string
  call_id: string
  name: string
  namespace?: string
  input: string
  status?: string
}

export interface ResponsesReasoningItem {
  type: 'reasoning'
  id: string
  summary: { type: 'summary_text'; text: string }[]
  content?: { type: string; text: string }[]
  encrypted_content?: string | null
  status?: string
}

export type ResponsesItemReference = { type: 'item_reference'; id: string }

export type ResponsesInputItem =
  | ResponsesMessageItem
  | ResponsesFunctionCallItem
  | ResponsesFunctionCallOutputItem
  | ResponsesCustomToolCallItem
  | ResponsesReasoningItem
  | ResponsesItemReference
  | { type: string; id?: string; [k: string]: unknown }

export interface ResponsesFunctionTool {
  type: 'function'
  name: string
  description?: string | null
  parameters?: Record<string, unknown> | null
  strict?: boolean | null
}

/** A freeform tool: the model writes raw text (a patch, SQL...), optionally in a grammar. */
export interface ResponsesCustomTool {
  type: 'custom'
  name: string
  description?: string
  format?: { type: 'text' } | { type: 'grammar'; syntax: 'lark' | 'regex' | string; definition: string }
}

export interface ResponsesNamespaceTool {
  type: 'namespace'
  name: string
  description?: string
  tools: (ResponsesFunctionTool | ResponsesCustomTool)[]
}

export type ResponsesTool = ResponsesFunctionTool | ResponsesCustomTool | ResponsesNamespaceTool | { type: string; [k: string]: unknown }

export type ResponsesToolChoice =
  | 'auto'
  | 'none'
  | 'required'
  | { type: 'function' | 'custom'; name: string }
  | { type: 'allowed_tools'; mode: 'auto' | 'required'; tools: unknown[] }
  | { type: string; [k: string]: unknown }

export type ResponsesTextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; description?: string; strict?: boolean | null }

export interface ResponsesRequest {
  model: string
  instructions?: string | null
  input?: string | ResponsesInputItem[]
  tools?: ResponsesTool[]
  tool_choice?: ResponsesToolChoice
  parallel_tool_calls?: boolean | null
  max_output_tokens?: number | null
  temperature?: number | null
  top_p?: number | null
  reasoning?: { effort?: string | null; summary?: string | null } | null
  text?: { format?: ResponsesTextFormat; verbosity?: string | null } | null
  prompt_cache_key?: string
  metadata?: Record<string, string> | null
  user?: string
  store?: boolean | null
  previous_response_id?: string | null
  stream?: boolean | null
  [k: string]: unknown
}

// ── Answer ─────────────────────────────────────────────────────────────────

export type ItemStatus = 'in_progress' | 'completed' | 'incomplete'

export interface ResponsesOutputMessage {
  type: 'message'
  id: string
  role: 'assistant'
  status: ItemStatus
  content: { type: 'output_text'; text: string; annotations: unknown[]; logprobs?: unknown[] }[]
}

export interface ResponsesOutputReasoning {
  type: 'reasoning'
  id: string
  summary: { type: 'summary_text'; text: string }[]
  status?: ItemStatus
}

export interface ResponsesOutputFunctionCall {
  type: 'function_call'
  id: string
  status: ItemStatus
  call_id: string
  name: string
  namespace?: string
  arguments: string
}

export interface ResponsesOutputCustomToolCall {
  type: 'custom_tool_call'
  id: string
  status: ItemStatus
  call_id: string
  name: string
  namespace?: string
  input: string
}

export type ResponsesOutputItem =
  | ResponsesOutputMessage
  | ResponsesOutputReasoning
  | ResponsesOutputFunctionCall
  | ResponsesOutputCustomToolCall

export interface ResponsesUsage {
  input_tokens: number
  input_tokens_details: { cached_tokens: number }
  output_tokens: number
  output_tokens_details: { reasoning_tokens: number }
  total_tokens: number
}

export type ResponseStatus = 'in_progress' | 'completed' | 'incomplete' | 'failed'

/** The `response` object: the whole non-streaming answer, and what lifecycle events carry. */
export interface ResponseObject {
  id: string
  object: 'response'
  created_at: number
  status: ResponseStatus
  /** Codex reads `error.code` (context_length_exceeded, rate_limit_exceeded...) and shows `error.message`. */
  error: { code: string; message: string } | null
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null
  model: string
  output: ResponsesOutputItem[]
  usage?: ResponsesUsage
  instructions: string | null
  metadata: Record<string, string> | null
  parallel_tool_calls: boolean
  temperature: number | null
  top_p: number | null
  tool_choice: ResponsesToolChoice
  tools: ResponsesTool[]
  max_output_tokens?: number | null
  reasoning?: { effort?: string | null; summary?: string | null } | null
  text?: { format?: ResponsesTextFormat; verbosity?: string | null } | null
  store?: boolean
  previous_response_id?: string | null
  prompt_cache_key?: string
  user?: string
}

// ── Stream events (`event: <type>\ndata: <json>\n\n`) ──────────────────────

type Seq = { sequence_number: number }
type ItemRef = { item_id: string; output_index: number }
export type SummaryPart = { type: 'summary_text'; text: string }
export type TextPart = { type: 'output_text'; text: string; annotations: unknown[]; logprobs?: unknown[] }

export type ResponsesEvent = Seq &
  (
    | {
        type: 'response.created' | 'response.in_progress' | 'response.completed' | 'response.incomplete' | 'response.failed'
        response: ResponseObject
      }
    | { type: 'response.output_item.added' | 'response.output_item.done'; output_index: number; item: ResponsesOutputItem }
    | ({ type: 'response.content_part.added' | 'response.content_part.done'; content_index: number; part: TextPart } & ItemRef)
    | ({ type: 'response.output_text.delta'; content_index: number; delta: string; logprobs: unknown[] } & ItemRef)
    | ({ type: 'response.output_text.done'; content_index: number; text: string; logprobs: unknown[] } & ItemRef)
    | ({
        type: 'response.reasoning_summary_part.added' | 'response.reasoning_summary_part.done'
        summary_index: number
        part: SummaryPart
      } & ItemRef)
    | ({ type: 'response.reasoning_summary_text.delta'; summary_index: number; delta: string } & ItemRef)
    | ({ type: 'response.reasoning_summary_text.done'; summary_index: number; text: string } & ItemRef)
    | ({ type: 'response.function_call_arguments.delta'; delta: string } & ItemRef)
    | ({ type: 'response.function_call_arguments.done'; arguments: string } & ItemRef)
    | ({ type: 'response.custom_tool_call_input.delta'; delta: string } & ItemRef)
    | ({ type: 'response.custom_tool_call_input.done'; input: string } & ItemRef)
  )

/** An event without its sequence number: what the state machine builds before numbering it. */
export type UnnumberedEvent = ResponsesEvent extends infer E ? (E extends Seq ? Omit<E, 'sequence_number'> : never) : never
