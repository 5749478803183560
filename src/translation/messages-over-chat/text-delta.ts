/**
 * A text chunk (apis/openai-chat/text-chunk.ts) while a text block is open,
 * turned into its Anthropic event without parsing the chunk or building the
 * event. Any other chunk, or any doubt, is left to `onChunk` (undefined).
 */
import { textLiteralOf } from '../../apis/openai-chat/text-chunk'
import type { StreamState } from './stream'

export function textDeltaEvent(data: string, state: StreamState): string | undefined {
  if (state.done || state.open?.kind !== 'text') return undefined
  const literal = textLiteralOf(data)
  if (literal === undefined) return undefined
  if (literal === '""') return ''
  // Kept only where finish() reads it: to find a stop sequence at the end of the text.
  if (state.stopSequences?.length) state.text += JSON.parse(literal) as string
  return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${state.open.index},"delta":{"type":"text_delta","text":${literal}}}\n\n`
}
