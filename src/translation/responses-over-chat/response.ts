/**
 * An OpenAI chat.completion → the Responses `response` object the client
 * asked for. The pieces (ids, tool call items, usage, status, the fields
 * echoed from the request) are shared with the stream translation.
 */
import type { OpenAICompletion, OpenAIUsage } from '../../apis/openai-chat/wire'
import type {
  ItemStatus,
  ResponseObject,
  ResponsesOutputCustomToolCall,
  ResponsesOutputFunctionCall,
  ResponsesOutputItem,
  ResponsesRequest,
  ResponsesUsage,
} from '../../apis/openai-responses/wire'
import type { ResponseKeep } from '../../apis/openai-responses/kept'
import type { ToolNames } from './request'

export interface ResponseOptions {
  /** The model name the client asked for: the answer names it back. */
  model: string
  /** From toChatRequest: which Chat function names stand for namespace or custom tools. */
  tools: ToolNames
  /** The client's request, whose settings the response object echoes. */
  request?: ResponsesRequest
  /** The response's id and where lmlb keeps it (none: a translation alone, its ids made of the upstream's). */
  keep?: ResponseKeep
}

export function toResponse(completion: OpenAICompletion, opts: ResponseOptions): ResponseObject {
  const ids = itemIds(completion.id, opts.keep?.id)
  const choice = completion.choices?.[0]
  const message = choice?.message
  const output: ResponsesOutputItem[] = []
  const reasoning = message?.reasoning_content ?? message?.reasoning
  if (reasoning) output.push({ type: 'reasoning', id: ids.next('rs', output.length), summary: [{ type: 'summary_text', text: reasoning }] })
  const text = message?.content ?? message?.refusal ?? ''
  if (text !== '') {
    output.push({
      type: 'message',
      id: ids.next('msg', output.length),
      role: 'assistant',
      status: 'completed',
      content: [{ type: 'output_text', text, annotations: [] }],
    })
  }
  for (const call of message?.tool_calls ?? []) {
    output.push(
      callItem({
        name: call.function.name,
        args: call.function.arguments,
        callId: call.id,
        index: output.length,
        ids,
        status: 'completed',
        tools: opts.tools,
      }),
    )
  }
  const response = responseObject({
    id: ids.response,
    createdAt: completion.created,
    opts,
    ...ending(choice?.finish_reason ?? null),
    output,
    usage: completion.usage,
  })
  opts.keep?.done(response)
  return response
}

/**
 * Ids for one answer: `resp_<base>`, and `<prefix>_<base>_<output index>` per
 * item; the base is the kept response's (given in advance), else the upstream's.
 */
export function itemIds(
  upstreamId: string | undefined,
  keptId?: string,
): { response: string; next: (prefix: string, index: number) => string } {
  const base =
    keptId?.slice('resp_'.length) ??
    ((upstreamId ?? '').replace(/^chatcmpl-/, '').replace(/[^a-zA-Z0-9_-]/g, '') || crypto.randomUUID().replace(/-/g, ''))
  return { response: `resp_${base}`, next: (prefix, index) => `${prefix}_${base}_${index}` }
}

/** A Chat tool call → a `function_call` item (named back to its namespace), or a `custom_tool_call` item. */
export function callItem(c: {
  name: string
  args: string
  callId: string | undefined
  index: number
  ids: ReturnType<typeof itemIds>
  status: ItemStatus
  tools: ToolNames
}): ResponsesOutputFunctionCall | ResponsesOutputCustomToolCall {
  const origin = c.tools.get(c.name)
  const callId = c.callId || c.ids.next('call', c.index)
  const namespace = origin?.namespace !== undefined ? { namespace: origin.namespace } : {}
  if (origin?.kind === 'custom') {
    return {
      type: 'custom_tool_call',
      id: c.ids.next('ctc', c.index),
      status: c.status,
      call_id: callId,
      name: origin.name,
      ...namespace,
      input: customInput(c.args),
    }
  }
  // Codex skips a call whose arguments are not JSON: none at all is an empty object.
  return {
    type: 'function_call',
    id: c.ids.next('fc', c.index),
    status: c.status,
    call_id: callId,
    name: origin?.name ?? c.name,
    ...namespace,
    arguments: c.args.trim() === '' ? '{}' : c.args,
  }
}

/** A freeform tool's text, from the `{"input": "..."}` the model was asked for; anything else is passed as it came. */
export function customInput(args: string): string {
  try {
    const parsed = JSON.parse(args) as unknown
    if (typeof parsed === 'string') return parsed
    const input = (parsed as { input?: unknown } | null)?.input
    if (typeof input === 'string') return input
  } catch {
    // Not JSON: the raw text, so the client's tool can report it and the model can try again.
  }
  return args
}

/** How the answer ended: Chat's finish_reason → the response's status. */
export function ending(finishReason: string | null): Pick<ResponseObject, 'status' | 'incomplete_details'> {
  if (finishReason === 'length') return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }
  if (finishReason === 'content_filter') return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } }
  return { status: 'completed', incomplete_details: null }
}

export function toResponsesUsage(usage: OpenAIUsage): ResponsesUsage {
  const reasoning = (usage as { completion_tokens_details?: { reasoning_tokens?: number } }).completion_tokens_details?.reasoning_tokens
  return {
    // Responses counts cached tokens inside input_tokens, as Chat's prompt_tokens does.
    input_tokens: usage.prompt_tokens ?? 0,
    input_tokens_details: { cached_tokens: usage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: usage.completion_tokens ?? 0,
    output_tokens_details: { reasoning_tokens: reasoning ?? 0 },
    total_tokens: usage.total_tokens ?? (usage.prompt_tokens ?? 0) + (usage.completion_tokens ?? 0),
  }
}

/** The whole `response` object: what was made, and the request's settings echoed as the client sent them. */
export function responseObject(r: {
  id: string
  createdAt: number | undefined
  opts: ResponseOptions
  status: ResponseObject['status']
  incomplete_details?: ResponseObject['incomplete_details']
  error?: ResponseObject['error']
  output: ResponsesOutputItem[]
  usage?: OpenAIUsage | null
}): ResponseObject {
  const req = r.opts.request
  return {
    id: r.id,
    object: 'response',
    created_at: r.createdAt ?? Math.floor(Date.now() / 1000),
    status: r.status,
    error: r.error ?? null,
    incomplete_details: r.incomplete_details ?? null,
    model: r.opts.model,
    output: r.output,
    ...(r.usage && { usage: toResponsesUsage(r.usage) }),
    instructions: req?.instructions ?? null,
    metadata: req?.metadata ?? null,
    parallel_tool_calls: req?.parallel_tool_calls ?? true,
    temperature: req?.temperature ?? null,
    top_p: req?.top_p ?? null,
    tool_choice: req?.tool_choice ?? 'auto',
    tools: req?.tools ?? [],
    max_output_tokens: req?.max_output_tokens ?? null,
    reasoning: req?.reasoning ?? null,
    text: req?.text ?? { format: { type: 'text' } },
    store: r.opts.keep?.stored ?? false,
    previous_response_id: r.opts.keep?.previous ?? null,
    ...(req?.prompt_cache_key !== undefined && { prompt_cache_key: req.prompt_cache_key }),
    ...(req?.user !== undefined && { user: req.user }),
  }
}
