/**
 * The one shape every translation pair has: how a request in the client's
 * API becomes the upstream's, and how the upstream's answer (whole or
 * streamed) becomes the client's again. Each pair's insides are pure
 * functions in its own folder; this is only how they are reached.
 */
import type { WireApi } from '../apis'
import type { ResponseKeep } from '../apis/openai-responses/kept'

/** What every pair is told of the call it translates. */
export interface TranslateOptions {
  /** The model name the upstream knows. */
  model: string
  /** A rough count of the request's input tokens, for a stream that must say it before the upstream does. */
  inputTokens: number
  /** Whether the client streams: Gemini's says it by the URL's method, not in its body. */
  stream: boolean
  /** A Responses client's answer that lmlb keeps (proxy/kept-responses.ts). */
  keep?: ResponseKeep
}

export interface Pair<Req, Context, State> {
  /** The API the upstream speaks. */
  upstream: WireApi
  /** The client's request as the upstream's API says it, and what the way back needs to know of it. */
  request(req: Req, options: TranslateOptions): { body: object; context: Context }
  /** A whole answer, as the client's API says it. */
  response(answer: any, context: Context): object
  stream: StreamTranslator<Context, State>
}

/** A stream translated one upstream event at a time; each step returns the client's SSE text for it ('' for none). */
export interface StreamTranslator<Context, State> {
  start(context: Context): State
  /** One upstream event's data (a JSON text, or `[DONE]`). */
  push(data: string, state: State): string
  /** The upstream's stream ended. */
  finish(state: State): string
  /** It broke, or sent what cannot be read: the client's stream ends with an error. */
  fail(state: State, message: string): string
}
