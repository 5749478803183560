/**
 * A Responses client (Codex on Claude) served by an Anthropic upstream,
 * through the Chat pivot both ways: Responses → Chat → Messages for the
 * request; Anthropic events → Chat chunks → Responses events for the answer.
 */
import type { AnthropicEvent } from '../../apis/anthropic-messages/wire'
import type { OpenAIChunk, OpenAIRequest } from '../../apis/openai-chat/wire'
import { encodeResponsesEvents } from '../../apis/openai-responses/events'
import type { ResponsesRequest } from '../../apis/openai-responses/wire'
import { toAnthropicRequest } from '../chat-over-messages/request'
import { toOpenAIResponse } from '../chat-over-messages/response'
import { createReverseStreamState, finishReverse, onEvent, type ReverseStreamState } from '../chat-over-messages/stream'
import type { Pair } from '../pair'
import { toChatRequest } from '../responses-over-chat/request'
import { toResponse, type ResponseOptions } from '../responses-over-chat/response'
import { createResponsesStreamState, failStream, finish, onChunk, type ResponsesStreamState } from '../responses-over-chat/stream'

interface State {
  chunks: ReverseStreamState
  events: ResponsesStreamState
}

export const responsesOverMessages: Pair<ResponsesRequest, ResponseOptions, State> = {
  upstream: 'messages',
  request(req, { model, keep }) {
    const { request, tools } = toChatRequest(req, { model })
    // Thinking in a tool loop needs the earlier turns' signed thinking blocks back, which a translated history lacks (Anthropic refuses it).
    if (request.messages.some((m) => m.tool_calls?.length)) delete (request as OpenAIRequest).reasoning_effort
    return { body: toAnthropicRequest(request, { model }), context: { model: req.model, tools, request: req, keep } }
  },
  response: (answer, context) => toResponse(toOpenAIResponse(answer, { model: context.model }), context),
  stream: {
    start: (context) => ({
      chunks: createReverseStreamState({ model: context.model, includeUsage: true }),
      events: createResponsesStreamState(context),
    }),
    // An Anthropic error event comes out as a chunk holding `error`: the Responses stream fails on it.
    push: (data, s) =>
      encodeResponsesEvents(onEvent(JSON.parse(data) as AnthropicEvent, s.chunks).flatMap((c) => onChunk(c as OpenAIChunk, s.events))),
    finish: (s) => encodeResponsesEvents([...finishReverse(s.chunks).flatMap((c) => onChunk(c, s.events)), ...finish(s.events)]),
    fail: (s, message) => encodeResponsesEvents(failStream(s.events, message, 'upstream_stream_error')),
  },
}
