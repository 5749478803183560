/** An Anthropic client (Claude Code...) served by a Chat Completions upstream: the pair, in the shape every pair has. */
import { encodeAnthropicEvents } from '../../apis/anthropic-messages/events'
import type { AnthropicRequest } from '../../apis/anthropic-messages/wire'
import { DONE } from '../../apis/openai-chat/events'
import type { Pair } from '../pair'
import { toOpenAIRequest } from './request'
import { toAnthropicResponse } from './response'
import { createStreamState, failStream, finish, onChunk, type StreamState } from './stream'
import { textDeltaEvent } from './text-delta'

interface Context {
  model: string
  stopSequences?: string[]
  inputTokensEstimate: number
}

export const messagesOverChat: Pair<AnthropicRequest, Context, StreamState> = {
  upstream: 'chat',
  request: (req, { model, inputTokens }) => ({
    body: toOpenAIRequest(req, { model }),
    context: { model: req.model, stopSequences: req.stop_sequences, inputTokensEstimate: inputTokens },
  }),
  response: (answer, context) => toAnthropicResponse(answer, context),
  stream: {
    start: (context) => createStreamState(context),
    push: (data, state) =>
      data === DONE
        ? encodeAnthropicEvents(finish(state))
        : (textDeltaEvent(data, state) ?? encodeAnthropicEvents(onChunk(JSON.parse(data), state))),
    finish: (state) => encodeAnthropicEvents(finish(state)),
    fail: (state, message) => encodeAnthropicEvents(failStream(state, message)),
  },
}
