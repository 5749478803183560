/**
 * A Gemini client (Gemini CLI, Google's SDKs) served by a Chat Completions
 * upstream: the pair, in the shape every pair has.
 */
import type { GeminiRequest } from '../../apis/gemini/wire'
import { DONE } from '../../apis/openai-chat/events'
import type { Pair, TranslateOptions } from '../pair'
import { toChatRequest } from './request'
import { type ResponseOptions, toGeminiResponse } from './response'
import { createGeminiStreamState, encodeGeminiEvents, failStream, finish, type GeminiStreamState, onChunk, textEvent } from './stream'

interface Context extends ResponseOptions {
  candidates: number
}

export const geminiOverChat = {
  upstream: 'chat',
  request: (req: GeminiRequest, { model, stream }: TranslateOptions) => ({
    body: toChatRequest(req, { model, stream }),
    context: {
      // The client's model is in its URL, which the upstream model stands in for.
      model,
      includeThoughts: req.generationConfig?.thinkingConfig?.includeThoughts === true,
      candidates: req.generationConfig?.candidateCount ?? 1,
    },
  }),
  response: (answer, context) => toGeminiResponse(answer, context),
  stream: {
    start: (context) => createGeminiStreamState(context),
    push: (data, state) =>
      data === DONE ? encodeGeminiEvents(finish(state)) : (textEvent(data, state) ?? encodeGeminiEvents(onChunk(JSON.parse(data), state))),
    finish: (state) => encodeGeminiEvents(finish(state)),
    fail: (state, message) => encodeGeminiEvents(failStream(state, message)),
  },
} satisfies Pair<GeminiRequest, Context, GeminiStreamState>
