/**
 * Stand-ins for OpenAI- and Anthropic-format upstreams on 127.0.0.1: they
 * record what they receive and answer as told (by default, a short canned
 * reply in their own format naming which upstream answered).
 */
import { anthropicMessage, anthropicStream, openaiCompletion, openaiStream, responsesAnswer, responsesStream } from './canned'

export interface Received {
  method: string
  path: string
  search: string
  headers: Record<string, string>
  /** The body as bytes arrived (decoded as text), and parsed when it is JSON. */
  raw: string
  /** The body's bytes, for one that is not text (a multipart upload). */
  bytes: Uint8Array
  body: any
}

export type UpstreamHandler = (received: Received, request: Request) => Response | Promise<Response>

export interface FakeUpstream {
  name: string
  /** Base URL as a user would configure it, ending at the version segment. */
  base: string
  received: Received[]
  handle(handler: UpstreamHandler): void
  /** Back to the first handler, with nothing received. */
  reset(): void
  stop(): Promise<void>
}

export function defaultReply(name: string): UpstreamHandler {
  return ({ path, body }) => {
    const text = `reply from ${name}`
    if (path.endsWith('/chat/completions')) return body.stream ? openaiStream(body.model, [text]) : openaiCompletion(body.model, text)
    if (path.endsWith('/responses')) return body.stream ? responsesStream(body.model, [text]) : responsesAnswer(body.model, text)
    if (path.endsWith('/messages')) return body.stream ? anthropicStream(body.model, [text]) : anthropicMessage(body.model, text)
    if (path.endsWith('/messages/count_tokens')) return Response.json({ input_tokens: 7 })
    const message = `no route ${path}`
    return path.includes('/messages')
      ? Response.json({ type: 'error', error: { type: 'not_found_error', message } }, { status: 404 })
      : Response.json({ error: { message, type: 'invalid_request_error', param: null, code: null } }, { status: 404 })
  }
}

export function startUpstream(name = 'upstream', handler?: UpstreamHandler): FakeUpstream {
  let current = handler ?? defaultReply(name)
  const received: Received[] = []
  const server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    idleTimeout: 0,
    async fetch(request) {
      const url = new URL(request.url)
      const bytes = new Uint8Array(await request.arrayBuffer())
      const text = new TextDecoder().decode(bytes)
      let body: unknown = text
      try {
        body = JSON.parse(text)
      } catch {}
      const entry = {
        method: request.method,
        path: url.pathname,
        search: url.search,
        headers: Object.fromEntries(request.headers),
        raw: text,
        bytes,
        body,
      }
      received.push(entry)
      return current(entry, request)
    },
  })
  return {
    name,
    base: `http://127.0.0.1:${server.port}/v1`,
    received,
    handle: (h) => {
      current = h
    },
    reset: () => {
      current = handler ?? defaultReply(name)
      received.length = 0
    },
    stop: () => server.stop(true),
  }
}
