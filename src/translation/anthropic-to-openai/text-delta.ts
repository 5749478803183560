/**
 * The chunk most of a stream is made of, `{"choices":[{"delta":{"content":
 * "..."}}]}` while a text block is open, turned into its Anthropic event
 * without parsing the chunk or building the event: the upstream's JSON
 * string literal goes into the event as it is (a JSON string either way).
 * Any other chunk, or any doubt, is left to `onChunk` (undefined).
 */
import type { StreamState } from './stream'

/** A delta that holds content and nothing else; the literal is captured whole. */
const TEXT_ONLY_DELTA = /"delta"\s*:\s*\{\s*"content"\s*:\s*("(?:[^"\\]|\\.)*")\s*\}/
/**
 * Fields that make a chunk more than text when they hold anything but null.
 * Outside string literals only: inside one, a quote is always escaped, so
 * `"usage":` cannot occur there.
 */
const MORE_THAN_TEXT = /"(?:usage|tool_calls|function_call|reasoning_content|reasoning|refusal|error|finish_reason|stop_reason)"\s*:\s*(?:[^n\s]|n(?!ull\b))/

export function textDeltaEvent(data: string, state: StreamState): string | undefined {
  if (state.done || state.open?.kind !== 'text') return undefined
  const m = TEXT_ONLY_DELTA.exec(data)
  // One choice only (onChunk reads the first), with nothing but text in it.
  if (m === null || data.indexOf('"delta"') !== m.index || data.indexOf('"delta"', m.index + 1) !== -1 || MORE_THAN_TEXT.test(data)) return undefined
  const literal = m[1]
  if (literal === '""') return ''
  // Kept only where finish() reads it: to find a stop sequence at the end of the text.
  if (state.stopSequences?.length) state.text += JSON.parse(literal) as string
  return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${state.open.index},"delta":{"type":"text_delta","text":${literal}}}\n\n`
}
