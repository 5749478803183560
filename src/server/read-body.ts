/** The request body as text, refused early when it is not JSON or larger than allowed. */
import { concatBytes } from '../util/concat-bytes'
import { ProxyError } from './errors'

export async function readBody(request: Request, maxBytes: number): Promise<string> {
  const type = request.headers.get('content-type')
  // No content type is tolerated; a different one is a mistake worth naming.
  if (type !== null && !/^application\/([\w.+-]*\+)?json\b/i.test(type.trim())) {
    throw new ProxyError(415, 'unsupported_media_type', `content-type must be application/json, got "${type}"`)
  }
  const tooLarge = () => new ProxyError(413, 'request_too_large', `request body is larger than ${maxBytes} bytes (LMLB_MAX_BODY_BYTES)`)
  const declared = request.headers.get('content-length')
  if (declared !== null) {
    if (Number(declared) > maxBytes) throw tooLarge()
    return request.text()
  }
  if (!request.body) return ''
  // A chunked body declares no length: count as it comes.
  const reader = request.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { value, done } = await reader.read()
    if (done) break
    size += value.length
    if (size > maxBytes) {
      void reader.cancel()
      throw tooLarge()
    }
    chunks.push(value)
  }
  return new TextDecoder().decode(concatBytes(chunks))
}
