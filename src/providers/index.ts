/** Every provider lmlb knows, and which one serves a service. */
import { anthropic } from './anthropic'
import { GEMINI_HOST, gemini } from './gemini'
import { geminiNative } from './gemini-native'
import { openai } from './openai'
import { openaiCompatible } from './openai-compatible'
import type { Provider } from './provider'

export const PROVIDERS: Record<string, Provider> = {
  openai,
  anthropic,
  gemini,
  'gemini-native': geminiNative,
  'openai-compatible': openaiCompatible,
}

/** The services built in (the seed's openai and anthropic, and gemini): each named after its provider. */
export const BUILTIN_PROVIDERS: readonly Provider[] = [openai, anthropic, gemini]

/**
 * The provider behind a service: an Anthropic-format one is Anthropic; a
 * Gemini-format one Gemini's own API; an OpenAI-format one is Gemini where
 * it is the built-in `gemini` or points at Google's endpoint, OpenAI where
 * it is the built-in `openai`, and otherwise any OpenAI-compatible server.
 */
export function providerFor(service: { name: string; format: Provider['format']; endpoints: readonly { url: string }[] }): Provider {
  if (service.format === 'anthropic') return anthropic
  if (service.format === 'gemini') return geminiNative
  if (service.name === 'gemini' || service.endpoints.some((e) => e.url.includes(GEMINI_HOST))) return gemini
  return service.name === 'openai' ? openai : openaiCompatible
}
