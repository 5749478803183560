/**
 * Answers lmlb gives itself, with no upstream: the built-in mock service
 * (every API, streaming too), and the count of an Anthropic request's
 * tokens where no service of the route counts them (a local estimate).
 */
import { MOCK_SERVICE } from '../config/defaults'
import { ProxyError } from '../errors'
import { mockAnthropic, mockOpenAI } from '../providers/mock/reply'
import { estimateInputTokens } from '../providers/tokens/estimate'
import { pairOf, translate } from '../translation/pairs'
import type { ByteSource, StreamFactory } from '../upstream/byte-stream'
import type { UpstreamAnswer } from '../upstream/send'
import type { Inbound } from './parse'
import { geminiCountable } from '../apis/gemini/countable'
import { untranslatable } from './prepare'

export function answerByMock(inbound: Inbound, model: string, streams: StreamFactory): Response | Promise<Response> {
  const { endpoint, body } = inbound
  if (endpoint.countsTokens) return tokenCount(inbound, Math.ceil(inbound.text.length / 4))
  if (endpoint.passOnly)
    throw new ProxyError(400, 'unsupported_endpoint', `the mock service answers Messages and Chat Completions, not ${endpoint.upstream}`)
  const turns = { ...body, messages: body.messages ?? [] }
  if (endpoint.api === 'messages') return mockAnthropic(turns)
  if (endpoint.api === 'chat') return mockOpenAI(turns)
  // The mock speaks Chat Completions; a Responses or Gemini client gets it through the same translation as any Chat-only service.
  let translated
  try {
    translated = translate(pairOf(endpoint.api, 'chat')!, endpoint.api, body, { model, inputTokens: 0, stream: inbound.stream }, streams)
  } catch (error) {
    throw untranslatable(error, MOCK_SERVICE, 'openai')
  }
  return upstreamAnswerOf(mockOpenAI(translated.body as Parameters<typeof mockOpenAI>[0])).then(translated.back)
}

/** A token count from lmlb's own tokenizer (the route's services do not speak the API to ask). */
export async function estimatedTokens(inbound: Inbound): Promise<Response> {
  const { body } = inbound
  const countable =
    inbound.endpoint.api === 'gemini'
      ? geminiCountable(body as Parameters<typeof geminiCountable>[0])
      : { system: body.system, messages: body.messages ?? [], tools: body.tools }
  return tokenCount(inbound, await estimateInputTokens(countable))
}

/** A count as the endpoint's API answers one. */
const tokenCount = (inbound: Inbound, tokens: number) =>
  Response.json(inbound.endpoint.api === 'gemini' ? { totalTokens: tokens } : { input_tokens: tokens })

/** The mock's response as an upstream's answer, for the way back to read. */
async function upstreamAnswerOf(response: Response): Promise<UpstreamAnswer> {
  const answer = { status: response.status, statusText: response.statusText, headers: response.headers }
  if (!response.headers.get('content-type')?.includes('text/event-stream')) return { ...answer, bytes: await response.bytes() }
  const reader = response.body!.getReader()
  const source: ByteSource = {
    next: async () => {
      const { value, done } = await reader.read()
      return done ? null : value
    },
    cancel: (reason) => reader.cancel(reason),
  }
  return { ...answer, source }
}
