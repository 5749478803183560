/**
 * A Gemini client (Gemini CLI, Google's SDKs) served by an Anthropic
 * upstream, through the Chat pivot both ways: Gemini → Chat → Messages for
 * the request; Anthropic events → Chat chunks → Gemini events for the answer.
 */
import type { AnthropicEvent } from '../../apis/anthropic-messages/wire'
import type { GeminiRequest } from '../../apis/gemini/wire'
import type { OpenAIChunk, OpenAIRequest } from '../../apis/openai-chat/wire'
import { toAnthropicRequest } from '../chat-over-messages/request'
import { toOpenAIResponse } from '../chat-over-messages/response'
import { createReverseStreamState, finishReverse, onEvent, type ReverseStreamState } from '../chat-over-messages/stream'
import { toChatRequest } from '../gemini-over-chat/request'
import { type ResponseOptions, toGeminiResponse } from '../gemini-over-chat/response'
import {
  createGeminiStreamState,
  encodeGeminiEvents,
  failStream,
  finish,
  type GeminiStreamState,
  onChunk,
} from '../gemini-over-chat/stream'
import type { Pair } from '../pair'

interface State {
  chunks: ReverseStreamState
  events: GeminiStreamState
}

export const geminiOverMessages: Pair<GeminiRequest, ResponseOptions, State> = {
  upstream: 'messages',
  request(req, { model, stream }) {
    // Gemini says streaming in its URL: the Chat request takes it from the options, and Messages' `stream` from the Chat one.
    const request = toChatRequest(req, { model, stream })
    // Thinking in a tool loop needs the earlier turns' signed thinking blocks back, which a translated history lacks (Anthropic refuses it).
    if (request.messages.some((m) => m.tool_calls?.length)) delete (request as OpenAIRequest).reasoning_effort
    return {
      body: toAnthropicRequest(request, { model }),
      // The client's model is in its URL, which the upstream model stands in for.
      context: { model, includeThoughts: req.generationConfig?.thinkingConfig?.includeThoughts === true },
    }
  },
  response: (answer, context) => toGeminiResponse(toOpenAIResponse(answer, { model: context.model }), context),
  stream: {
    start: (context) => ({
      // The usage chunk is always asked for: Gemini's last event carries the usage.
      chunks: createReverseStreamState({ model: context.model, includeUsage: true }),
      events: createGeminiStreamState(context),
    }),
    // An Anthropic error event comes out as a chunk holding `error`: the Gemini stream ends with Google's error object.
    push: (data, s) =>
      encodeGeminiEvents(onEvent(JSON.parse(data) as AnthropicEvent, s.chunks).flatMap((c) => onChunk(c as OpenAIChunk, s.events))),
    finish: (s) => encodeGeminiEvents([...finishReverse(s.chunks).flatMap((c) => onChunk(c, s.events)), ...finish(s.events)]),
    fail: (s, message) => encodeGeminiEvents(failStream(s.events, message)),
  },
}
