/**
 * byteText lets native string searches run over bytes: it must give one
 * character per byte, so an index in the text is the same index in the
 * bytes, and an ASCII needle can match only where those ASCII bytes are
 * (never inside a multi-byte UTF-8 character).
 */
import { expect, test } from 'bun:test'
import fc from 'fast-check'
import { byteText } from '../../src/util/byte-text'

test('for any bytes: the same length, and each ASCII byte is that character; no other byte reads as ASCII', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const text = byteText(bytes)
      expect(text.length).toBe(bytes.length)
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] < 0x80) expect(text.charCodeAt(i)).toBe(bytes[i])
        else expect(text.charCodeAt(i)).toBeGreaterThanOrEqual(0x80)
      }
    }),
  )
})

test('an ASCII needle is found at its byte offset in UTF-8 text, past multi-byte characters', () => {
  const noNeedle = fc.string({ unit: 'grapheme' }).filter((t) => !t.includes('"usage":'))
  fc.assert(
    fc.property(noNeedle, noNeedle, (before, after) => {
      const bytes = new TextEncoder().encode(`${before}"usage":${after}`)
      expect(byteText(bytes).indexOf('"usage":')).toBe(new TextEncoder().encode(before).length)
    }),
  )
})

test('a subarray is read from its own start, not its buffer’s', () => {
  const bytes = new TextEncoder().encode('xxxxkey=1')
  expect(byteText(bytes.subarray(4))).toBe('key=1')
  expect(byteText(new Uint8Array())).toBe('')
})
