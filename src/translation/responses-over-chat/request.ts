/**
 * An OpenAI Responses request → an OpenAI Chat Completions request.
 * Responses carries a conversation as a list of items (messages, tool calls,
 * tool outputs, reasoning); Chat as messages. Tools kinds Chat lacks become
 * functions: a namespace group's tools are flattened under prefixed names, a
 * freeform (`custom`) tool takes its text as one string argument. The names
 * given out are returned as `ToolNames`, so the answer can name them back.
 *
 * Only Chat fields that chat-over-messages also reads (plus OpenAI's own
 * `response_format`, `prompt_cache_key`) are written: this request is the
 * pivot when the upstream is Anthropic.
 */
import { isReasoningModel } from '../../providers/models'
import type { OpenAIContentPart, OpenAIMessage, OpenAIRequest, OpenAITool, OpenAIToolChoice } from '../../apis/openai-chat/wire'
import type {
  ResponsesContentPart,
  ResponsesCustomTool,
  ResponsesFunctionTool,
  ResponsesInputItem,
  ResponsesMessageItem,
  ResponsesNamespaceTool,
  ResponsesRequest,
  ResponsesTool,
} from '../../apis/openai-responses/wire'

/** What cannot be translated: the client gets the message as a 400. */
export class RequestRefused extends Error {
  override readonly name = 'RequestRefused'
}

/** Where a Chat function name came from: the tool the client knows. */
export interface ToolOrigin {
  kind: 'function' | 'custom'
  name: string
  namespace?: string
}
/** Chat function name → the client's tool. Names not in it are plain functions. */
export type ToolNames = Map<string, ToolOrigin>

/** Built-in (OpenAI-hosted) tools: no Chat Completions counterpart, dropped (docs/translation.md lists them). */
export const DROPPED_TOOL_TYPES: Record<string, string> = {
  web_search: 'OpenAI-hosted search',
  web_search_2025_08_26: 'OpenAI-hosted search',
  web_search_preview: 'OpenAI-hosted search',
  web_search_preview_2025_03_11: 'OpenAI-hosted search',
  file_search: 'OpenAI-hosted vector stores',
  code_interpreter: 'OpenAI-hosted code execution',
  image_generation: 'OpenAI-hosted image generation',
  computer: 'computer-use items have no Chat form',
  computer_use: 'computer-use items have no Chat form',
  computer_use_preview: 'computer-use items have no Chat form',
  tool_search: 'OpenAI-hosted tool loading',
  local_shell: 'answers as local_shell_call items, which Chat cannot produce',
  shell: 'answers as shell_call items, which Chat cannot produce',
  apply_patch: "answers as apply_patch_call items, which Chat cannot produce (Codex's freeform apply_patch is a `custom` tool and is kept)",
  mcp: 'OpenAI-hosted MCP connectors',
}

/** Responses fields with no Chat counterpart, dropped on purpose (docs/translation.md lists them). */
export const DROPPED_RESPONSES_FIELDS: Record<string, string> = {
  metadata: 'Chat accepts metadata only for stored completions',
  include: 'nothing extra to include: no encrypted reasoning, no hosted-tool results',
  'reasoning.summary': 'reasoning arrives as the upstream sends it',
  'text.verbosity': 'an OpenAI-only Chat field other upstreams refuse',
  'tools[].strict': 'not sent: Chat-only providers differ on strict schemas',
  truncation: "the upstream's context limit applies",
  'reasoning items in input': "earlier turns' reasoning belongs to the provider that made it",
}

/** OpenAI's rule for a function name. */
const CHAT_NAME = /^[a-zA-Z0-9_-]{1,64}$/
/** A namespace tool's Chat name: `${namespace}${SEPARATOR}${name}`. */
const SEPARATOR = '__'

export function toChatRequest(req: ResponsesRequest, opts: { model: string }): { request: OpenAIRequest; tools: ToolNames } {
  // lmlb's own were recalled before (proxy/kept-responses.ts): one left here is another's.
  if (req.previous_response_id)
    throw new RequestRefused(
      `previous_response_id ${JSON.stringify(req.previous_response_id)} is a response lmlb did not make: ` +
        'only the service that made it can continue it; send the whole conversation in input',
    )
  if (req.conversation)
    throw new RequestRefused('conversation is not supported: lmlb keeps no conversations; send the whole conversation in input')
  if (req.prompt) throw new RequestRefused('stored prompts (prompt) are not supported: send instructions and input instead')
  if (req.background) throw new RequestRefused('background responses are not supported: lmlb keeps no responses')

  const { tools, names, origins } = toTools(req.tools ?? [])
  const out: OpenAIRequest = { model: opts.model, messages: toMessages(req, origins) }
  // Reasoning models refuse max_tokens; other Chat servers may not know max_completion_tokens. chat-over-messages reads either.
  if (typeof req.max_output_tokens === 'number')
    out[isReasoningModel(opts.model) ? 'max_completion_tokens' : 'max_tokens'] = req.max_output_tokens
  if (typeof req.temperature === 'number') out.temperature = req.temperature
  if (typeof req.top_p === 'number') out.top_p = req.top_p
  if (req.reasoning?.effort) out.reasoning_effort = req.reasoning.effort
  const format = req.text?.format
  if (format?.type === 'json_schema') {
    const { name, schema, description, strict } = format as Extract<typeof format, { type: 'json_schema' }>
    out.response_format = {
      type: 'json_schema',
      json_schema: { name, schema, ...(description !== undefined && { description }), ...(typeof strict === 'boolean' && { strict }) },
    }
  } else if (format?.type === 'json_object') out.response_format = { type: 'json_object' }
  if (req.prompt_cache_key) out.prompt_cache_key = req.prompt_cache_key
  if (req.user) out.user = req.user
  if (req.stream) {
    out.stream = true
    out.stream_options = { include_usage: true }
  }
  // OpenAI refuses tool_choice and parallel_tool_calls without tools (all of them may have been dropped).
  if (tools.length > 0) {
    out.tools = tools
    const choice = toToolChoice(req.tool_choice, origins)
    if (choice !== undefined) out.tool_choice = choice
    if (typeof req.parallel_tool_calls === 'boolean') out.parallel_tool_calls = req.parallel_tool_calls
  }
  return { request: out, tools: names }
}

// ── Tools ──────────────────────────────────────────────────────────────────

/** The Chat name for a tool, and back. `origins` is keyed by `originKey`. */
function toTools(list: ResponsesTool[]): { tools: OpenAITool[]; names: ToolNames; origins: Map<string, string> } {
  const tools: OpenAITool[] = []
  const names: ToolNames = new Map()
  const origins = new Map<string, string>()
  const add = (tool: ResponsesFunctionTool | ResponsesCustomTool, namespace?: string) => {
    const name = chatToolName(tool.name, namespace)
    const kind = tool.type === 'custom' ? 'custom' : 'function'
    names.set(name, { kind, name: tool.name, ...(namespace !== undefined && { namespace }) })
    origins.set(originKey(tool.name, namespace), name)
    tools.push(kind === 'custom' ? customFunction(tool as ResponsesCustomTool, name) : plainFunction(tool as ResponsesFunctionTool, name))
  }
  for (const tool of list) {
    if (tool.type === 'function' || tool.type === 'custom') add(tool as ResponsesFunctionTool | ResponsesCustomTool)
    else if (tool.type === 'namespace') {
      const group = tool as ResponsesNamespaceTool
      for (const inner of group.tools ?? []) if (inner.type === 'function' || inner.type === 'custom') add(inner, group.name)
    }
    // Built-in tools (DROPPED_TOOL_TYPES) and kinds unknown to lmlb are left out: the model simply does not see them.
  }
  return { tools, names, origins }
}

function plainFunction(tool: ResponsesFunctionTool, name: string): OpenAITool {
  return {
    type: 'function',
    function: {
      name,
      ...(tool.description && { description: tool.description }),
      parameters: tool.parameters ?? { type: 'object', properties: {} },
    },
  }
}

/** A freeform tool as a function of one string: the grammar goes in the description, so the model knows the syntax. */
function customFunction(tool: ResponsesCustomTool, name: string): OpenAITool {
  const format = tool.format
  const grammar = format?.type === 'grammar' ? (format as { syntax?: string; definition?: string }) : undefined
  const description = [
    tool.description ?? '',
    'Put the whole text for this tool in the string argument `input`.',
    grammar?.definition ? `The text must follow this ${grammar.syntax ?? ''} grammar:\n${grammar.definition}` : '',
  ]
    .filter((s) => s !== '')
    .join('\n\n')
  return {
    type: 'function',
    function: {
      name,
      description,
      parameters: {
        type: 'object',
        properties: { input: { type: 'string', description: 'The raw text input of the tool.' } },
        required: ['input'],
        additionalProperties: false,
      },
    },
  }
}

const originKey = (name: string, namespace?: string) => `${namespace ?? ''}\u0000${name}`

/**
 * A tool's Chat name: its own, or `namespace__name` for a namespace group's
 * tool. Kept within OpenAI's 64-character `[a-zA-Z0-9_-]` rule: a name that
 * breaks it becomes a prefix of it plus a hash of the whole, the same every
 * time (history items must name the call as the tool list does).
 */
export function chatToolName(name: string, namespace?: string): string {
  const full = namespace === undefined ? name : `${namespace}${SEPARATOR}${name}`
  if (CHAT_NAME.test(full)) return full
  return `${full.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 55)}_${fnv1a(full)}`
}

/** FNV-1a, 32 bits, as 8 hex digits: short, stable, no dependencies. */
function fnv1a(s: string): string {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  return (h >>> 0).toString(16).padStart(8, '0')
}

function toToolChoice(choice: ResponsesRequest['tool_choice'], origins: Map<string, string>): OpenAIToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined
  if (choice === 'auto' || choice === 'none' || choice === 'required') return choice
  if (typeof choice !== 'object') return undefined
  if ((choice.type === 'function' || choice.type === 'custom') && typeof choice.name === 'string') {
    return { type: 'function', function: { name: namedTool(choice.name, origins) } }
  }
  // Chat's allowed_tools is OpenAI-only: the mode is kept, the restriction is not.
  if (choice.type === 'allowed_tools') return (choice as { mode?: string }).mode === 'required' ? 'required' : 'auto'
  // A built-in tool (web_search, mcp...) was asked for: it was dropped, let the model choose.
  return 'auto'
}

/** A forced tool by name: a top-level tool first, else the one namespace tool of that name, else the name as it is. */
function namedTool(name: string, origins: Map<string, string>): string {
  const own = origins.get(originKey(name))
  if (own !== undefined) return own
  const inGroups = [...origins].filter(([key]) => key.endsWith(`\u0000${name}`))
  return inGroups.length === 1 ? inGroups[0][1] : chatToolName(name)
}

// ── Input items → messages ─────────────────────────────────────────────────

function toMessages(req: ResponsesRequest, origins: Map<string, string>): OpenAIMessage[] {
  const messages: OpenAIMessage[] = []
  if (req.instructions) messages.push({ role: 'system', content: req.instructions })
  if (typeof req.input === 'string') {
    messages.push({ role: 'user', content: req.input })
    return messages
  }
  const seen = new Map<string, ResponsesInputItem>()
  /** Images from tool outputs: a `tool` message carries text only, so they follow the run of tool messages. */
  let toolImages: OpenAIContentPart[] = []
  const flushImages = () => {
    if (toolImages.length > 0) messages.push({ role: 'user', content: toolImages })
    toolImages = []
  }
  const callName = (name: string, namespace?: string) => origins.get(originKey(name, namespace)) ?? chatToolName(name, namespace)

  for (const raw of req.input ?? []) {
    const item = raw.type === 'item_reference' ? resolveReference(raw as { id: string }, seen) : raw
    if (typeof raw.id === 'string' && raw.type !== 'item_reference') seen.set(raw.id, raw)
    const type = item.type ?? ('role' in item ? 'message' : undefined)

    if (type === 'function_call_output' || type === 'custom_tool_call_output') {
      const { call_id, output } = item as { call_id: string; output: unknown }
      const { text, images } = outputContent(output, call_id)
      messages.push({ role: 'tool', tool_call_id: call_id, content: text })
      toolImages.push(...images)
      continue
    }
    if (type === 'function_call' || type === 'custom_tool_call') {
      const call = item as { call_id: string; name: string; namespace?: string; arguments?: string; input?: string }
      const args = type === 'custom_tool_call' ? JSON.stringify({ input: call.input ?? '' }) : call.arguments || '{}'
      flushImages()
      // One assistant message holds the calls made together, and the text said right before them.
      const last = messages.at(-1)
      const holder = last?.role === 'assistant' ? last : (messages.push({ role: 'assistant', content: null }), messages.at(-1)!)
      ;(holder.tool_calls ??= []).push({
        id: call.call_id,
        type: 'function',
        function: { name: callName(call.name, call.namespace), arguments: args },
      })
      continue
    }
    // Reasoning is not sent back: encrypted_content is only readable by the provider that made it,
    // and its summary text was written for the user, not as context for another model.
    if (type === 'reasoning') continue
    if (type === 'message') {
      flushImages()
      messages.push(message(item as ResponsesMessageItem))
      continue
    }
    // Other items (hosted tool calls, compaction...) describe work of OpenAI-hosted tools lmlb does not offer.
  }
  flushImages()
  return messages
}

function resolveReference(ref: { id: string }, seen: Map<string, ResponsesInputItem>): ResponsesInputItem {
  const item = seen.get(ref.id)
  if (item) return item
  throw new RequestRefused(
    `item_reference ${JSON.stringify(ref.id)} names no item earlier in this request nor one lmlb made: ` +
      'an item another service made is known only to it; send the item itself',
  )
}

function message(item: ResponsesMessageItem): OpenAIMessage {
  const role = item.role
  // `developer` becomes `system`: Chat-only providers (Groq, vLLM...) may not know it.
  if (role === 'system' || role === 'developer')
    return { role: 'system', content: typeof item.content === 'string' ? item.content : textOf(item.content, '\n\n') }
  if (role === 'assistant')
    return { role: 'assistant', content: typeof item.content === 'string' ? item.content : textOf(item.content, '') }
  return { role: 'user', content: typeof item.content === 'string' ? item.content : item.content.map(userPart) }
}

function userPart(part: ResponsesContentPart): OpenAIContentPart {
  const p = part as Record<string, any>
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: p.text }
    case 'input_image':
      if (typeof p.image_url === 'string' && p.image_url !== '')
        return { type: 'image_url', image_url: { url: p.image_url, ...(p.detail && { detail: p.detail }) } }
      throw new RequestRefused(
        'input_image by file_id is not supported: lmlb keeps no files; send the image as image_url (a URL or a data: URL)',
      )
    case 'input_file':
      // Chat's own file part (OpenAI and a few others read it; chat-over-messages skips it).
      if (typeof p.file_data === 'string')
        return { type: 'file', file: { file_data: p.file_data, ...(p.filename && { filename: p.filename }) } }
      throw new RequestRefused('input_file by file_id or file_url is not supported: send the file as file_data')
    default:
      throw new RequestRefused(`content part of type ${JSON.stringify(part.type)} is not supported over Chat Completions`)
  }
}

/** A tool output (a string, or parts) → the tool message's text, and the images it held. */
function outputContent(output: unknown, callId: string): { text: string; images: OpenAIContentPart[] } {
  if (typeof output === 'string') return { text: output, images: [] }
  if (!Array.isArray(output)) {
    // Older Codex builds sent `{ content, success }`.
    const content = (output as { content?: unknown } | null)?.content
    return { text: typeof content === 'string' ? content : JSON.stringify(output ?? ''), images: [] }
  }
  const texts: string[] = []
  const images: OpenAIContentPart[] = []
  for (const part of output as Record<string, any>[]) {
    if (part?.type === 'input_text' || part?.type === 'output_text') texts.push(part.text)
    else if (part?.type === 'input_image' && typeof part.image_url === 'string')
      images.push({ type: 'image_url', image_url: { url: part.image_url } })
    else texts.push(`[a ${part?.type ?? 'part'} was returned here; lmlb passes only text and images]`)
  }
  if (images.length > 0) images.unshift({ type: 'text', text: `Images returned by tool call ${callId}:` })
  return { text: texts.join('\n'), images }
}

function textOf(parts: ResponsesContentPart[], separator: string): string {
  return parts
    .map((p) =>
      p.type === 'refusal'
        ? (p as { refusal: string }).refusal
        : typeof (p as { text?: unknown }).text === 'string'
          ? (p as { text: string }).text
          : '',
    )
    .filter((t) => t !== '')
    .join(separator)
}
