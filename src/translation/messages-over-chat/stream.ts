/**
 * OpenAI chat.completion.chunk stream → Anthropic Messages stream events.
 * A pure state machine: `onChunk(chunk, state)` returns the events that
 * chunk makes, at once (text is never held back); `finish(state)` closes
 * the message when the upstream ends, with or without a finish_reason.
 *
 * Anthropic content blocks come one after another, never interleaved: a
 * new kind of content (text, thinking, a tool call) closes the open block
 * and opens the next index. Tool calls are told apart by `id` first, then by
 * `index` (some upstreams reuse one index for several calls); arguments that
 * arrive before a call's id and name are kept until its block can start.
 */
import type { AnthropicEvent } from '../../apis/anthropic-messages/wire'
import type { OpenAIChunk, OpenAIUsage } from '../../apis/openai-chat/wire'
import { messageId, stopReasonOf, toolUseId } from './response'
import { callOfFragment, type ToolFragment } from '../../apis/openai-chat/tool-fragments'

interface ToolCall {
  id: string
  name: string
  /** Its content block index once started. */
  block?: number
  /** Arguments received before the block could start. */
  pending: string
}

export interface StreamState {
  model: string
  stopSequences?: string[]
  inputTokensEstimate: number
  started: boolean
  nextBlock: number
  open?: { kind: 'text' | 'thinking' | 'tool'; index: number; call?: ToolCall }
  calls: ToolCall[]
  /** The call each upstream `index` currently points at. */
  byIndex: Map<number, ToolCall>
  text: string
  finishReason: string | null
  matchedStop?: unknown
  usage?: OpenAIUsage
  done: boolean
}

export function createStreamState(opts: { model: string; stopSequences?: string[]; inputTokensEstimate?: number }): StreamState {
  return {
    model: opts.model,
    stopSequences: opts.stopSequences,
    inputTokensEstimate: opts.inputTokensEstimate ?? 0,
    started: false,
    nextBlock: 0,
    calls: [],
    byIndex: new Map(),
    text: '',
    finishReason: null,
    done: false,
  }
}

export function onChunk(chunk: OpenAIChunk, state: StreamState): AnthropicEvent[] {
  if (state.done) return []
  const events: AnthropicEvent[] = []
  if (chunk.error) return failStream(state, chunk.error.message ?? 'upstream error', chunk.error.type)
  if (!state.started) events.push(messageStart(chunk, state))
  if (chunk.usage) state.usage = chunk.usage
  const choice = chunk.choices?.[0]
  if (!choice) return events
  const delta = choice.delta ?? {}
  const reasoning = delta.reasoning_content ?? delta.reasoning
  if (reasoning) {
    openBlock(state, 'thinking', events, { type: 'thinking', thinking: '', signature: '' })
    events.push(blockDelta(state, { type: 'thinking_delta', thinking: reasoning }))
  }
  if (delta.content) {
    openBlock(state, 'text', events, { type: 'text', text: '' })
    state.text += delta.content
    events.push(blockDelta(state, { type: 'text_delta', text: delta.content }))
  }
  for (const fragment of delta.tool_calls ?? []) toolFragment(fragment, state, events)
  if (choice.finish_reason) state.finishReason = choice.finish_reason
  const matched = (choice as { stop_reason?: unknown }).stop_reason
  if (matched !== undefined && matched !== null) state.matchedStop = matched
  return events
}

/** The upstream ended (cleanly or not): close what is open, say why it stopped, stop. */
export function finish(state: StreamState): AnthropicEvent[] {
  if (state.done) return []
  const events: AnthropicEvent[] = []
  if (!state.started) events.push(messageStart({}, state))
  // Calls whose id or name never came still get their block: arguments are not lost.
  for (const call of state.calls) if (call.block === undefined) startTool(call, state, events)
  closeBlock(state, events)
  const { stopReason, stopSequence } = stopReasonOf(
    state.finishReason,
    state.text,
    state.stopSequences,
    state.calls.length > 0,
    state.matchedStop,
  )
  const cached = state.usage?.prompt_tokens_details?.cached_tokens ?? 0
  events.push({
    type: 'message_delta',
    delta: { stop_reason: stopReason, stop_sequence: stopSequence },
    usage: {
      ...(state.usage && { input_tokens: Math.max(0, state.usage.prompt_tokens - cached), cache_read_input_tokens: cached }),
      output_tokens: state.usage?.completion_tokens ?? 0,
    },
  })
  events.push({ type: 'message_stop' })
  state.done = true
  return events
}

/** An upstream error after the stream began: an Anthropic `error` event, and nothing after it. */
export function failStream(state: StreamState, message: string, type = 'api_error'): AnthropicEvent[] {
  if (state.done) return []
  state.done = true
  return [{ type: 'error', error: { type: type === 'overloaded_error' ? type : 'api_error', message } }]
}

function messageStart(chunk: OpenAIChunk, state: StreamState): AnthropicEvent {
  state.started = true
  return {
    type: 'message_start',
    message: {
      id: messageId(chunk.id),
      type: 'message',
      role: 'assistant',
      model: state.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      // The upstream reports input usage only at the end; until then, the estimate rather than a misleading 0.
      usage: { input_tokens: state.inputTokensEstimate, output_tokens: 1, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
    },
  }
}

function toolFragment(fragment: ToolFragment, state: StreamState, events: AnthropicEvent[]): void {
  const call = callOfFragment(fragment, state.byIndex, state.calls, (id, name): ToolCall => ({ id, name, pending: '' }))
  const args = fragment.function?.arguments ?? ''
  if (call.block === undefined && call.name) startTool(call, state, events)
  if (args === '') return
  if (call.block === undefined) call.pending += args
  else if (state.open?.call === call) events.push(blockDelta(state, { type: 'input_json_delta', partial_json: args }))
  else call.pending += args // its block is closed: see finish()
}

function startTool(call: ToolCall, state: StreamState, events: AnthropicEvent[]): void {
  if (!call.id) call.id = toolUseId()
  closeBlock(state, events)
  call.block = state.nextBlock++
  state.open = { kind: 'tool', index: call.block, call }
  events.push({
    type: 'content_block_start',
    index: call.block,
    content_block: { type: 'tool_use', id: call.id, name: call.name, input: {} },
  })
  if (call.pending !== '') {
    events.push(blockDelta(state, { type: 'input_json_delta', partial_json: call.pending }))
    call.pending = ''
  }
}

function openBlock(state: StreamState, kind: 'text' | 'thinking', events: AnthropicEvent[], contentBlock: object): void {
  if (state.open?.kind === kind) return
  closeBlock(state, events)
  state.open = { kind, index: state.nextBlock++ }
  events.push({ type: 'content_block_start', index: state.open.index, content_block: contentBlock })
}

function closeBlock(state: StreamState, events: AnthropicEvent[]): void {
  if (!state.open) return
  events.push({ type: 'content_block_stop', index: state.open.index })
  state.open = undefined
}

function blockDelta(state: StreamState, delta: object): AnthropicEvent {
  return { type: 'content_block_delta', index: state.open!.index, delta }
}
