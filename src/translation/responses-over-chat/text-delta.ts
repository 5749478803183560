/**
 * A text chunk (apis/openai-chat/text-chunk.ts) while a message item is
 * open, turned into its `response.output_text.delta` event without parsing
 * the chunk or building the event: byte for byte what `onChunk` and the
 * encoder would write, numbered in the same sequence. Any other chunk, or
 * any doubt, is left to `onChunk` (undefined).
 */
import { textLiteralOf } from '../../apis/openai-chat/text-chunk'
import type { ResponsesOutputMessage } from '../../apis/openai-responses/wire'
import type { ResponsesStreamState } from './stream'

export function responsesTextDelta(data: string, state: ResponsesStreamState): string | undefined {
  if (state.done || state.open?.kind !== 'text') return undefined
  const item = state.output[state.open.index] as ResponsesOutputMessage
  if (item.content.length === 0) return undefined
  const literal = textLiteralOf(data)
  if (literal === undefined) return undefined
  if (literal === '""') return ''
  // The item keeps its whole text: its done events and the final response carry it.
  item.content[0].text += JSON.parse(literal) as string
  const where = `"item_id":${JSON.stringify(item.id)},"output_index":${state.open.index},"content_index":0`
  const event = `{"type":"response.output_text.delta",${where},"delta":${literal},"logprobs":[],"sequence_number":${state.seq++}}`
  return `event: response.output_text.delta\ndata: ${event}\n\n`
}
