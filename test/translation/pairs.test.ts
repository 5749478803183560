/**
 * translation/pairs.ts: which pair serves a client on an upstream of another
 * API, and the way back every pair shares. An upstream error in the
 * client's error shape and status (Anthropic's 529 is an OpenAI client's
 * 503, and back), a whole answer rebuilt, a stream decoded and re-encoded
 * event by event from a ByteSource however its bytes are cut, and a stream
 * that breaks or sends what cannot be read ending with the pair's own
 * failure event rather than a silent cut.
 */
import { expect, test } from 'bun:test'
import type { WireApi } from '../../src/apis'
import { chatOverMessages } from '../../src/translation/chat-over-messages'
import { messagesOverChat } from '../../src/translation/messages-over-chat'
import { pairOf, translate } from '../../src/translation/pairs'
import { responsesOverChat } from '../../src/translation/responses-over-chat'
import { responsesOverMessages } from '../../src/translation/responses-over-messages'
import { type ByteSource, webStream } from '../../src/upstream/byte-stream'
import type { UpstreamAnswer } from '../../src/upstream/send'
import { anthropicStreamEvents, openaiStreamEvents } from '../helpers/canned'

const enc = new TextEncoder()
const OPTIONS = { model: 'upstream-model', inputTokens: 10, stream: true }
const ANTHROPIC_REQUEST = { model: 'claude-client', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }], stream: true }
const CHAT_REQUEST = { model: 'gpt-client', messages: [{ role: 'user', content: 'hi' }], stream: true }
const RESPONSES_REQUEST = { model: 'codex-client', input: 'hi', stream: true }

const REQUESTS: Partial<Record<WireApi, object>> = { messages: ANTHROPIC_REQUEST, chat: CHAT_REQUEST, responses: RESPONSES_REQUEST }

/** The way back for a client of `client` on an upstream of `upstream`. */
function wayBack(client: WireApi, upstream: WireApi) {
  return translate(pairOf(client, upstream)!, client, REQUESTS[client] as never, OPTIONS, webStream)
}

/** A byte source over SSE text cut into the given pieces, then an end, or a throw where `breakWith` says; cancels recorded. */
function sseSource(pieces: string[], breakWith?: Error) {
  const cancelled: unknown[] = []
  let i = 0
  const source: ByteSource = {
    async next() {
      if (i < pieces.length) return enc.encode(pieces[i++])
      if (breakWith) throw breakWith
      return null
    },
    cancel(reason) {
      cancelled.push(reason ?? 'no reason')
    },
  }
  return { source, cancelled }
}

/** Every piece of `text` at most `size` bytes: events split mid-line and mid-JSON. */
const cut = (text: string, size: number) =>
  Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size))

const answer = (status: number, body: string | undefined, headers: Record<string, string> = {}, source?: ByteSource): UpstreamAnswer => ({
  status,
  statusText: '',
  headers: new Headers(headers),
  bytes: body === undefined ? undefined : enc.encode(body),
  source,
})

/** The events of an SSE text: name (if any) and parsed data. */
function events(text: string): { event?: string; data: any }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1]
      const data = /^data: (.*)$/m.exec(block)![1]
      return { event, data: data === '[DONE]' ? data : JSON.parse(data) }
    })
}

test('the table: one pair for each client on an upstream of another API, none for the same API', () => {
  expect(pairOf('messages', 'chat')).toBe(messagesOverChat)
  expect(pairOf('chat', 'messages')).toBe(chatOverMessages)
  expect(pairOf('responses', 'chat')).toBe(responsesOverChat)
  expect(pairOf('responses', 'messages')).toBe(responsesOverMessages)
  // Every client reaches each upstream API of another (Chat, Messages, Gemini's).
  const clients = ['messages', 'chat', 'responses', 'gemini'] as const
  for (const client of clients)
    for (const upstream of ['chat', 'messages', 'gemini'] as const)
      expect([client, upstream, pairOf(client, upstream)?.upstream]).toEqual([client, upstream, client === upstream ? undefined : upstream])
  // No upstream is reached through the Responses API.
  for (const client of clients) expect(pairOf(client, 'responses')).toBeUndefined()
})

test("translate gives the upstream's request, naming the upstream's model", () => {
  const { body } = wayBack('messages', 'chat')
  expect(body).toMatchObject({ model: 'upstream-model', messages: [{ role: 'user', content: 'hi' }], stream: true })
  expect((wayBack('chat', 'messages').body as { model: string; max_tokens: number }).model).toBe('upstream-model')
})

test("an OpenAI upstream's 503 reaches an Anthropic client as 529 in Anthropic's shape, message and request id kept", async () => {
  const { back } = wayBack('messages', 'chat')
  const upstreamError = JSON.stringify({ error: { message: 'Service busy', type: 'server_error', code: null } })
  const response = await back(answer(503, upstreamError, { 'content-type': 'text/plain', 'x-request-id': 'req_9' }))
  expect(response.status).toBe(529)
  expect(response.headers.get('content-type')).toBe('application/json')
  expect(response.headers.get('x-request-id')).toBe('req_9')
  expect(await response.json()).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Service busy' } })
})

test("an Anthropic upstream's 529 reaches an OpenAI client as 503 in OpenAI's shape, its type as the code", async () => {
  const upstreamError = JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })
  for (const client of ['chat', 'responses'] as const) {
    const response = await wayBack(client, 'messages').back(answer(529, upstreamError))
    expect(response.status).toBe(503)
    expect(await response.json()).toEqual({ error: { message: 'Overloaded', type: 'server_error', param: null, code: 'overloaded_error' } })
  }
})

test('an error body that is not JSON is kept as the message; an empty one says the status', async () => {
  const plain = await wayBack('messages', 'chat').back(answer(502, 'Bad gateway from the proxy'))
  expect(plain.status).toBe(502)
  expect(await plain.json()).toEqual({ type: 'error', error: { type: 'api_error', message: 'Bad gateway from the proxy' } })
  const empty = await wayBack('chat', 'messages').back(answer(429, undefined))
  expect(empty.status).toBe(429)
  expect((await empty.json()).error).toMatchObject({ message: 'upstream answered 429', type: 'rate_limit_error' })
})

test("a whole answer is rebuilt in the client's API, the upstream's status and headers kept but its content type", async () => {
  const completion = {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 1,
    model: 'upstream-model',
    choices: [{ index: 0, message: { role: 'assistant', content: 'Hello there' }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
  }
  const response = await wayBack('messages', 'chat').back(
    answer(200, JSON.stringify(completion), { 'content-type': 'text/plain', 'x-ratelimit-remaining-requests': '41' }),
  )
  expect(response.status).toBe(200)
  expect(response.headers.get('content-type')).toStartWith('application/json')
  expect(response.headers.get('x-ratelimit-remaining-requests')).toBe('41')
  expect(await response.json()).toMatchObject({
    type: 'message',
    role: 'assistant',
    model: 'claude-client',
    content: [{ type: 'text', text: 'Hello there' }],
    stop_reason: 'end_turn',
    usage: { input_tokens: 5, output_tokens: 2 },
  })
})

test('an answer nested deeper than any request may be is refused, not rebuilt', async () => {
  const deep = `{"choices":${'['.repeat(600)}${']'.repeat(600)}}`
  await expect(wayBack('messages', 'chat').back(answer(200, deep))).rejects.toThrow('the upstream answer')
})

test('a Chat stream, cut at every 7 bytes, reaches an Anthropic client event by event', async () => {
  const upstream = openaiStreamEvents('upstream-model', ['Hel', 'lo']).join('')
  const { source } = sseSource(cut(upstream, 7))
  const response = await wayBack('messages', 'chat').back(answer(200, undefined, { 'x-request-id': 'req_s' }, source))
  expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
  expect(response.headers.get('cache-control')).toBe('no-cache')
  expect(response.headers.get('x-request-id')).toBe('req_s')
  const out = events(await response.text())
  expect(out.map((e) => e.event)).toEqual([
    'message_start',
    'content_block_start',
    'content_block_delta',
    'content_block_delta',
    'content_block_stop',
    'message_delta',
    'message_stop',
  ])
  expect(out.filter((e) => e.event === 'content_block_delta').map((e) => e.data.delta.text)).toEqual(['Hel', 'lo'])
  expect(out[0].data.message.model).toBe('claude-client')
})

test('an Anthropic stream reaches a Chat client as chunks ending in [DONE]', async () => {
  const { source } = sseSource(cut(anthropicStreamEvents('upstream-model', ['Hi', '!']).join(''), 11))
  const out = events(await (await wayBack('chat', 'messages').back(answer(200, undefined, {}, source))).text())
  expect(out.at(-1)!.data).toBe('[DONE]')
  const chunks = out.slice(0, -1).map((e) => e.data)
  expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.model === 'gpt-client')).toBe(true)
  expect(chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('')).toBe('Hi!')
  expect(chunks.some((c) => c.choices[0]?.finish_reason === 'stop')).toBe(true)
})

test("a stream that breaks mid-way ends with each client's own failure event, carrying the reason", async () => {
  const broken = new Error('upstream silent for 50 ms (LMLB_IDLE_TIMEOUT_MS)')
  // Anthropic client: an error event.
  const toMessages = sseSource(openaiStreamEvents('m', ['a', 'b']).slice(0, 2), broken)
  const messages = events(await (await wayBack('messages', 'chat').back(answer(200, undefined, {}, toMessages.source))).text())
  expect(messages.at(-1)).toEqual({ event: 'error', data: { type: 'error', error: { type: 'api_error', message: broken.message } } })
  // Chat client: a chunk holding the error.
  const toChat = sseSource(anthropicStreamEvents('m', ['a']).slice(0, 3), broken)
  const chat = events(await (await wayBack('chat', 'messages').back(answer(200, undefined, {}, toChat.source))).text())
  expect(chat.at(-1)!.data.error).toEqual({ message: broken.message, type: 'api_error', code: 'upstream_stream_error' })
  // Responses client, either upstream: response.failed, and nothing after it.
  for (const [upstream, feed] of [
    ['chat', openaiStreamEvents('m', ['a']).slice(0, 2)],
    ['messages', anthropicStreamEvents('m', ['a']).slice(0, 3)],
  ] as const) {
    const { source } = sseSource([...feed], broken)
    const out = events(await (await wayBack('responses', upstream).back(answer(200, undefined, {}, source))).text())
    expect(out.at(-1)!.event).toBe('response.failed')
    expect(out.at(-1)!.data.response.error).toEqual({ code: 'upstream_stream_error', message: broken.message })
    expect(out.filter((e) => e.event === 'response.failed')).toHaveLength(1)
  }
})

test('an unreadable upstream event ends the stream with the failure event naming it, and drops the upstream', async () => {
  const { source, cancelled } = sseSource([
    openaiStreamEvents('m', ['a'])[0],
    'data: {"choices": [tru\n\n',
    openaiStreamEvents('m', ['b'])[1],
  ])
  const response = await wayBack('messages', 'chat').back(answer(200, undefined, {}, source))
  const out = events(await response.text())
  expect(out.at(-1)!.event).toBe('error')
  expect(out.at(-1)!.data.error.message).toStartWith('unreadable upstream event: ')
  // Nothing read after the bad event: the rest of the upstream's stream is dropped.
  expect(out.filter((e) => e.event === 'content_block_delta')).toHaveLength(0)
  expect(cancelled).toHaveLength(1)
})

test("the client's cancel of a translated stream reaches the upstream source", async () => {
  const { source, cancelled } = sseSource(openaiStreamEvents('m', ['a', 'b', 'c']))
  const response = await wayBack('responses', 'chat').back(answer(200, undefined, {}, source))
  const reader = response.body!.getReader()
  await reader.read()
  await reader.cancel('client left')
  expect(cancelled).toEqual(['client left'])
})
