/** The path a base URL gets appended for each API call (CONTRACT: a base URL ends at its version segment). */
export const API_PATHS = {
  messages: '/messages',
  countTokens: '/messages/count_tokens',
  chatCompletions: '/chat/completions',
  responses: '/responses',
  embeddings: '/embeddings',
  moderations: '/moderations',
  completions: '/completions',
  imagesGenerations: '/images/generations',
  audioSpeech: '/audio/speech',
  audioTranscriptions: '/audio/transcriptions',
  audioTranslations: '/audio/translations',
  models: '/models',
} as const

export type ApiCall = keyof typeof API_PATHS

export function upstreamUrl(base: string, call: ApiCall, search: string): string {
  return base + API_PATHS[call] + search
}
