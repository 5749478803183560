/**
 * The event most of an Anthropic stream is made of, a text_delta, turned
 * into its OpenAI chunk without parsing the event or building the chunk:
 * the upstream's JSON string literal goes into the chunk as it is. Any
 * other event, or any other layout, is left to `onEvent` (undefined).
 */
import type { ReverseStreamState } from './stream'

/** `{"type":"content_block_delta","index":N,"delta":{"type":"text_delta","text":"..."}}`, any spacing; the text's literal captured. */
const TEXT_DELTA = new RegExp(
  [
    String.raw`^\{\s*"type"\s*:\s*"content_block_delta"\s*,\s*"index"\s*:\s*\d+\s*,`,
    String.raw`\s*"delta"\s*:\s*\{\s*"type"\s*:\s*"text_delta"\s*,\s*"text"\s*:\s*("(?:[^"\\]|\\.)*")\s*\}\s*\}$`,
  ].join(''),
)

export function textChunk(data: string, state: ReverseStreamState): string | undefined {
  if (state.finished) return undefined
  const m = TEXT_DELTA.exec(data)
  if (m === null) return undefined
  state.textHead ??=
    `data: {"id":${JSON.stringify(state.id)},"object":"chat.completion.chunk","created":${state.created},` +
    `"model":${JSON.stringify(state.model)},"choices":[{"index":0,"delta":{"content":`
  return `${state.textHead}${m[1]}},"finish_reason":null}]}\n\n`
}
