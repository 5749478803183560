/**
 * The event most of an Anthropic stream is made of, a text_delta, turned
 * into its OpenAI chunk without parsing the event or building the chunk:
 * the upstream's JSON string literal goes into the chunk as it is. Any
 * other event, or any other layout, is left to `onEvent` (undefined).
 */
import type { ReverseStreamState } from './stream'

const TEXT_DELTA =
  /^\{\s*"type"\s*:\s*"content_block_delta"\s*,\s*"index"\s*:\s*\d+\s*,\s*"delta"\s*:\s*\{\s*"type"\s*:\s*"text_delta"\s*,\s*"text"\s*:\s*("(?:[^"\\]|\\.)*")\s*\}\s*\}$/

export function textChunk(data: string, state: ReverseStreamState): string | undefined {
  if (state.finished) return undefined
  const m = TEXT_DELTA.exec(data)
  if (m === null) return undefined
  state.textHead ??= `data: {"id":${JSON.stringify(state.id)},"object":"chat.completion.chunk","created":${state.created},"model":${JSON.stringify(state.model)},"choices":[{"index":0,"delta":{"content":`
  return `${state.textHead}${m[1]}},"finish_reason":null}]}\n\n`
}
