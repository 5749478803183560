/**
 * Whether a key can go into an HTTP header (`Authorization: Bearer <key>`,
 * `x-api-key`). A key that cannot makes every call fail (`Header
 * 'Authorization' has invalid value`) and cools the endpoint, so such a key
 * is refused at load. Allowed, as RFC 9110 field values: visible ASCII,
 * space, tab and Latin-1 (obs-text); not NUL, CR, LF, other controls, or
 * characters beyond U+00FF (Bun's Headers refuses those).
 */
export function headerValueProblem(value: string): string | undefined {
  for (let i = 0; i < value.length; i++) {
    const c = value.codePointAt(i)!
    if (c === 0x09 || (c >= 0x20 && c !== 0x7f && c <= 0xff)) continue
    const what =
      c === 0x0a
        ? 'a newline'
        : c === 0x0d
          ? 'a carriage return'
          : c === 0
            ? 'a NUL'
            : c < 0x20 || c === 0x7f
              ? `a control character, U+${hex(c)}`
              : `U+${hex(c)}, not Latin-1`
    // Where, not what the key is: a message must not carry the key.
    return `contains a character that cannot go in an HTTP header (${what}, at character ${i + 1} of ${value.length})`
  }
  return undefined
}

function hex(c: number): string {
  return c.toString(16).toUpperCase().padStart(4, '0')
}
