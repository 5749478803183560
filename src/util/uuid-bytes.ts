/**
 * A UUID as `crypto.randomUUID()` writes it (36 characters, lowercase hex)
 * in its 16 bytes and back: request ids kept in a block of records
 * (state/request-block.ts) as bytes, not as strings held until the block is
 * written (docs/usage.md).
 */

/** The bytes a dash comes before (8-4-4-4-12 hex digits). */
const dashBefore = (b: number) => b === 4 || b === 6 || b === 8 || b === 10

/** Two hex digits for each byte. */
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'))

/** Each ASCII character's value as a lowercase hex digit (-1: not one). */
const HEX_VALUE = new Int8Array(128).fill(-1)
for (let c = 0; c < 16; c++) HEX_VALUE[c.toString(16).charCodeAt(0)] = c

const hexValue = (c: number) => (c < 128 ? HEX_VALUE[c] : -1)

/** `id`'s 16 bytes written to `out` at `at`, where it is a lowercase UUID; false (and `out` partly written) where not. */
export function putUuid(id: string, out: Uint8Array, at: number): boolean {
  if (id.length !== 36) return false
  let i = 0
  for (let b = 0; b < 16; b++) {
    if (dashBefore(b) && id.charCodeAt(i++) !== 45) return false
    const high = hexValue(id.charCodeAt(i))
    const low = hexValue(id.charCodeAt(i + 1))
    if (high < 0 || low < 0) return false
    out[at + b] = (high << 4) | low
    i += 2
  }
  return true
}

/** The UUID whose 16 bytes are in `bytes` at `at`. */
export function uuidAt(bytes: Uint8Array, at: number): string {
  let s = ''
  for (let b = 0; b < 16; b++) s += (dashBefore(b) ? '-' : '') + HEX[bytes[at + b]]
  return s
}
