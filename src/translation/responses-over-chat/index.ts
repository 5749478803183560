/**
 * A Responses client (Codex...) served by a Chat Completions upstream: the
 * pair, in the shape every pair has. Chat is the pivot: Responses →
 * Messages goes through it too (responses-over-messages/).
 */
import { encodeResponsesEvents } from '../../apis/openai-responses/events'
import type { ResponsesRequest } from '../../apis/openai-responses/wire'
import { DONE } from '../../apis/openai-chat/events'
import type { Pair } from '../pair'
import { toChatRequest } from './request'
import { toResponse, type ResponseOptions } from './response'
import { createResponsesStreamState, failStream, finish, onChunk, type ResponsesStreamState } from './stream'
import { responsesTextDelta } from './text-delta'

export const responsesOverChat: Pair<ResponsesRequest, ResponseOptions, ResponsesStreamState> = {
  upstream: 'chat',
  request(req, { model, keep }) {
    const { request, tools } = toChatRequest(req, { model })
    return { body: request, context: { model: req.model, tools, request: req, keep } }
  },
  response: (answer, context) => toResponse(answer, context),
  stream: {
    start: (context) => createResponsesStreamState(context),
    push: (data, state) =>
      data === DONE ? '' : (responsesTextDelta(data, state) ?? encodeResponsesEvents(onChunk(JSON.parse(data), state))),
    finish: (state) => encodeResponsesEvents(finish(state)),
    fail: (state, message) => encodeResponsesEvents(failStream(state, message, 'upstream_stream_error')),
  },
}
