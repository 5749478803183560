/** concatBytes joins byte chunks (a request body read in pieces): every byte, in order, and nothing else. */
import { expect, test } from 'bun:test'
import fc from 'fast-check'
import { concatBytes } from '../../src/util/concat-bytes'

test('for any chunks, the bytes of each in order, the lengths summed', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 10 }), (parts) => {
      const out = concatBytes(parts)
      expect(out.length).toBe(parts.reduce((n, p) => n + p.length, 0))
      expect([...out]).toEqual(parts.flatMap((p) => [...p]))
    }),
  )
})

test('subarrays contribute only their own bytes; the result is a copy, not a view of a part', () => {
  const buffer = new Uint8Array([1, 2, 3, 4, 5, 6])
  const out = concatBytes([buffer.subarray(1, 3), buffer.subarray(4)])
  expect([...out]).toEqual([2, 3, 5, 6])
  buffer[1] = 99
  expect(out[0]).toBe(2)
  const single = new Uint8Array([7])
  expect(concatBytes([single])).not.toBe(single)
  expect(concatBytes([])).toEqual(new Uint8Array())
})
