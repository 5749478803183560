/**
 * The requests a test sends to lmlb, the reading of an SSE answer, and the
 * pieces of the streams a stand-in upstream answers with, written once for
 * every test file. The options keep what the files' own copies did
 * differently (a header left out, a `logprobs` field, a stream's id).
 */
import { SseDecoder, type SseEvent } from '../../src/sse/decode'
import type { OpenAIChunk } from '../../src/apis/openai-chat/wire'

// -- To lmlb

/** Request headers; one set to undefined is not sent (a default dropped). */
export type RequestHeaders = Record<string, string | undefined>

/** POSTs `body` (an object as JSON, a string or bytes as they are) to `url + path`, as application/json unless `headers` say otherwise. */
export function post(
  url: string,
  path: string,
  body: object | string | Uint8Array<ArrayBuffer>,
  headers: RequestHeaders = {},
): Promise<Response> {
  const sent: Record<string, string> = {}
  for (const [name, value] of Object.entries({ 'content-type': 'application/json', ...headers }))
    if (value !== undefined) sent[name] = value
  const raw = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body)
  return fetch(`${url}${path}`, { method: 'POST', headers: sent, body: raw })
}

export interface ChatOptions {
  /** The user message's text when the body is built from a model name (default 'hi'). */
  content?: string
  /** `stream` in a body built from a model name; left out when undefined. */
  stream?: boolean
  /** A client key, sent as `Authorization: Bearer <key>`. */
  key?: string
  headers?: RequestHeaders
}

/** A Chat Completions request: `request` as the body, or, for a model name (default gpt-4o), one user message. */
export function chat(
  url: string,
  request: object | string = 'gpt-4o',
  { content = 'hi', stream, key, headers }: ChatOptions = {},
): Promise<Response> {
  const body =
    typeof request === 'string'
      ? { model: request, messages: [{ role: 'user', content }], ...(stream === undefined ? {} : { stream }) }
      : request
  return post(url, '/v1/chat/completions', body, key === undefined ? headers : { authorization: `Bearer ${key}`, ...headers })
}

/** An Anthropic Messages request, with `anthropic-version`; `search` is appended to the path (`?beta=true`). */
export function messages(
  url: string,
  body: object | string,
  { headers = {}, search = '' }: { headers?: RequestHeaders; search?: string } = {},
): Promise<Response> {
  return post(url, `/v1/messages${search}`, body, { 'anthropic-version': '2023-06-01', ...headers })
}

/** A Responses API request. */
export function responses(url: string, body: object | string, headers: RequestHeaders = {}): Promise<Response> {
  return post(url, '/v1/responses', body, headers)
}

/** A JSON answer's status and parsed body. */
export async function statusAndJson(response: Response): Promise<{ status: number; body: any }> {
  return { status: response.status, body: await response.json() }
}

/** An SSE body's events ({event, data}), by lmlb's own decoder. */
export function sseEvents(text: string): SseEvent[] {
  const decoder = new SseDecoder()
  return [...decoder.push(text), ...decoder.end()]
}

// -- From a stand-in upstream

export const SSE_HEADERS = { 'content-type': 'text/event-stream' }

/** A 200 event stream holding `text`. */
export function sseResponse(text: string): Response {
  return new Response(text, { headers: SSE_HEADERS })
}

/** One SSE event: an `event:` line when named, then `data` as it is when a string, else as JSON. */
export function sseEvent(event: string | undefined, data: unknown): string {
  return `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`
}

/** An Anthropic Messages stream event: `event: <type>`, the data `{type, ...data}`. */
export function anthropicEvent(type: string, data: object = {}): string {
  return sseEvent(type, { type, ...data })
}

/** A Chat Completions stream body: each chunk a `data:` line, then `data: [DONE]` unless `done` is false. */
export function chatStreamText(chunks: object[], done = true): string {
  return chunks.map((c) => sseEvent(undefined, c)).join('') + (done ? sseEvent(undefined, '[DONE]') : '')
}

/** The same stream as a Response. */
export function chatStream(chunks: object[], done = true): Response {
  return sseResponse(chatStreamText(chunks, done))
}

/** A stream of events that carry their type (Anthropic Messages, Responses), each under `event: <type>`; `numbered` adds each one's `sequence_number`, as the Responses API does. */
export function typedEventStream(events: object[], { numbered = false } = {}): Response {
  const text = events.map((e, i) => sseEvent((e as { type: string }).type, numbered ? { ...e, sequence_number: i } : e))
  return sseResponse(text.join(''))
}

type ChunkHead = { id?: string; object?: string; created?: number; model?: string }
type Delta = NonNullable<OpenAIChunk['choices']>[number]['delta']

/**
 * The chunks of one Chat Completions stream: `head` (id, object, created,
 * model, in the order given) repeated in each, then one choice with
 * `delta` and `finish_reason`, and `logprobs: null` between them when asked
 * (OpenAI sends it; not every stand-in does).
 */
export function chatChunks(head: ChunkHead, { logprobs = false } = {}) {
  return (delta: Delta, finish_reason: string | null = null) =>
    ({ ...head, choices: [{ index: 0, delta, ...(logprobs ? { logprobs: null } : {}), finish_reason }] }) as OpenAIChunk
}
