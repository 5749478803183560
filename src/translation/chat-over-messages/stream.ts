/**
 * Anthropic Messages stream events → OpenAI chat.completion.chunk objects.
 * A pure state machine like its mirror: each event gives its chunks at once;
 * the caller writes them as `data:` lines and ends with `data: [DONE]`.
 */
import type { AnthropicEvent } from '../../apis/anthropic-messages/wire'
import type { OpenAIChunk, OpenAIUsage } from '../../apis/openai-chat/wire'
import { completionId, finishReasonOf, toOpenAIUsage } from './response'

export interface ReverseStreamState {
  model: string
  includeUsage: boolean
  id: string
  created: number
  /** Anthropic block index → OpenAI tool_calls index. */
  toolIndex: Map<number, number>
  /** Tool blocks that have had no argument text yet: they end with `{}`, as OpenAI sends a call without arguments. */
  toolsWithoutArguments: Set<number>
  usage: Partial<{ input_tokens: number; output_tokens: number; cache_read_input_tokens: number; cache_creation_input_tokens: number }>
  finished: boolean
  /** A text chunk up to its content, built once the id is known (text-delta.ts). */
  textHead?: string
}

export function createReverseStreamState(opts: { model: string; includeUsage: boolean }): ReverseStreamState {
  return {
    model: opts.model,
    includeUsage: opts.includeUsage,
    id: completionId(undefined),
    created: Math.floor(Date.now() / 1000),
    toolIndex: new Map(),
    toolsWithoutArguments: new Set(),
    usage: {},
    finished: false,
  }
}

export function onEvent(event: AnthropicEvent, state: ReverseStreamState): (OpenAIChunk | { error: object })[] {
  if (state.finished) return []
  const chunk = (delta: object, finish: string | null = null): OpenAIChunk => ({
    id: state.id,
    object: 'chat.completion.chunk',
    created: state.created,
    model: state.model,
    choices: [{ index: 0, delta, finish_reason: finish }],
  })
  switch (event.type) {
    case 'message_start': {
      const message = event.message as { id?: string; usage?: ReverseStreamState['usage'] }
      state.id = completionId(message.id)
      state.textHead = undefined
      Object.assign(state.usage, message.usage)
      return [chunk({ role: 'assistant', content: '' })]
    }
    case 'content_block_start': {
      const block = event.content_block as { type: string; id?: string; name?: string }
      if (block.type !== 'tool_use') return []
      const index = state.toolIndex.size
      state.toolIndex.set(event.index as number, index)
      state.toolsWithoutArguments.add(event.index as number)
      return [chunk({ tool_calls: [{ index, id: block.id, type: 'function', function: { name: block.name, arguments: '' } }] })]
    }
    case 'content_block_delta': {
      const delta = event.delta as { type: string; text?: string; partial_json?: string; thinking?: string }
      if (delta.type === 'text_delta') return [chunk({ content: delta.text })]
      if (delta.type === 'thinking_delta') return [chunk({ reasoning_content: delta.thinking })]
      if (delta.type === 'input_json_delta' && delta.partial_json) {
        state.toolsWithoutArguments.delete(event.index as number)
        return [
          chunk({ tool_calls: [{ index: state.toolIndex.get(event.index as number) ?? 0, function: { arguments: delta.partial_json } }] }),
        ]
      }
      return []
    }
    case 'content_block_stop': {
      // Anthropic streams a call without arguments as one empty input_json_delta; `""` is not JSON to the client.
      if (!state.toolsWithoutArguments.delete(event.index as number)) return []
      return [chunk({ tool_calls: [{ index: state.toolIndex.get(event.index as number)!, function: { arguments: '{}' } }] })]
    }
    case 'message_delta': {
      Object.assign(state.usage, event.usage)
      const stop = (event.delta as { stop_reason?: string }).stop_reason
      return [chunk({}, finishReasonOf(stop))]
    }
    case 'message_stop':
      return finishReverse(state)
    case 'error':
      state.finished = true
      return [{ error: { ...(event.error as object), code: (event.error as { type?: string })?.type ?? null } }]
    default:
      return [] // ping, signature deltas
  }
}

/** The end: the usage chunk when asked for (`stream_options.include_usage`). */
export function finishReverse(state: ReverseStreamState): OpenAIChunk[] {
  if (state.finished) return []
  state.finished = true
  if (!state.includeUsage) return []
  const usage: OpenAIUsage = toOpenAIUsage(state.usage)
  return [{ id: state.id, object: 'chat.completion.chunk', created: state.created, model: state.model, choices: [], usage }]
}
