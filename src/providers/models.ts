/**
 * What lmlb knows of models by name, whichever service serves them (the
 * families are each provider's data), and what a request translated into
 * Chat Completions is fitted to before it goes out: a model's output limit,
 * whether it takes a reasoning effort, and its provider's own needs.
 */
import type { OpenAIRequest } from '../apis/openai-chat/wire'
import { GEMINI_MODELS } from './gemini'
import { OPENAI_MODELS } from './openai'
import type { Provider } from './provider'

/** o-series and gpt-5 take `max_completion_tokens` and `reasoning_effort`, not `max_tokens`. */
export function isReasoningModel(model: string): boolean {
  return OPENAI_MODELS.reasoning.test(model)
}

/** Gemini's OpenAI endpoint accepts `reasoning_effort` on its thinking models. */
export function takesReasoningEffort(model: string): boolean {
  return isReasoningModel(model) || GEMINI_MODELS.effort.test(model)
}

/**
 * The most output tokens a model accepts. Claude clients ask for a lot
 * (Claude Code: 128,000) and OpenAI-format upstreams refuse a request above
 * their limit outright, so a translated request is capped. Unknown models
 * get a limit most serve.
 */
const OUTPUT_LIMITS = [...OPENAI_MODELS.outputLimits, ...GEMINI_MODELS.outputLimits]
export const DEFAULT_OUTPUT_LIMIT = 16_384

export function outputLimit(model: string): number {
  return OUTPUT_LIMITS.find(([pattern]) => pattern.test(model))?.[1] ?? DEFAULT_OUTPUT_LIMIT
}

/**
 * A translated Chat request made fit for `model` on `provider`: its output
 * cap and reasoning effort as the model takes them (Codex always sends an
 * effort, and Chat servers refuse one for models that do not reason), then
 * what the provider needs (Gemini: tool schemas without the keywords it
 * refuses). Same-format requests never come here: they pass as they came.
 */
export function fitTranslatedChat(request: OpenAIRequest, model: string, provider: Provider): void {
  if (request.reasoning_effort !== undefined && !takesReasoningEffort(model)) delete request.reasoning_effort
  const limit = outputLimit(model)
  if (request.max_tokens !== undefined && request.max_tokens > limit) request.max_tokens = limit
  if (request.max_completion_tokens !== undefined && request.max_completion_tokens > limit) request.max_completion_tokens = limit
  provider.adaptChat?.(request)
}
