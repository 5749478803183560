/**
 * Which pair serves a client on an upstream of another API (the table), and
 * the way back every pair shares: an error in the client's error shape, a
 * whole answer rebuilt, a stream decoded and re-encoded event by event.
 * The pairs themselves are pure, each in its folder; same-API traffic never
 * comes here.
 */
import type { WireApi } from '../apis'
import { SseDecoder } from '../sse/decode'
import type { ByteSource, StreamFactory } from '../upstream/byte-stream'
import type { UpstreamAnswer } from '../upstream/send'
import { TooDeepError, tooDeep } from '../util/json-depth'
import { chatOverGemini } from './chat-over-gemini'
import { chatOverMessages } from './chat-over-messages'
import { translateError } from './errors'
import { geminiOverChat } from './gemini-over-chat'
import { geminiOverMessages } from './gemini-over-messages'
import { messagesOverChat } from './messages-over-chat'
import { messagesOverGemini } from './messages-over-gemini'
import type { Pair, StreamTranslator, TranslateOptions } from './pair'
import { responsesOverChat } from './responses-over-chat'
import { responsesOverGemini } from './responses-over-gemini'
import { responsesOverMessages } from './responses-over-messages'

/** Client API → upstream API → the pair between them: each upstream API every other client reaches (through Chat where it is neither). */
const PAIRS: { [C in WireApi]?: { [U in WireApi]?: Pair<any, any, any> } } = {
  messages: { chat: messagesOverChat, gemini: messagesOverGemini },
  chat: { messages: chatOverMessages, gemini: chatOverGemini },
  responses: { chat: responsesOverChat, messages: responsesOverMessages, gemini: responsesOverGemini },
  gemini: { chat: geminiOverChat, messages: geminiOverMessages },
}

export function pairOf(client: WireApi, upstream: WireApi): Pair<unknown, unknown, unknown> | undefined {
  return PAIRS[client]?.[upstream]
}

/** An upstream's answer → the client's response. */
export type WayBack = (answer: UpstreamAnswer) => Promise<Response>

/** A request translated by `pair` (the client's body, checked by its endpoint's schema), and the way back for its answer. */
export function translate<Req>(
  pair: Pair<Req, unknown, unknown>,
  client: WireApi,
  req: Req,
  options: TranslateOptions,
  streams: StreamFactory,
): { body: object; back: WayBack } {
  const { body, context } = pair.request(req, options)
  const back: WayBack = async (answer) => {
    if (answer.status < 200 || answer.status >= 300) return errorFor(answer, client)
    if (answer.source) return streamed(answer, answer.source, pair.stream, context, streams)
    return Response.json(pair.response(answerOf(answer), context), { status: answer.status, headers: keptHeaders(answer) })
  }
  return { body, back }
}

/** The upstream's JSON answer, bounded in depth like a request before it is rebuilt and serialised (deeper: a 502). */
function answerOf(answer: UpstreamAnswer): unknown {
  const parsed = JSON.parse(textOf(answer))
  if (tooDeep(parsed)) throw new TooDeepError('the upstream answer')
  return parsed
}

const utf8 = new TextDecoder()
const textOf = (answer: UpstreamAnswer) => (answer.bytes ? utf8.decode(answer.bytes) : '')

function errorFor(answer: UpstreamAnswer, to: WireApi): Response {
  const { status, body } = translateError(answer.status, textOf(answer), to)
  const headers = keptHeaders(answer)
  headers.set('content-type', 'application/json')
  return Response.json(body, { status, headers })
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }

/** The upstream's headers that still hold once the body is rewritten (request ids, rate limits). */
function keptHeaders(answer: UpstreamAnswer): Headers {
  const headers = new Headers(answer.headers)
  headers.delete('content-type')
  headers.delete('content-length')
  return headers
}

function streamed<Context, State>(
  answer: UpstreamAnswer,
  source: ByteSource,
  t: StreamTranslator<Context, State>,
  context: Context,
  streams: StreamFactory,
): Response {
  const headers = keptHeaders(answer)
  for (const [k, v] of Object.entries(SSE_HEADERS)) headers.set(k, v)
  return new Response(streams(translatedSource(source, t, t.start(context))), { status: answer.status, headers })
}

const encoder = new TextEncoder()

/** Decodes the upstream's SSE as it arrives and gives the client's, event by event, nothing held back. */
function translatedSource<State>(source: ByteSource, t: StreamTranslator<unknown, State>, state: State): ByteSource {
  const decoder = new SseDecoder()
  let ended = false
  return {
    async next() {
      // Until something goes out: an upstream read may make no event yet.
      while (!ended) {
        let out = ''
        try {
          const value = await source.next()
          const done = value === null
          for (const e of done ? decoder.end() : decoder.push(value)) out += t.push(e.data, state)
          if (done) {
            out += t.finish(state)
            ended = true
          }
        } catch (error) {
          out += t.fail(
            state,
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
  }
}
