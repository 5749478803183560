/**
 * Cross-format calls: the request rewritten for the upstream's API, and
 * its answer (JSON, SSE stream or error) rewritten for the client's. The
 * mappings themselves are pure functions in src/translation/; this module
 * only moves bytes through them.
 */
import { encodeAnthropicEvents } from '../apis/anthropic-messages/events'
import { DONE, encodeChatChunks } from '../apis/openai-chat/events'
import { encodeResponsesEvents } from '../apis/openai-responses/events'
import { SseDecoder } from '../sse/decode'
import { toOpenAIRequest, type OpenAIProvider } from './messages-over-chat/request'
import { toAnthropicResponse } from './messages-over-chat/response'
import { createStreamState, failStream, finish, onChunk } from './messages-over-chat/stream'
import { textDeltaEvent } from './messages-over-chat/text-delta'
import { translateError } from './errors'
import { toAnthropicRequest } from './chat-over-messages/request'
import { toOpenAIResponse } from './chat-over-messages/response'
import { createReverseStreamState, finishReverse, onEvent } from './chat-over-messages/stream'
import { textChunk } from './chat-over-messages/text-delta'
import type { AnthropicEvent, AnthropicRequest } from '../apis/anthropic-messages/wire'
import type { OpenAIChunk } from '../apis/openai-chat/wire'
import type { ResponsesRequest } from '../apis/openai-responses/wire'
import { takesReasoningEffort } from './models'
import { toChatRequest } from './responses-over-chat/request'
import { toResponse } from './responses-over-chat/response'
import { responsesTextDelta } from './responses-over-chat/text-delta'
import {
  createResponsesStreamState,
  failStream as failResponses,
  finish as finishResponses,
  onChunk as onResponsesChunk,
} from './responses-over-chat/stream'
import type { OpenAIRequest } from '../apis/openai-chat/wire'
import { byteStream, sourceOf } from '../upstream/byte-stream'
import { tooDeep, TooDeepError } from '../util/json-depth'
import type { ApiCall } from '../upstream/paths'

export interface Translation {
  call: ApiCall
  body: string
  /** The upstream's answer as the client's API says it. */
  toClient(response: Response): Promise<Response>
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }
const encoder = new TextEncoder()

/** An Anthropic client (Claude Code...) served by an OpenAI-format model. */
export function anthropicClientOnOpenAI(
  req: AnthropicRequest,
  upstreamModel: string,
  provider: OpenAIProvider,
  inputTokensEstimate: number,
): Translation {
  return {
    call: 'chatCompletions',
    body: JSON.stringify(toOpenAIRequest(req, { model: upstreamModel, provider })),
    async toClient(response) {
      if (!response.ok) return errorFor(response, 'anthropic')
      if (!isSse(response)) {
        return Response.json(toAnthropicResponse(await answerOf(response), { model: req.model, stopSequences: req.stop_sequences }), {
          headers: keptHeaders(response),
        })
      }
      const state = createStreamState({ model: req.model, stopSequences: req.stop_sequences, inputTokensEstimate })
      return transformSse(response, {
        onEvent: (data) =>
          data === DONE
            ? encodeAnthropicEvents(finish(state))
            : (textDeltaEvent(data, state) ?? encodeAnthropicEvents(onChunk(JSON.parse(data), state))),
        onEnd: () => encodeAnthropicEvents(finish(state)),
        onBroken: (message) => encodeAnthropicEvents(failStream(state, message)),
      })
    },
  }
}

/** An OpenAI client served by an Anthropic model. */
export function openaiClientOnAnthropic(req: OpenAIRequest, upstreamModel: string): Translation {
  return {
    call: 'messages',
    body: JSON.stringify(toAnthropicRequest(req, { model: upstreamModel })),
    async toClient(response) {
      if (!response.ok) return errorFor(response, 'openai')
      if (!isSse(response))
        return Response.json(toOpenAIResponse(await answerOf(response), { model: req.model }), { headers: keptHeaders(response) })
      const state = createReverseStreamState({ model: req.model, includeUsage: req.stream_options?.include_usage === true })
      return transformSse(response, {
        onEvent: (data) => {
          const text = textChunk(data, state)
          if (text !== undefined) return text
          const event = JSON.parse(data) as AnthropicEvent
          const chunks = onEvent(event, state)
          return encodeChatChunks(chunks, event.type === 'message_stop')
        },
        onEnd: () => (state.finished ? '' : encodeChatChunks(finishReverse(state), true)),
        onBroken: (message) =>
          state.finished
            ? ''
            : ((state.finished = true), encodeChatChunks([{ error: { message, type: 'api_error', code: 'upstream_stream_error' } }])),
      })
    },
  }
}

/**
 * A Responses client (Codex...) served by a Chat Completions upstream.
 * Chat is the pivot: `chat` is the request as Chat Completions, and the
 * answer comes back through the Chat → Responses mappings.
 */
export function responsesClientOnChat(req: ResponsesRequest, upstreamModel: string): Translation {
  const { request: chat, tools } = toChatRequest(req, { model: upstreamModel })
  // Codex always sends an effort; Chat servers refuse reasoning_effort for models that do not reason (as messages-over-chat knows them).
  if (!takesReasoningEffort(upstreamModel)) delete chat.reasoning_effort
  return {
    call: 'chatCompletions',
    body: JSON.stringify(chat),
    async toClient(response) {
      if (!response.ok) return errorFor(response, 'openai')
      const opts = { model: req.model, tools, request: req }
      if (!isSse(response)) return Response.json(toResponse(await answerOf(response), opts), { headers: keptHeaders(response) })
      const state = createResponsesStreamState(opts)
      return transformSse(response, {
        onEvent: (data) =>
          data === DONE ? '' : (responsesTextDelta(data, state) ?? encodeResponsesEvents(onResponsesChunk(JSON.parse(data), state))),
        onEnd: () => encodeResponsesEvents(finishResponses(state)),
        onBroken: (message) => encodeResponsesEvents(failResponses(state, message, 'upstream_stream_error')),
      })
    },
  }
}

/**
 * A Responses client (Codex on Claude) served by an Anthropic upstream,
 * through the Chat pivot both ways: Responses → Chat → Messages for the
 * request; Anthropic events → Chat chunks → Responses events for the answer.
 */
export function responsesClientOnAnthropic(req: ResponsesRequest, upstreamModel: string): Translation {
  const { request: chat, tools } = toChatRequest(req, { model: upstreamModel })
  // Thinking in a tool loop needs the earlier turns' signed thinking blocks back, which a translated history lacks (Anthropic refuses it).
  if (chat.messages.some((m) => m.tool_calls?.length)) delete chat.reasoning_effort
  return {
    call: 'messages',
    body: JSON.stringify(toAnthropicRequest(chat, { model: upstreamModel })),
    async toClient(response) {
      if (!response.ok) return errorFor(response, 'openai')
      const opts = { model: req.model, tools, request: req }
      if (!isSse(response))
        return Response.json(toResponse(toOpenAIResponse(await answerOf(response), { model: req.model }), opts), {
          headers: keptHeaders(response),
        })
      const chunks = createReverseStreamState({ model: req.model, includeUsage: true })
      const state = createResponsesStreamState(opts)
      // An Anthropic error event comes out as a chunk holding `error`: the Responses stream fails on it.
      const relay = (chunk: object) => onResponsesChunk(chunk as OpenAIChunk, state)
      return transformSse(response, {
        onEvent: (data) => encodeResponsesEvents(onEvent(JSON.parse(data) as AnthropicEvent, chunks).flatMap(relay)),
        onEnd: () => encodeResponsesEvents([...finishReverse(chunks).flatMap(relay), ...finishResponses(state)]),
        onBroken: (message) => encodeResponsesEvents(failResponses(state, message, 'upstream_stream_error')),
      })
    },
  }
}

/** The upstream's JSON answer, bounded in depth like a request before it is rebuilt and serialised (deeper: a 502). */
async function answerOf(response: Response): Promise<any> {
  const answer = await response.json()
  if (tooDeep(answer)) throw new TooDeepError('the upstream answer')
  return answer
}

async function errorFor(response: Response, to: 'anthropic' | 'openai'): Promise<Response> {
  const { status, body } = translateError(response.status, await response.text(), to)
  const headers = keptHeaders(response)
  headers.set('content-type', 'application/json')
  return Response.json(body, { status, headers })
}

function isSse(response: Response): boolean {
  return response.headers.get('content-type')?.includes('text/event-stream') ?? false
}

/** The upstream's headers that still hold once the body is rewritten (request ids, rate limits). */
function keptHeaders(response: Response): Headers {
  const headers = new Headers(response.headers)
  headers.delete('content-type')
  headers.delete('content-length')
  return headers
}

interface SseTransform {
  /** One upstream event's data → what the client gets for it (may be ''). */
  onEvent(data: string): string
  /** The upstream stream ended. */
  onEnd(): string
  /** The upstream stream broke, or sent what cannot be read. */
  onBroken(message: string): string
}

/** Decodes the upstream's SSE as it arrives and writes the client's, event by event, nothing held back. */
function transformSse(response: Response, t: SseTransform): Response {
  const source = sourceOf(response.body!)
  const decoder = new SseDecoder()
  let ended = false
  const body = byteStream({
    async next() {
      // Until something goes out: an upstream read may make no event yet.
      while (!ended) {
        let out = ''
        try {
          const value = await source.next()
          const done = value === null
          for (const e of done ? decoder.end() : decoder.push(value)) out += t.onEvent(e.data)
          if (done) {
            out += t.onEnd()
            ended = true
          }
        } catch (error) {
          out += t.onBroken(
            error instanceof SyntaxError ? `unreadable upstream event: ${error.message}` : String((error as Error)?.message ?? error),
          )
          ended = true
          void Promise.resolve(source.cancel()).catch(() => {})
        }
        if (out !== '') return encoder.encode(out)
      }
      return null
    },
    cancel: (reason) => source.cancel(reason),
  })
  const headers = keptHeaders(response)
  for (const [k, v] of Object.entries(SSE_HEADERS)) headers.set(k, v)
  return new Response(body, { status: response.status, headers })
}
