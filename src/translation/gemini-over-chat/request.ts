/**
 * A native Gemini request → an OpenAI Chat Completions request. Gemini
 * names neither the model (it is in the URL) nor streaming (the URL's
 * method): both come from the caller. Function calls often have no id in
 * Gemini; ids are made up per turn and each functionResponse answers the
 * call with its id, else the oldest unanswered call of its name.
 */
import type { GeminiContent, GeminiPart, GeminiRequest, GeminiTool } from '../../apis/gemini/wire'
import type { OpenAIContentPart, OpenAIMessage, OpenAIRequest, OpenAITool, OpenAIToolCall } from '../../apis/openai-chat/wire'
import { isReasoningModel, outputLimit, takesReasoningEffort } from '../../providers/models'
import { own } from '../../util/own'

export interface RequestOptions {
  /** The model name the upstream knows. */
  model: string
  /** streamGenerateContent (true) or generateContent (false). */
  stream: boolean
}

/** Gemini fields with no Chat counterpart, dropped on purpose. */
export const DROPPED_GEMINI_FIELDS: Record<string, string> = {
  topK: 'Chat Completions has no top-k sampling',
  safetySettings: "the upstream's own safety rules apply",
  cachedContent: 'Gemini-side cached contents cannot be read by another upstream',
  'thinkingConfig.includeThoughts': 'upstreams return reasoning as they do; it reaches the client only when asked',
  'allowedFunctionNames (more than one)': 'Chat can force one function, not a subset',
  'google-hosted tools': 'googleSearch, codeExecution, urlContext... have no Chat counterpart',
  'thought parts in history': "earlier turns' thoughts cannot be replayed to another vendor",
  'thoughtSignature in history': 'meaningful to Gemini only',
}

/** Chat's `stop` takes at most four sequences. */
const MAX_STOP_SEQUENCES = 4
/** thinkingLevel (Gemini 3) → reasoning_effort. */
const EFFORT_OF_LEVEL: Record<string, string> = { MINIMAL: 'minimal', LOW: 'low', MEDIUM: 'medium', HIGH: 'high' }

export function toChatRequest(req: GeminiRequest, opts: RequestOptions): OpenAIRequest {
  const reasoning = isReasoningModel(opts.model)
  const config = req.generationConfig ?? {}
  const out: OpenAIRequest = { model: opts.model, messages: toMessages(req) }
  if (config.maxOutputTokens !== undefined) {
    const maxTokens = Math.min(config.maxOutputTokens, outputLimit(opts.model))
    if (reasoning) out.max_completion_tokens = maxTokens
    else out.max_tokens = maxTokens
  }
  // Reasoning models accept only their default sampling.
  if (config.temperature !== undefined && !reasoning) out.temperature = config.temperature
  if (config.topP !== undefined && !reasoning) out.top_p = config.topP
  if (config.presencePenalty !== undefined) out.presence_penalty = config.presencePenalty
  if (config.frequencyPenalty !== undefined) out.frequency_penalty = config.frequencyPenalty
  if (config.seed !== undefined) out.seed = config.seed
  if (config.stopSequences?.length) out.stop = config.stopSequences.slice(0, MAX_STOP_SEQUENCES)
  if (config.candidateCount !== undefined && config.candidateCount > 1) out.n = config.candidateCount
  const format = responseFormat(req)
  if (format) out.response_format = format
  const effort = reasoningEffort(req)
  if (effort && takesReasoningEffort(opts.model)) out.reasoning_effort = effort
  if (opts.stream) {
    out.stream = true
    out.stream_options = { include_usage: true }
  }
  const tools = (req.tools ?? []).flatMap(toTools)
  if (tools.length > 0) {
    out.tools = tools
    const choice = toolChoice(req)
    if (choice) out.tool_choice = choice
  }
  return out
}

/** JSON mode: a schema when one is given, else plain JSON. */
function responseFormat(req: GeminiRequest): object | undefined {
  const config = req.generationConfig ?? {}
  const schema = config.responseJsonSchema ?? config.responseSchema
  if (schema) return { type: 'json_schema', json_schema: { name: 'response', schema: toJsonSchema(schema) } }
  if (config.responseMimeType === 'application/json') return { type: 'json_object' }
  return undefined
}

/**
 * thinkingConfig → reasoning_effort. A budget of 0 (thinking off) and -1
 * (the model decides) leave the effort out: no effort value every Chat
 * server takes means "off" ('none' and 'minimal' are refused by some), and
 * leaving it out never fails. Budgets are sized as messages-over-chat does.
 */
function reasoningEffort(req: GeminiRequest): string | undefined {
  const thinking = req.generationConfig?.thinkingConfig
  if (!thinking) return undefined
  if (thinking.thinkingLevel) return own(EFFORT_OF_LEVEL, thinking.thinkingLevel.toUpperCase())
  const budget = thinking.thinkingBudget
  if (budget === undefined || budget <= 0) return undefined
  return budget < 4_096 ? 'low' : budget < 16_384 ? 'medium' : 'high'
}

function toTools(tool: GeminiTool): OpenAITool[] {
  return (tool.functionDeclarations ?? []).map((f) => ({
    type: 'function',
    function: {
      name: f.name,
      ...(f.description !== undefined && { description: f.description }),
      parameters: f.parametersJsonSchema ??
        ((f.parameters && toJsonSchema(f.parameters)) as Record<string, unknown> | undefined) ?? { type: 'object', properties: {} },
    },
  }))
}

/** functionCallingConfig → tool_choice; one allowed name under ANY forces that function. */
function toolChoice(req: GeminiRequest): OpenAIRequest['tool_choice'] {
  const config = req.toolConfig?.functionCallingConfig
  if (config?.mode === 'NONE') return 'none'
  if (config?.mode === 'ANY') {
    const names = config.allowedFunctionNames ?? []
    return names.length === 1 ? { type: 'function', function: { name: names[0] } } : 'required'
  }
  if (config?.mode === 'AUTO' || config?.mode === 'VALIDATED') return 'auto'
  return undefined
}

/** Gemini's OpenAPI-style schemas name types in capitals (`OBJECT`); JSON Schema wants them in lower case. */
export function toJsonSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(toJsonSchema)
  if (!schema || typeof schema !== 'object') return schema
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'type') out[key] = Array.isArray(value) ? value.map(lowerType) : lowerType(value)
    // Inside `properties`, keys are property names: a property called "type" stays as it is.
    else if (key === 'properties' && value && typeof value === 'object')
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSchema(v)]))
    else out[key] = toJsonSchema(value)
  }
  return out
}

function lowerType(type: unknown): unknown {
  return typeof type === 'string' && type === type.toUpperCase() ? type.toLowerCase() : type
}

/** A call the model made, for the functionResponse that answers it. */
interface MadeCall {
  id: string
  name: string
  answered: boolean
}

function toMessages(req: GeminiRequest): OpenAIMessage[] {
  const messages: OpenAIMessage[] = []
  const system = textOf(req.systemInstruction)
  if (system !== '') messages.push({ role: 'system', content: system })
  const calls: MadeCall[] = []
  req.contents.forEach((content, turn) => {
    if (content.role === 'model') messages.push(...assistantMessages(content.parts ?? [], turn, calls))
    else messages.push(...userMessages(content.parts ?? [], turn, calls))
  })
  return messages
}

/** A model turn: its answer text and its function calls, with ids made up where Gemini gives none. */
function assistantMessages(parts: GeminiPart[], turn: number, calls: MadeCall[]): OpenAIMessage[] {
  const text = parts
    .filter((p) => typeof p.text === 'string' && !p.thought)
    .map((p) => p.text)
    .join('')
  const toolCalls: OpenAIToolCall[] = parts
    .flatMap((p) => (p.functionCall ? [p.functionCall] : []))
    .map((call, index) => {
      const id = call.id || `call_${turn}_${index}`
      calls.push({ id, name: call.name, answered: false })
      return { id, type: 'function', function: { name: call.name, arguments: JSON.stringify(call.args ?? {}) } }
    })
  if (text === '' && toolCalls.length === 0) return []
  const message: OpenAIMessage = { role: 'assistant', content: text === '' && toolCalls.length > 0 ? null : text }
  if (toolCalls.length > 0) message.tool_calls = toolCalls
  return [message]
}

/** A user turn: its function responses first, as `tool` messages (Chat wants them right after the calls), then the rest. */
function userMessages(parts: GeminiPart[], turn: number, calls: MadeCall[]): OpenAIMessage[] {
  const out: OpenAIMessage[] = []
  const rest: OpenAIContentPart[] = []
  parts.forEach((part, index) => {
    if (part.functionResponse) {
      const response = part.functionResponse
      const call = answeredCall(calls, response.id, response.name)
      out.push({
        role: 'tool',
        tool_call_id: call?.id ?? response.id ?? `call_${turn}_${index}`,
        content: JSON.stringify(response.response ?? {}),
      })
    } else if (typeof part.text === 'string' && !part.thought) rest.push({ type: 'text', text: part.text })
    else if (part.inlineData)
      rest.push(mediaPart(part.inlineData.mimeType, `data:${part.inlineData.mimeType};base64,${part.inlineData.data}`))
    else if (part.fileData) rest.push(mediaPart(part.fileData.mimeType ?? '', part.fileData.fileUri))
  })
  if (rest.length > 0) {
    // A lone text part reads best (and most compatibly) as a plain string.
    const only = rest.length === 1 && rest[0].type === 'text' ? (rest[0] as { text: string }).text : undefined
    out.push({ role: 'user', content: only ?? rest })
  }
  return out
}

/** The call a functionResponse answers: by id when it has one, else the oldest unanswered call of its name. */
function answeredCall(calls: MadeCall[], id: string | undefined, name: string): MadeCall | undefined {
  const call = (id && calls.find((c) => c.id === id)) || calls.find((c) => !c.answered && c.name === name)
  if (call) call.answered = true
  return call
}

/** Images go as images; other media (PDF, audio, video) cannot ride in a Chat message portably: a note says so. */
function mediaPart(mimeType: string, url: string): OpenAIContentPart {
  if (mimeType.startsWith('image/')) return { type: 'image_url', image_url: { url } }
  return { type: 'text', text: `[a ${mimeType || 'file'} attachment was here; lmlb does not pass it to this model]` }
}

/** The text of a content (thoughts skipped), its parts joined as paragraphs. */
function textOf(content: GeminiContent | undefined): string {
  return (content?.parts ?? [])
    .filter((p) => typeof p.text === 'string' && !p.thought)
    .map((p) => p.text)
    .join('\n\n')
}
