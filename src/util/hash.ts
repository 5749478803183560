/** 16 hex digits of SHA-256: enough to tell sessions and keys apart, nothing to read back. */
import { createHash } from 'node:crypto'

export function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16)
}
