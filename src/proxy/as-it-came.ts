/** An upstream's answer passed on as it came: its status and headers, its body (a stream's through a shaping, where given). */
import type { ByteSource, StreamFactory } from '../upstream/byte-stream'
import type { UpstreamAnswer } from '../upstream/send'

export function asItCame(answer: UpstreamAnswer, streams: StreamFactory, shape?: (source: ByteSource) => ByteSource): Response {
  const body = answer.source ? streams(shape ? shape(answer.source) : answer.source) : (answer.bytes as Uint8Array<ArrayBuffer> | undefined)
  return new Response(body ?? null, { status: answer.status, statusText: answer.statusText, headers: answer.headers })
}
