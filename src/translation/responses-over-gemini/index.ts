/**
 * A Responses client (Codex on Gemini) served by a Gemini-format upstream,
 * through the Chat pivot both ways: Responses → Chat → Gemini for the
 * request; Gemini events → Chat chunks → Responses events for the answer.
 *
 * The Chat request is fitted to the Gemini model as the caller fits one for
 * a Chat upstream (providers/models.ts): its output cap, and its reasoning
 * effort only for a model that thinks. A functionCall's thoughtSignature
 * rides in its call_id (`<id>__thought__<signature>`), which Codex sends
 * back: thinking stays on in a tool loop, unlike on Anthropic.
 */
import type { GenerateContentResponse } from '../../apis/gemini/wire'
import { DONE } from '../../apis/openai-chat/events'
import type { OpenAIChunk, OpenAIRequest } from '../../apis/openai-chat/wire'
import { encodeResponsesEvents } from '../../apis/openai-responses/events'
import type { ResponsesRequest } from '../../apis/openai-responses/wire'
import { geminiNative } from '../../providers/gemini-native'
import { fitTranslatedChat } from '../../providers/models'
import { toGeminiRequest } from '../chat-over-gemini/request'
import { toOpenAIResponse } from '../chat-over-gemini/response'
import { type ChatStreamState, createChatStreamState, finishChat, onEvent } from '../chat-over-gemini/stream'
import type { Pair } from '../pair'
import { toChatRequest } from '../responses-over-chat/request'
import { type ResponseOptions, toResponse } from '../responses-over-chat/response'
import { createResponsesStreamState, failStream, finish, onChunk, type ResponsesStreamState } from '../responses-over-chat/stream'

interface State {
  chunks: ChatStreamState
  events: ResponsesStreamState
}

export const responsesOverGemini: Pair<ResponsesRequest, ResponseOptions, State> = {
  upstream: 'gemini',
  request(req, { model, keep }) {
    const { request, tools } = toChatRequest(req, { model })
    fitForGemini(request, model)
    return { body: toGeminiRequest(request), context: { model: req.model, tools, request: req, keep } }
  },
  response: (answer, context) => toResponse(toOpenAIResponse(answer, { model: context.model }), context),
  stream: {
    start: (context) => ({
      // The usage chunk is always asked for: response.completed carries the usage.
      chunks: createChatStreamState({ model: context.model, includeUsage: true }),
      events: createResponsesStreamState(context),
    }),
    // Gemini has no end marker; `[DONE]` is taken as one all the same. An error event becomes an error chunk, then response.failed.
    push: (data, s) =>
      data === DONE
        ? finishBoth(s)
        : encodeResponsesEvents(
            onEvent(JSON.parse(data) as GenerateContentResponse, s.chunks).flatMap((c) => onChunk(c as OpenAIChunk, s.events)),
          ),
    finish: (s) => finishBoth(s),
    fail: (s, message) => encodeResponsesEvents(failStream(s.events, message, 'upstream_stream_error')),
  },
}

/**
 * Codex's effort as a Gemini model takes it: `xhigh` (no Gemini budget) as
 * `high`, none at all for a model that does not think, and the output cap
 * within the model's limit (Gemini refuses more).
 */
function fitForGemini(request: OpenAIRequest, model: string): void {
  if ((request.reasoning_effort as string | undefined) === 'xhigh') request.reasoning_effort = 'high'
  fitTranslatedChat(request, model, geminiNative)
}

function finishBoth(s: State): string {
  return encodeResponsesEvents([...finishChat(s.chunks).flatMap((c) => onChunk(c as OpenAIChunk, s.events)), ...finish(s.events)])
}
