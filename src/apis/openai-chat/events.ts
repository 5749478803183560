/** Chat Completions' stream on the wire: unnamed `data:` chunks, ended by `data: [DONE]`. */
import { encodeJsonEvent, encodeSse } from '../../sse/encode'

export const DONE = '[DONE]'

export function encodeChatChunks(chunks: object[], done = false): string {
  let out = ''
  for (const c of chunks) out += encodeJsonEvent(undefined, c)
  return done ? out + encodeSse(undefined, DONE) : out
}
