/**
 * An OpenAI Chat client served by Google's native Gemini API: the pair, in
 * the shape every pair has. Chat is the pivot, so every other API reaches
 * Gemini through this.
 */
import { DONE, encodeChatChunks } from '../../apis/openai-chat/events'
import type { OpenAIRequest } from '../../apis/openai-chat/wire'
import type { Pair } from '../pair'
import { toGeminiRequest } from './request'
import { toOpenAIResponse } from './response'
import { type ChatStreamState, createChatStreamState, failChat, finishChat, onEvent } from './stream'

interface Context {
  model: string
  includeUsage: boolean
}

export const chatOverGemini = {
  upstream: 'gemini',
  request: (req, _options) => ({
    body: toGeminiRequest(req),
    context: { model: req.model, includeUsage: req.stream_options?.include_usage === true },
  }),
  response: (answer, context) => toOpenAIResponse(answer, context),
  stream: {
    start: (context) => createChatStreamState(context),
    // Gemini has no end marker; `[DONE]` is taken as one all the same.
    push: (data, state) => (data === DONE ? finishStream(state) : encodeChatChunks(onEvent(JSON.parse(data), state))),
    finish: (state) => finishStream(state),
    fail: (state, message) => encodeChatChunks(failChat(state, message)),
  },
} satisfies Pair<OpenAIRequest, Context, ChatStreamState>

function finishStream(state: ChatStreamState): string {
  return state.finished ? '' : encodeChatChunks(finishChat(state), true)
}
