/**
 * An Anthropic client (Claude Code...) served by a Gemini-format upstream,
 * through the Chat pivot both ways: Messages → Chat → Gemini for the
 * request; Gemini events → Chat chunks → Anthropic events for the answer.
 *
 * No fitting is needed on the way (the caller fits only Chat upstreams):
 * messages-over-chat already caps max_tokens at the Gemini model's output
 * limit and sends a reasoning effort only to models that think
 * (providers/models.ts), and chat-over-gemini cleans tool schemas of the
 * keywords Gemini refuses. A functionCall's thoughtSignature rides in its
 * tool_use id (`<id>__thought__<signature>`) and goes back on the next turn.
 */
import { encodeAnthropicEvents } from '../../apis/anthropic-messages/events'
import type { AnthropicRequest } from '../../apis/anthropic-messages/wire'
import type { GenerateContentResponse } from '../../apis/gemini/wire'
import { DONE } from '../../apis/openai-chat/events'
import type { OpenAIChunk } from '../../apis/openai-chat/wire'
import { toGeminiRequest } from '../chat-over-gemini/request'
import { toOpenAIResponse } from '../chat-over-gemini/response'
import { type ChatStreamState, createChatStreamState, finishChat, onEvent } from '../chat-over-gemini/stream'
import { toOpenAIRequest } from '../messages-over-chat/request'
import { toAnthropicResponse } from '../messages-over-chat/response'
import { createStreamState, failStream, finish, onChunk, type StreamState } from '../messages-over-chat/stream'
import type { Pair } from '../pair'

interface Context {
  model: string
  stopSequences?: string[]
  inputTokensEstimate: number
}

interface State {
  chunks: ChatStreamState
  events: StreamState
}

export const messagesOverGemini: Pair<AnthropicRequest, Context, State> = {
  upstream: 'gemini',
  request: (req, { model, inputTokens }) => ({
    body: toGeminiRequest(toOpenAIRequest(req, { model })),
    context: { model: req.model, stopSequences: req.stop_sequences, inputTokensEstimate: inputTokens },
  }),
  response: (answer, context) => toAnthropicResponse(toOpenAIResponse(answer, { model: context.model }), context),
  stream: {
    start: (context) => ({
      // The usage chunk is always asked for: message_delta carries the usage.
      chunks: createChatStreamState({ model: context.model, includeUsage: true }),
      events: createStreamState(context),
    }),
    // Gemini has no end marker; `[DONE]` is taken as one all the same. An error event becomes an error chunk, then Anthropic's `error`.
    push: (data, s) =>
      data === DONE
        ? finishBoth(s)
        : encodeAnthropicEvents(
            onEvent(JSON.parse(data) as GenerateContentResponse, s.chunks).flatMap((c) => onChunk(c as OpenAIChunk, s.events)),
          ),
    finish: (s) => finishBoth(s),
    fail: (s, message) => encodeAnthropicEvents(failStream(s.events, message)),
  },
}

function finishBoth(s: State): string {
  return encodeAnthropicEvents([...finishChat(s.chunks).flatMap((c) => onChunk(c as OpenAIChunk, s.events)), ...finish(s.events)])
}
