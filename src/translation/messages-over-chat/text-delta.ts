/**
 * The chunk most of a stream is made of, `{"choices":[{"delta":{"content":
 * "..."}}]}` while a text block is open, turned into its Anthropic event
 * without parsing the chunk or building the event: the upstream's JSON
 * string literal goes into the event as it is (a JSON string either way).
 * Any other chunk, or any doubt, is left to `onChunk` (undefined).
 */
import type { StreamState } from './stream'

/**
 * OpenAI's own layout of such a chunk, field for field: one anchored pass
 * proves it is nothing but text (one choice, finish_reason and usage null).
 * Any other layout (other providers, spacing, field order) takes the
 * general checks below.
 */
const OPENAI_TEXT_CHUNK =
  /^\{"id":"[^"\\]*","object":"chat\.completion\.chunk","created":\d+,"model":"[^"\\]*"(?:,"service_tier":"[^"\\]*")?(?:,"system_fingerprint":(?:"[^"\\]*"|null))?,"choices":\[\{"index":0,"delta":\{"content":("(?:[^"\\]|\\.)*")\}(?:,"logprobs":null)?,"finish_reason":null\}\](?:,"usage":null)?(?:,"obfuscation":"[^"\\]*")?\}$/

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
  const literal = OPENAI_TEXT_CHUNK.exec(data)?.[1] ?? textOnlyLiteral(data)
  if (literal === undefined) return undefined
  if (literal === '""') return ''
  // Kept only where finish() reads it: to find a stop sequence at the end of the text.
  if (state.stopSequences?.length) state.text += JSON.parse(literal) as string
  return `event: content_block_delta\ndata: {"type":"content_block_delta","index":${state.open.index},"delta":{"type":"text_delta","text":${literal}}}\n\n`
}

/** The content literal of a chunk in any layout that holds nothing but text in one choice. */
function textOnlyLiteral(data: string): string | undefined {
  const m = TEXT_ONLY_DELTA.exec(data)
  if (m === null || data.indexOf('"delta"') !== m.index || data.indexOf('"delta"', m.index + 1) !== -1 || MORE_THAN_TEXT.test(data)) return undefined
  return m[1]
}
