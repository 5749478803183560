/** The request body as text, refused early when it is not JSON or larger than allowed. */
import { ProxyError } from './errors'

export async function readBody(request: Request, maxBytes: number): Promise<string> {
  const type = request.headers.get('content-type')
  // No content type is tolerated; a different one is a mistake worth naming.
  if (type !== null && !isJson(type)) {
    throw new ProxyError(415, 'unsupported_media_type', `content-type must be application/json, got "${type}"`)
  }
  const tooLarge = () => new ProxyError(413, 'request_too_large', `request body is larger than ${maxBytes} bytes (LMLB_MAX_BODY_BYTES)`)
  const declared = request.headers.get('content-length')
  if (declared !== null) {
    if (Number(declared) > maxBytes) throw tooLarge()
    return request.text()
  }
  // A chunked body declares no length; the server stops it not far past the limit (runtime/bun.ts).
  const bytes = await request.arrayBuffer()
  if (bytes.byteLength > maxBytes) throw tooLarge()
  return new TextDecoder().decode(bytes)
}

function isJson(type: string): boolean {
  if (type === 'application/json' || type.startsWith('application/json;')) return true // nearly every client
  const essence = type.split(';', 1)[0].trim().toLowerCase()
  return essence === 'application/json' || (essence.startsWith('application/') && essence.endsWith('+json'))
}
