/**
 * The `model` form field of a multipart/form-data body (OpenAI's audio
 * uploads), found and rewritten in the bytes as they came: the upload is
 * neither parsed into parts nor built again, so it is held once.
 */
import { Buffer } from 'node:buffer'

/** The boundary a multipart content type names, or undefined for any other type. */
export function boundaryOf(contentType: string | null): string | undefined {
  if (contentType === null || !/^\s*multipart\/form-data\s*;/i.test(contentType)) return undefined
  const m = /;\s*boundary=(?:"([^"]+)"|([^\s;]+))/i.exec(contentType)
  return m ? (m[1] ?? m[2]) : undefined
}

/** Where the `model` field's value lies in `body`, and what it says; undefined when there is none. */
export function findModelField(body: Uint8Array, boundary: string): { value: string; start: number; end: number } | undefined {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const delimiter = `\r\n--${boundary}`
  // Each part starts at a delimiter line; its headers end at a blank line.
  for (let at = bytes.indexOf(`--${boundary}`); at !== -1; at = bytes.indexOf(delimiter, at + 1)) {
    const headersEnd = bytes.indexOf('\r\n\r\n', at)
    if (headersEnd === -1) return undefined
    const headers = bytes.toString('latin1', at, headersEnd)
    const start = headersEnd + 4
    const end = bytes.indexOf(delimiter, start)
    if (end === -1) return undefined
    if (/^content-disposition:\s*form-data;[^\r\n]*\bname="model"/im.test(headers))
      return { value: bytes.toString('utf8', start, end), start, end }
  }
  return undefined
}

/** `body` with the model field's value replaced. */
export function withModelField(body: Uint8Array, field: { start: number; end: number }, model: string): Uint8Array {
  const value = new TextEncoder().encode(model)
  const out = new Uint8Array(body.length - (field.end - field.start) + value.length)
  out.set(body.subarray(0, field.start))
  out.set(value, field.start)
  out.set(body.subarray(field.end), field.start + value.length)
  return out
}
