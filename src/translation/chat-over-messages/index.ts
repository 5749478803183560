/** An OpenAI Chat client served by an Anthropic upstream: the pair, in the shape every pair has. */
import type { AnthropicEvent } from '../../apis/anthropic-messages/wire'
import { encodeChatChunks } from '../../apis/openai-chat/events'
import type { OpenAIRequest } from '../../apis/openai-chat/wire'
import type { Pair } from '../pair'
import { toAnthropicRequest } from './request'
import { toOpenAIResponse } from './response'
import { createReverseStreamState, finishReverse, onEvent, type ReverseStreamState } from './stream'
import { textChunk } from './text-delta'

interface Context {
  model: string
  includeUsage: boolean
}

export const chatOverMessages: Pair<OpenAIRequest, Context, ReverseStreamState> = {
  upstream: 'messages',
  request: (req, { model }) => ({
    body: toAnthropicRequest(req, { model }),
    context: { model: req.model, includeUsage: req.stream_options?.include_usage === true },
  }),
  response: (answer, context) => toOpenAIResponse(answer, context),
  stream: {
    start: (context) => createReverseStreamState(context),
    push(data, state) {
      const text = textChunk(data, state)
      if (text !== undefined) return text
      const event = JSON.parse(data) as AnthropicEvent
      return encodeChatChunks(onEvent(event, state), event.type === 'message_stop')
    },
    finish: (state) => (state.finished ? '' : encodeChatChunks(finishReverse(state), true)),
    fail(state, message) {
      if (state.finished) return ''
      state.finished = true
      return encodeChatChunks([{ error: { message, type: 'api_error', code: 'upstream_stream_error' } }])
    },
  },
}
