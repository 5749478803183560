/**
 * The built-in `mock` service: answers locally, in either API, with a short
 * deterministic reply and no key, so a fresh install has something to serve.
 */
import { encodeJsonEvent } from '../../sse/encode'

type Message = { role: string; content?: unknown }

/** The last user turn's text, echoed back. */
export function mockReplyText(messages: readonly Message[]): string {
  const last = [...messages].reverse().find((m) => m.role === 'user')
  const text = last ? textOf(last.content).trim() : ''
  return text === '' ? 'Hello from the lmlb mock service.' : `You said: ${text}`
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content
  if (!Array.isArray(content)) return ''
  return content
    .filter((p): p is { type: string; text: string } => p?.type === 'text' && typeof p.text === 'string')
    .map((p) => p.text)
    .join(' ')
}

/** A rough token count (about four characters a token) for the mock's usage fields. */
function roughTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4))
}

/** Words with their following space, the unit the mock streams in. */
function pieces(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text]
}

function promptText(messages: readonly Message[], system?: unknown): string {
  return textOf(system) + messages.map((m) => textOf(m.content)).join(' ')
}

const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' }

export function mockAnthropic(body: { model: string; messages: Message[]; system?: unknown; stream?: boolean }): Response {
  const text = mockReplyText(body.messages)
  const usage = { input_tokens: roughTokens(promptText(body.messages, body.system)), output_tokens: roughTokens(text) }
  const id = 'msg_mock'
  if (!body.stream) {
    return Response.json({
      id,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage,
    })
  }
  const events = [
    encodeJsonEvent('message_start', {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model: body.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { ...usage, output_tokens: 0 },
      },
    }),
    encodeJsonEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ...pieces(text).map((piece) =>
      encodeJsonEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } }),
    ),
    encodeJsonEvent('content_block_stop', { type: 'content_block_stop', index: 0 }),
    encodeJsonEvent('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    }),
    encodeJsonEvent('message_stop', { type: 'message_stop' }),
  ]
  return new Response(events.join(''), { headers: SSE_HEADERS })
}

export function mockOpenAI(body: {
  model: string
  messages: Message[]
  stream?: boolean
  stream_options?: { include_usage?: boolean }
}): Response {
  const text = mockReplyText(body.messages)
  const prompt = roughTokens(promptText(body.messages))
  const completion = roughTokens(text)
  const usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }
  const base = { id: 'chatcmpl-mock', created: 0, model: body.model }
  if (!body.stream) {
    return Response.json({
      ...base,
      object: 'chat.completion',
      choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage,
    })
  }
  const chunk = (delta: object, finish: string | null) =>
    encodeJsonEvent(undefined, {
      ...base,
      object: 'chat.completion.chunk',
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    })
  const events = [
    chunk({ role: 'assistant', content: '' }, null),
    ...pieces(text).map((piece) => chunk({ content: piece }, null)),
    chunk({}, 'stop'),
    ...(body.stream_options?.include_usage
      ? [encodeJsonEvent(undefined, { ...base, object: 'chat.completion.chunk', choices: [], usage })]
      : []),
    'data: [DONE]\n\n',
  ]
  return new Response(events.join(''), { headers: SSE_HEADERS })
}
