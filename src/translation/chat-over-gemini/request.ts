/**
 * An OpenAI Chat Completions request → a native Gemini request (the model
 * goes in the URL, streaming in the URL's method: neither is in the body).
 * System and developer messages become `systemInstruction`; tool messages
 * become functionResponse parts in a user turn; consecutive turns of one
 * role merge. A tool call id that carries a thoughtSignature
 * (`<id>__thought__<signature>`) gives it back to its functionCall part.
 */
import type { GeminiContent, GeminiFunctionDeclaration, GeminiPart, GeminiRequest } from '../../apis/gemini/wire'
import { textOf } from '../chat-over-messages/request'
import { parseArguments } from '../../apis/openai-chat/tool-arguments'
import type { OpenAIContentPart, OpenAIMessage, OpenAIRequest, OpenAITool } from '../../apis/openai-chat/wire'
import { cleanSchemaForGemini } from '../../providers/gemini'
import { own } from '../../util/own'
import { splitToolCallId } from './response'

/**
 * reasoning_effort → thinkingBudget, the values Google's own OpenAI
 * endpoint uses (ai.google.dev/gemini-api/docs/openai#thinking): 'none'
 * turns thinking off (2.5 Pro and 3 refuse 0: do not send 'none' to them).
 */
const THINKING_BUDGET: Record<string, number> = { none: 0, minimal: 1_024, low: 1_024, medium: 8_192, high: 24_576 }

/** Chat fields with no Gemini counterpart, dropped on purpose. */
export const DROPPED_CHAT_FIELDS: Record<string, string> = {
  parallel_tool_calls: 'Gemini has no switch for parallel calls',
  logprobs: 'not translated',
  logit_bias: 'not offered by Gemini',
  user: 'not offered by Gemini',
  audio: 'text and images only',
  'reasoning_content in history': "earlier turns' reasoning cannot be replayed without its signature",
}

const IMAGE_TYPES: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
}

export function toGeminiRequest(req: OpenAIRequest): GeminiRequest {
  const system: GeminiPart[] = []
  const contents: GeminiContent[] = []
  const push = (role: 'user' | 'model', parts: GeminiPart[]) => {
    if (parts.length === 0) return
    const last = contents.at(-1)
    if (last?.role === role && last.parts) last.parts.push(...parts)
    else contents.push({ role, parts })
  }
  // A tool message names only its call's id; Gemini's functionResponse wants the function's name too.
  const names = new Map<string, string>()
  for (const m of req.messages) {
    if (m.role === 'system' || m.role === 'developer') {
      const text = textOf(m.content)
      if (text !== '') system.push({ text })
    } else if (m.role === 'assistant') push('model', modelParts(m, names))
    else if (m.role === 'tool') push('user', [functionResponsePart(m, names)])
    else push('user', contentParts(m.content))
  }
  const out: GeminiRequest = { contents }
  if (system.length > 0) out.systemInstruction = { parts: system }
  const tools = (req.tools ?? []).map(toDeclaration)
  if (tools.length > 0) out.tools = [{ functionDeclarations: tools }]
  const toolConfig = toToolConfig(req)
  if (toolConfig && tools.length > 0) out.toolConfig = toolConfig
  const config = generationConfig(req)
  if (Object.keys(config).length > 0) out.generationConfig = config
  return out
}

function generationConfig(req: OpenAIRequest): NonNullable<GeminiRequest['generationConfig']> {
  const config: NonNullable<GeminiRequest['generationConfig']> = {}
  const maxTokens = req.max_completion_tokens ?? req.max_tokens
  if (typeof maxTokens === 'number') config.maxOutputTokens = maxTokens
  if (typeof req.temperature === 'number') config.temperature = req.temperature
  if (typeof req.top_p === 'number') config.topP = req.top_p
  if (typeof req.presence_penalty === 'number') config.presencePenalty = req.presence_penalty
  if (typeof req.frequency_penalty === 'number') config.frequencyPenalty = req.frequency_penalty
  if (typeof req.seed === 'number') config.seed = req.seed
  if (typeof req.n === 'number' && req.n > 1) config.candidateCount = req.n
  if (req.stop !== undefined && req.stop !== null) config.stopSequences = typeof req.stop === 'string' ? [req.stop] : req.stop
  const format = req.response_format as { type?: string; json_schema?: { schema?: Record<string, unknown> } } | undefined
  if (format?.type === 'json_object' || format?.type === 'json_schema') config.responseMimeType = 'application/json'
  // responseJsonSchema takes JSON Schema as it is (responseSchema wants Google's OpenAPI subset).
  if (format?.type === 'json_schema' && format.json_schema?.schema) config.responseJsonSchema = format.json_schema.schema
  const budget = typeof req.reasoning_effort === 'string' ? own(THINKING_BUDGET, req.reasoning_effort) : undefined
  // Thoughts are asked for with the effort: they come back as reasoning_content, as other Chat servers send it.
  if (budget !== undefined) config.thinkingConfig = { thinkingBudget: budget, ...(budget > 0 && { includeThoughts: true }) }
  return config
}

/** Tool schemas cleaned of the keywords Gemini refuses; an object without properties is refused too, so none is sent. */
function toDeclaration(tool: OpenAITool): GeminiFunctionDeclaration {
  const schema = tool.function.parameters
  const empty = !schema || (schema.type === 'object' && Object.keys((schema.properties as object | undefined) ?? {}).length === 0)
  return {
    name: tool.function.name,
    ...(tool.function.description !== undefined && { description: tool.function.description }),
    ...(!empty && { parameters: cleanSchemaForGemini(schema) }),
  }
}

function toToolConfig(req: OpenAIRequest): GeminiRequest['toolConfig'] {
  const choice = req.tool_choice
  if (choice === 'none') return { functionCallingConfig: { mode: 'NONE' } }
  if (choice === 'required') return { functionCallingConfig: { mode: 'ANY' } }
  if (choice === 'auto') return { functionCallingConfig: { mode: 'AUTO' } }
  if (typeof choice === 'object' && choice.function?.name)
    return { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: [choice.function.name] } }
  return undefined
}

/** An assistant message: its text, then its calls, each with the id and signature its Chat id carries. */
function modelParts(m: OpenAIMessage, names: Map<string, string>): GeminiPart[] {
  const parts: GeminiPart[] = []
  const text = textOf(m.content)
  if (text !== '') parts.push({ text })
  for (const call of m.tool_calls ?? []) {
    const { id, signature } = splitToolCallId(call.id)
    names.set(call.id, call.function.name)
    const args = parseArguments(call.function.arguments) as Record<string, unknown>
    parts.push({ functionCall: { ...(id && { id }), name: call.function.name, args }, ...(signature && { thoughtSignature: signature }) })
  }
  return parts
}

/**
 * A tool message → a functionResponse. Gemini wants an object: a result
 * that is a JSON object goes as it is, anything else under `output`
 * (Google's documented key, the one Gemini CLI sends).
 */
function functionResponsePart(m: OpenAIMessage, names: Map<string, string>): GeminiPart {
  const callId = m.tool_call_id ?? ''
  const text = textOf(m.content)
  let response: Record<string, unknown> = { output: text }
  try {
    const parsed = JSON.parse(text)
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) response = parsed
  } catch {}
  const { id } = splitToolCallId(callId)
  return { functionResponse: { ...(id && { id }), name: names.get(callId) ?? m.name ?? '', response } }
}

function contentParts(content: string | OpenAIContentPart[] | null | undefined): GeminiPart[] {
  if (content === null || content === undefined) return []
  if (typeof content === 'string') return content === '' ? [] : [{ text: content }]
  return content.flatMap((part): GeminiPart[] => {
    if (part.type === 'text') return [{ text: (part as { text: string }).text }]
    if (part.type === 'image_url') return [imagePart((part as { image_url: { url: string } }).image_url.url)]
    return []
  })
}

/** A data URL rides inline; another URL as fileData, its type guessed from its extension (Gemini requires one). */
function imagePart(url: string): GeminiPart {
  const data = /^data:([^;,]+);base64,(.*)$/s.exec(url)
  if (data) return { inlineData: { mimeType: data[1], data: data[2] } }
  const extension = /\.([a-z]+)(?:[?#]|$)/i.exec(url)?.[1]?.toLowerCase() ?? ''
  return { fileData: { mimeType: own(IMAGE_TYPES, extension) ?? 'image/jpeg', fileUri: url } }
}
