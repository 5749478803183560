/**
 * Bytes as a string of the same length, one character per byte, for native
 * string and regex searches over ASCII needles (keys, usage fields): an
 * index in the string is the same index in the bytes, and a multi-byte
 * UTF-8 character can never match an ASCII needle.
 */
const decoder = new TextDecoder('latin1')

export function byteText(bytes: Uint8Array): string {
  return decoder.decode(bytes)
}
