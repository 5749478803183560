/**
 * A key that cannot go into an HTTP header makes every call with it fail, so
 * it is refused at load. What passes must be exactly what a header value
 * may hold (RFC 9110: visible ASCII, space, tab, Latin-1), and a refusal
 * must say where the bad character is without ever quoting the key.
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { headerValueProblem } from '../../src/config/header-value'

const allowed = fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0x09), fc.integer({ min: 0x80, max: 0xff }))
const forbidden = fc.oneof(
  fc.integer({ min: 0, max: 0x08 }),
  fc.integer({ min: 0x0a, max: 0x1f }),
  fc.constant(0x7f),
  fc.integer({ min: 0x100, max: 0x10ffff }),
)
const text = (codes: number[]) => String.fromCodePoint(...codes)

describe('headerValueProblem', () => {
  test('any string of header-safe characters passes, and Headers takes it', () => {
    fc.assert(
      fc.property(fc.array(allowed, { maxLength: 40 }), (codes) => {
        const value = text(codes)
        expect(headerValueProblem(value)).toBeUndefined()
        expect(() => new Headers({ 'x-api-key': value })).not.toThrow()
      }),
    )
  })

  test('one forbidden character anywhere: refused, naming its position and the length, never the key', () => {
    fc.assert(
      fc.property(fc.array(allowed, { maxLength: 20 }), forbidden, fc.array(allowed, { maxLength: 20 }), (before, bad, after) => {
        const key = `sk-secret-${text(before)}`
        const value = key + String.fromCodePoint(bad) + text(after)
        const problem = headerValueProblem(value)
        expect(problem).toContain(`at character ${key.length + 1} of ${value.length}`)
        expect(problem).not.toContain('sk-secret')
      }),
    )
  })

  test('each kind of character is named as a reader knows it', () => {
    expect(headerValueProblem('sk-abc\n')).toBe('contains a character that cannot go in an HTTP header (a newline, at character 7 of 7)')
    expect(headerValueProblem('\rsk')).toContain('(a carriage return, at character 1 of 3)')
    expect(headerValueProblem('a\u0000')).toContain('(a NUL, at character 2 of 2)')
    expect(headerValueProblem('a\u001bb')).toContain('(a control character, U+001B, at character 2 of 3)')
    expect(headerValueProblem('a\u007f')).toContain('(a control character, U+007F,')
    expect(headerValueProblem('clé€')).toContain('(U+20AC, not Latin-1, at character 4 of 4)')
  })

  test('the first bad character is the one named', () => {
    expect(headerValueProblem('ab\ncd\u0000')).toContain('a newline, at character 3')
  })
})
