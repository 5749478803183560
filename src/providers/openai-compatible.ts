/** Any other OpenAI-format server (Groq, OpenRouter, vLLM, Ollama...): Chat Completions (Responses where configured), bearer keys. */
import { BEARER, OPENAI_FORWARDED } from './openai'
import type { Provider } from './provider'

export const openaiCompatible: Provider = {
  name: 'openai-compatible',
  format: 'openai',
  apis: ['chat'],
  auth: BEARER,
  forwarded: OPENAI_FORWARDED,
}
