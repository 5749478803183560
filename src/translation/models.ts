/** What translation needs to know of OpenAI-format models by name. */

/** o-series and gpt-5 take `max_completion_tokens` and `reasoning_effort`, not `max_tokens`. */
export function isReasoningModel(model: string): boolean {
  return /^(o\d|gpt-5)/.test(model)
}

/** Gemini's OpenAI endpoint accepts `reasoning_effort` on its thinking models. */
export function takesReasoningEffort(model: string): boolean {
  return isReasoningModel(model) || /^gemini-(2\.5|[3-9])/.test(model)
}

/**
 * The most output tokens a model accepts. Claude clients ask for a lot
 * (Claude Code: 128,000) and OpenAI-format upstreams refuse a request above
 * their limit outright, so a translated request is capped. Unknown models
 * get a limit most serve.
 */
const OUTPUT_LIMITS: [RegExp, number][] = [
  [/^gpt-5/, 128_000],
  [/^o\d/, 100_000],
  [/^gpt-4\.1/, 32_768],
  [/^gpt-4o/, 16_384],
  [/^(gpt-4-turbo|gpt-4-|gpt-4$|gpt-3\.5)/, 4_096],
  [/^gemini-(2\.5|[3-9])/, 65_536],
  [/^gemini-/, 8_192],
]
export const DEFAULT_OUTPUT_LIMIT = 16_384

export function outputLimit(model: string): number {
  return OUTPUT_LIMITS.find(([pattern]) => pattern.test(model))?.[1] ?? DEFAULT_OUTPUT_LIMIT
}
