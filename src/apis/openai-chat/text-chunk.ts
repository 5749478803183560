/**
 * The chunk most of a Chat stream is made of, `{"choices":[{"delta":
 * {"content":"..."}}]}`, recognised without parsing it: its content's JSON
 * string literal, as the upstream wrote it, for a translator to put into its
 * own event as it is (a JSON string either way). Any other chunk, or any
 * doubt: undefined, and the translator parses the chunk.
 */

/**
 * OpenAI's own layout of such a chunk, field for field: one anchored pass
 * proves it is nothing but text (one choice, finish_reason and usage null).
 * Any other layout (other providers, spacing, field order) takes the
 * general checks below.
 */
const OPENAI_TEXT_CHUNK = new RegExp(
  [
    String.raw`^\{"id":"[^"\\]*","object":"chat\.completion\.chunk","created":\d+,"model":"[^"\\]*"`,
    String.raw`(?:,"service_tier":"[^"\\]*")?(?:,"system_fingerprint":(?:"[^"\\]*"|null))?`,
    String.raw`,"choices":\[\{"index":0,"delta":\{"content":("(?:[^"\\]|\\.)*")\}(?:,"logprobs":null)?,"finish_reason":null\}\]`,
    String.raw`(?:,"usage":null)?(?:,"obfuscation":"[^"\\]*")?\}$`,
  ].join(''),
)

/** A delta that holds content and nothing else; the literal is captured whole. */
const TEXT_ONLY_DELTA = /"delta"\s*:\s*\{\s*"content"\s*:\s*("(?:[^"\\]|\\.)*")\s*\}/
/**
 * Fields that make a chunk more than text when they hold anything but null.
 * Outside string literals only: inside one, a quote is always escaped, so
 * `"usage":` cannot occur there.
 */
const MORE_THAN_TEXT =
  /"(?:usage|tool_calls|function_call|reasoning_content|reasoning|refusal|error|finish_reason|stop_reason)"\s*:\s*(?:[^n\s]|n(?!ull\b))/

/** The content literal of a chunk that holds nothing but text in one choice. */
export function textLiteralOf(data: string): string | undefined {
  const fast = OPENAI_TEXT_CHUNK.exec(data)
  if (fast) return fast[1]
  const m = TEXT_ONLY_DELTA.exec(data)
  if (m === null || data.indexOf('"delta"') !== m.index || data.indexOf('"delta"', m.index + 1) !== -1 || MORE_THAN_TEXT.test(data))
    return undefined
  return m[1]
}
