/**
 * An upstream that emulates a provider's prompt cache, per API key: it
 * serves Anthropic's `/v1/messages` and OpenAI's `/v1/chat/completions`,
 * plain and streamed, and remembers for each key (`x-api-key` or
 * `Authorization: Bearer`) the prompt prefixes it has seen (the prompt
 * minus its last message), each for a TTL. A request reads from the cache
 * the longest prefix of its own prompt that key has seen, and writes the
 * rest of its prefix; usage is reported as the provider would (Anthropic:
 * `input_tokens` + `cache_read_input_tokens` + `cache_creation_input_tokens`;
 * OpenAI: `prompt_tokens` with `prompt_tokens_details.cached_tokens`).
 * Tokens are characters / 4. So a conversation kept on one key reads most
 * of its input from cache; moved to another key, it writes it again.
 */
import { chatChunks, sseEvent, sseResponse } from './requests'
import { startUpstream, type FakeUpstream, type Received } from './upstream'

export interface CacheCall {
  key: string
  path: string
  stream: boolean
  /** The conversation marker found in the prompt (`[conv:<name>]`), if any. */
  conv?: string
  model: string
  /** Input tokens in all, and of them read from this key's cache, written to it, neither. */
  total: number
  read: number
  write: number
  uncached: number
  status: number
  /** The request's headers as they arrived. */
  headers: Record<string, string>
}

export interface PromptCacheUpstream {
  base: string
  calls: CacheCall[]
  upstream: FakeUpstream
  /** Answer every request with this key by `respond` (e.g. a 429) until cleared with `undefined`. */
  failKey(key: string, respond: (() => Response) | undefined): void
  /** Add these headers (rate-limit reports...) to every answer for this key until cleared with `undefined`. */
  keyHeaders(key: string, headers: Record<string, string> | undefined): void
  /** Read / total over the (successful) calls that pass `filter`, and what was written. */
  share(filter?: (c: CacheCall) => boolean): { read: number; write: number; total: number; share: number }
  stop(): Promise<void>
}

export interface PromptCacheOptions {
  ttlMs?: number
  now?: () => number
}

const MARKER = /\[conv:([\w.-]+)\]/

const tokens = (chars: number) => Math.ceil(chars / 4)

/** `cache_control` markers move along a conversation: they are no part of what is cached. */
const stable = (value: unknown) => JSON.stringify(value, (k, v) => (k === 'cache_control' ? undefined : v))

/** The prompt as the provider caches it: tools, system, then each message, one segment each. */
function segments(path: string, body: any): string[] {
  const out: string[] = []
  if (body.tools !== undefined) out.push(stable(body.tools))
  if (path.endsWith('/messages') && body.system !== undefined) out.push(stable(body.system))
  for (const m of (body.messages ?? []) as unknown[]) out.push(stable(m))
  return out
}

export function keyOf(headers: Record<string, string>): string {
  return headers['x-api-key'] ?? headers.authorization?.replace(/^Bearer /, '') ?? ''
}

export function startPromptCache(options: PromptCacheOptions = {}): PromptCacheUpstream {
  const ttlMs = options.ttlMs ?? 300_000
  const now = options.now ?? Date.now
  /** Per key: prefix hash → when it expires. */
  const seen = new Map<string, Map<string, number>>()
  const failing = new Map<string, () => Response>()
  const extraHeaders = new Map<string, Record<string, string>>()
  const calls: CacheCall[] = []

  const handler = (r: Received): Response => {
    const res = answer(r)
    for (const [name, value] of Object.entries(extraHeaders.get(keyOf(r.headers)) ?? {})) res.headers.set(name, value)
    return res
  }

  const answer = (r: Received): Response => {
    const key = keyOf(r.headers)
    const anthropic = r.path.endsWith('/messages')
    const body = r.body
    const stream = body?.stream === true
    const segs = segments(r.path, body)
    const conv = MARKER.exec(r.raw)?.[1]
    const model = String(body?.model ?? '')
    const fail = failing.get(key)
    if (fail) {
      calls.push({ key, path: r.path, stream, conv, model, total: 0, read: 0, write: 0, uncached: 0, status: 0, headers: r.headers })
      const res = fail()
      calls.at(-1)!.status = res.status
      return res
    }
    if (!r.path.endsWith('/messages') && !r.path.endsWith('/chat/completions'))
      return Response.json({ error: { message: `no route ${r.path}` } }, { status: 404 })

    // Cumulative prefixes: prefix i is segments 0..i-1.
    const t = now()
    const table = seen.get(key) ?? new Map<string, number>()
    seen.set(key, table)
    let chars = 0
    let readChars = 0
    const hashes: string[] = []
    const lengths: number[] = []
    let joined = ''
    for (const s of segs) {
      joined += s + '\u0001'
      chars += s.length
      const h = Bun.hash(joined).toString(36)
      hashes.push(h)
      lengths.push(chars)
      const expires = table.get(h)
      if (expires !== undefined && expires > t) readChars = chars
    }
    // The prompt minus its last message is what the provider keeps (and refreshes) for this key.
    const kept = Math.max(0, segs.length - 1)
    for (let i = 0; i < kept; i++) table.set(hashes[i], t + ttlMs)
    const keptChars = kept === 0 ? 0 : lengths[kept - 1]
    const total = tokens(chars)
    const read = tokens(readChars)
    const write = Math.max(0, tokens(keptChars) - read)
    const uncached = total - read - write
    calls.push({ key, path: r.path, stream, conv, model, total, read, write, uncached, status: 200, headers: r.headers })

    const text = `ok ${calls.length}`
    if (anthropic) {
      const usage = { input_tokens: uncached, cache_read_input_tokens: read, cache_creation_input_tokens: write, output_tokens: 3 }
      return stream ? anthropicStream(model, text, usage) : Response.json(anthropicMessage(model, text, usage))
    }
    const usage = { prompt_tokens: total, completion_tokens: 3, total_tokens: total + 3, prompt_tokens_details: { cached_tokens: read } }
    return stream
      ? openaiStream(model, text, body.stream_options?.include_usage === true ? usage : undefined)
      : Response.json(openaiCompletion(model, text, usage))
  }

  const upstream = startUpstream('prompt-cache', handler)
  return {
    base: upstream.base,
    calls,
    upstream,
    failKey: (key, respond) => (respond ? failing.set(key, respond) : failing.delete(key)),
    keyHeaders: (key, headers) => (headers ? extraHeaders.set(key, headers) : extraHeaders.delete(key)),
    share: (filter = () => true) => {
      const ok = calls.filter((c) => c.status === 200 && filter(c))
      const read = ok.reduce((n, c) => n + c.read, 0)
      const write = ok.reduce((n, c) => n + c.write, 0)
      const total = ok.reduce((n, c) => n + c.total, 0)
      return { read, write, total, share: total === 0 ? 0 : read / total }
    },
    stop: () => upstream.stop(),
  }
}

function anthropicMessage(model: string, text: string, usage: object) {
  return {
    id: 'msg_cache',
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage,
  }
}

function anthropicStream(model: string, text: string, usage: { output_tokens: number }): Response {
  const start = { ...anthropicMessage(model, '', { ...usage, output_tokens: 1 }), content: [], stop_reason: null }
  return sseResponse(
    [
      sseEvent('message_start', { type: 'message_start', message: start }),
      sseEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
      sseEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
      sseEvent('content_block_stop', { type: 'content_block_stop', index: 0 }),
      sseEvent('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: usage.output_tokens },
      }),
      sseEvent('message_stop', { type: 'message_stop' }),
    ].join(''),
  )
}

function openaiCompletion(model: string, text: string, usage: object) {
  return {
    id: 'chatcmpl-cache',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage,
  }
}

function openaiStream(model: string, text: string, usage: object | undefined): Response {
  const chunk = chatChunks({ id: 'chatcmpl-cache', object: 'chat.completion.chunk', created: 1, model }, { logprobs: true })
  return sseResponse(
    [
      sseEvent(undefined, chunk({ role: 'assistant', content: '' }, null)),
      sseEvent(undefined, chunk({ content: text }, null)),
      sseEvent(undefined, chunk({}, 'stop')),
      ...(usage
        ? [sseEvent(undefined, { id: 'chatcmpl-cache', object: 'chat.completion.chunk', created: 1, model, choices: [], usage })]
        : []),
      sseEvent(undefined, '[DONE]'),
    ].join(''),
  )
}
