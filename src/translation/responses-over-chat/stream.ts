/**
 * OpenAI chat.completion.chunk stream → Responses stream events.
 * A pure state machine: `onChunk(chunk, state)` returns the events that
 * chunk makes, at once; `finish(state)` closes every item and sends the
 * terminal event when the upstream ends, with or without a finish_reason;
 * `failStream` ends it with `response.failed`. Every event is numbered
 * (`sequence_number`, from 0); after the terminal event nothing follows.
 *
 * Text and reasoning are one item at a time: a new kind of content closes
 * the open one. Tool calls each get their own item at once and stay open
 * until the end, since Chat may interleave their arguments by `index`;
 * calls are told apart by `id` first, then by `index` (some upstreams
 * number every call 0). Each `output_item.done` carries the COMPLETE item:
 * Codex acts on those alone. The terminal event waits for `finish`, since
 * the usage chunk comes after the one with the finish_reason.
 */
import type { OpenAIChunk, OpenAIUsage } from '../../apis/openai-chat/wire'
import type {
  ResponsesEvent,
  ResponsesOutputItem,
  ResponsesOutputMessage,
  ResponsesOutputReasoning,
  UnnumberedEvent,
} from '../../apis/openai-responses/wire'
import { callOfFragment, type ToolFragment } from '../../apis/openai-chat/tool-fragments'
import { callItem, ending, itemIds, responseObject, type ResponseOptions } from './response'

interface ToolCall {
  id: string
  name: string
  args: string
  /** Its output index once its item started (the name is known). */
  index?: number
}

export interface ResponsesStreamState {
  opts: ResponseOptions
  seq: number
  started: boolean
  ids: ReturnType<typeof itemIds>
  createdAt?: number
  /** Every item made so far, by output index, as it stands. */
  output: ResponsesOutputItem[]
  /** The open text or reasoning item. */
  open?: { kind: 'text' | 'reasoning'; index: number }
  calls: ToolCall[]
  /** The call each upstream `index` currently points at. */
  byIndex: Map<number, ToolCall>
  finishReason: string | null
  usage?: OpenAIUsage
  done: boolean
}

export function createResponsesStreamState(opts: ResponseOptions): ResponsesStreamState {
  return {
    opts,
    seq: 0,
    started: false,
    ids: itemIds(undefined, opts.keep?.id),
    output: [],
    calls: [],
    byIndex: new Map(),
    finishReason: null,
    done: false,
  }
}

type Delta = NonNullable<OpenAIChunk['choices']>[number]['delta'] & { refusal?: string | null }

export function onChunk(chunk: OpenAIChunk, state: ResponsesStreamState): ResponsesEvent[] {
  if (state.done) return []
  if (chunk.error)
    return failStream(
      state,
      chunk.error.message ?? 'upstream error',
      typeof chunk.error.code === 'string' ? chunk.error.code : chunk.error.type,
    )
  const events: ResponsesEvent[] = []
  if (!state.started) start(chunk, state, events)
  if (chunk.usage) state.usage = chunk.usage
  const choice = chunk.choices?.[0]
  if (!choice) return events
  const delta: Delta = choice.delta ?? {}
  const reasoning = delta.reasoning_content ?? delta.reasoning
  if (reasoning) reasoningDelta(reasoning, state, events)
  const text = delta.content || delta.refusal
  if (text) textDelta(text, state, events)
  for (const fragment of delta.tool_calls ?? []) toolFragment(fragment, state, events)
  if (choice.finish_reason) state.finishReason = choice.finish_reason
  return events
}

/** The upstream ended (cleanly or not): complete every item, then the one terminal event. */
export function finish(state: ResponsesStreamState): ResponsesEvent[] {
  if (state.done) return []
  const events: ResponsesEvent[] = []
  if (!state.started) start({}, state, events)
  const { status, incomplete_details } = ending(state.finishReason)
  // What was open when the output limit struck is cut short.
  const itemStatus = status === 'incomplete' ? 'incomplete' : 'completed'
  closeOpen(state, events, itemStatus)
  // Calls whose name never came still get their item: arguments are not lost.
  for (const call of state.calls) if (call.index === undefined) startCall(call, state, events)
  for (const call of [...state.calls].sort((a, b) => a.index! - b.index!)) closeCall(call, state, events, itemStatus)
  state.done = true
  const response = snapshot(state, { status, incomplete_details })
  emit(state, events, { type: status === 'incomplete' ? 'response.incomplete' : 'response.completed', response })
  state.opts.keep?.done(response)
  return events
}

/** An upstream error after the stream began: `response.failed` (the event Codex reads the reason from), and nothing after it. */
export function failStream(state: ResponsesStreamState, message: string, code = 'server_error'): ResponsesEvent[] {
  if (state.done) return []
  const events: ResponsesEvent[] = []
  if (!state.started) start({}, state, events)
  state.done = true
  // Items still open are left as they stand: a call cut off must not run.
  for (const item of state.output) if ('status' in item && item.status === 'in_progress') item.status = 'incomplete'
  emit(state, events, { type: 'response.failed', response: snapshot(state, { status: 'failed', error: { code, message } }) })
  return events
}

function start(chunk: OpenAIChunk, state: ResponsesStreamState, events: ResponsesEvent[]): void {
  state.started = true
  state.ids = itemIds(chunk.id, state.opts.keep?.id)
  state.createdAt = chunk.created
  emit(state, events, { type: 'response.created', response: snapshot(state, { status: 'in_progress' }) })
  emit(state, events, { type: 'response.in_progress', response: snapshot(state, { status: 'in_progress' }) })
}

function textDelta(text: string, state: ResponsesStreamState, events: ResponsesEvent[]): void {
  const index = openItem(state, events, 'text', (i) => ({
    type: 'message',
    id: state.ids.next('msg', i),
    role: 'assistant',
    status: 'in_progress',
    content: [],
  }))
  const item = state.output[index] as ResponsesOutputMessage
  if (item.content.length === 0) {
    item.content.push({ type: 'output_text', text: '', annotations: [], logprobs: [] })
    emit(state, events, {
      type: 'response.content_part.added',
      item_id: item.id,
      output_index: index,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [], logprobs: [] },
    })
  }
  item.content[0].text += text
  emit(state, events, {
    type: 'response.output_text.delta',
    item_id: item.id,
    output_index: index,
    content_index: 0,
    delta: text,
    logprobs: [],
  })
}

function reasoningDelta(text: string, state: ResponsesStreamState, events: ResponsesEvent[]): void {
  const index = openItem(state, events, 'reasoning', (i) => ({ type: 'reasoning', id: state.ids.next('rs', i), summary: [] }))
  const item = state.output[index] as ResponsesOutputReasoning
  if (item.summary.length === 0) {
    item.summary.push({ type: 'summary_text', text: '' })
    emit(state, events, {
      type: 'response.reasoning_summary_part.added',
      item_id: item.id,
      output_index: index,
      summary_index: 0,
      part: { type: 'summary_text', text: '' },
    })
  }
  item.summary[0].text += text
  emit(state, events, {
    type: 'response.reasoning_summary_text.delta',
    item_id: item.id,
    output_index: index,
    summary_index: 0,
    delta: text,
  })
}

function toolFragment(fragment: ToolFragment, state: ResponsesStreamState, events: ResponsesEvent[]): void {
  const call = callOfFragment(fragment, state.byIndex, state.calls, (id, name): ToolCall => ({ id, name, args: '' }))
  const args = fragment.function?.arguments ?? ''
  call.args += args
  if (call.index === undefined) {
    // Arguments that came before the name are sent when the item starts.
    if (call.name) startCall(call, state, events)
  } else if (args !== '' && state.output[call.index].type === 'function_call') {
    emit(state, events, {
      type: 'response.function_call_arguments.delta',
      item_id: state.output[call.index].id,
      output_index: call.index,
      delta: args,
    })
  }
}

function startCall(call: ToolCall, state: ResponsesStreamState, events: ResponsesEvent[]): void {
  closeOpen(state, events, 'completed')
  call.index = state.output.length
  const item = callItem({
    name: call.name,
    args: '',
    callId: call.id,
    index: call.index,
    ids: state.ids,
    status: 'in_progress',
    tools: state.opts.tools,
  })
  // The added item has no arguments yet: they follow as deltas.
  if (item.type === 'function_call') item.arguments = ''
  call.id = item.call_id
  state.output.push(item)
  emit(state, events, { type: 'response.output_item.added', output_index: call.index, item: clone(item) })
  if (call.args !== '' && item.type === 'function_call')
    emit(state, events, { type: 'response.function_call_arguments.delta', item_id: item.id, output_index: call.index, delta: call.args })
}

function closeCall(call: ToolCall, state: ResponsesStreamState, events: ResponsesEvent[], status: 'completed' | 'incomplete'): void {
  const index = call.index!
  const item = callItem({ name: call.name, args: call.args, callId: call.id, index, ids: state.ids, status, tools: state.opts.tools })
  state.output[index] = item
  // A freeform tool's input is known only once its JSON is whole: it goes out as one delta.
  if (item.type === 'custom_tool_call') {
    if (item.input !== '')
      emit(state, events, { type: 'response.custom_tool_call_input.delta', item_id: item.id, output_index: index, delta: item.input })
    emit(state, events, { type: 'response.custom_tool_call_input.done', item_id: item.id, output_index: index, input: item.input })
  } else
    emit(state, events, { type: 'response.function_call_arguments.done', item_id: item.id, output_index: index, arguments: item.arguments })
  emit(state, events, { type: 'response.output_item.done', output_index: index, item: clone(item) })
}

/** The open item of this kind, or a new one (closing the other kind first). */
function openItem(
  state: ResponsesStreamState,
  events: ResponsesEvent[],
  kind: 'text' | 'reasoning',
  make: (index: number) => ResponsesOutputItem,
): number {
  if (state.open?.kind === kind) return state.open.index
  closeOpen(state, events, 'completed')
  const index = state.output.length
  const item = make(index)
  state.output.push(item)
  state.open = { kind, index }
  emit(state, events, { type: 'response.output_item.added', output_index: index, item: clone(item) })
  return index
}

function closeOpen(state: ResponsesStreamState, events: ResponsesEvent[], status: 'completed' | 'incomplete'): void {
  if (!state.open) return
  const index = state.open.index
  const item = state.output[index]
  state.open = undefined
  if (item.type === 'message') {
    const part = item.content[0]
    emit(state, events, {
      type: 'response.output_text.done',
      item_id: item.id,
      output_index: index,
      content_index: 0,
      text: part.text,
      logprobs: [],
    })
    emit(state, events, { type: 'response.content_part.done', item_id: item.id, output_index: index, content_index: 0, part: clone(part) })
    item.status = status
  } else if (item.type === 'reasoning') {
    const part = item.summary[0]
    emit(state, events, {
      type: 'response.reasoning_summary_text.done',
      item_id: item.id,
      output_index: index,
      summary_index: 0,
      text: part.text,
    })
    emit(state, events, {
      type: 'response.reasoning_summary_part.done',
      item_id: item.id,
      output_index: index,
      summary_index: 0,
      part: clone(part),
    })
  }
  emit(state, events, { type: 'response.output_item.done', output_index: index, item: clone(item) })
}

function snapshot(
  state: ResponsesStreamState,
  end: Partial<Parameters<typeof responseObject>[0]> & { status: Parameters<typeof responseObject>[0]['status'] },
) {
  const terminal = end.status !== 'in_progress'
  return responseObject({
    id: state.ids.response,
    createdAt: state.createdAt,
    opts: state.opts,
    output: terminal ? clone(state.output) : [],
    ...(terminal && { usage: state.usage }),
    ...end,
  })
}

function emit(state: ResponsesStreamState, events: ResponsesEvent[], event: UnnumberedEvent): void {
  events.push({ ...event, sequence_number: state.seq++ } as ResponsesEvent)
}

/** Events hold copies: the state's items keep changing after an event is sent. */
function clone<T>(value: T): T {
  return structuredClone(value)
}
