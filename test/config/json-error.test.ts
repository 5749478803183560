/**
 * JSC's JSON.parse says what is wrong but not where, so a configuration
 * error in SERVICE_ENDPOINTS is located by this scan: the line and column
 * of the first mistake, with what was expected, and nothing for valid JSON.
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { locateJsonError } from '../../src/config/json-error'

describe('locateJsonError', () => {
  test('valid JSON, any value, compact or indented: no error', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2, '\t'), (value, indent) => {
        expect(locateJsonError(JSON.stringify(value, null, indent))).toBeUndefined()
      }),
    )
  })

  test('a missing comma between lines: the line and column of the next key', () => {
    expect(locateJsonError('{\n  "a": 1\n  "b": 2\n}')).toEqual({ line: 3, column: 3, message: `expected ',' or '}', got "\\""` })
  })

  test('trailing commas, unquoted keys, a missing colon: each at the character that is wrong', () => {
    expect(locateJsonError('{"a": 1,}')).toEqual({ line: 1, column: 9, message: "trailing comma before '}'" })
    expect(locateJsonError('[1,]')).toEqual({ line: 1, column: 4, message: "trailing comma before ']'" })
    expect(locateJsonError('{a: 1}')).toEqual({ line: 1, column: 2, message: 'expected a quoted key, got "a"' })
    expect(locateJsonError('{"a" 1}')).toEqual({ line: 1, column: 6, message: `expected ':', got "1"` })
  })

  test('literals and numbers: a misspelt word, a sign without digits, a dangling decimal point', () => {
    expect(locateJsonError('{"a": tru}')).toEqual({ line: 1, column: 7, message: 'unexpected "t"' })
    expect(locateJsonError('{"a":-}')).toEqual({ line: 1, column: 6, message: 'unexpected "-"' })
    expect(locateJsonError('{"a":1.}')).toEqual({ line: 1, column: 7, message: `expected ',' or '}', got "."` })
  })

  test('strings: unterminated, or broken by a line break', () => {
    expect(locateJsonError('"abc')).toEqual({ line: 1, column: 5, message: 'unterminated string' })
    expect(locateJsonError('{"a": "x\ny"}')).toEqual({ line: 1, column: 9, message: 'line break inside a string' })
  })

  test('the end: nothing at all, an unclosed list, text after the value (CRLF lines counted)', () => {
    expect(locateJsonError('')).toEqual({ line: 1, column: 1, message: 'unexpected end of text' })
    expect(locateJsonError('[1, 2')).toEqual({ line: 1, column: 6, message: "expected ',' or ']', got end of text" })
    expect(locateJsonError('{"a":1}\r\n{')).toEqual({ line: 2, column: 1, message: 'unexpected text after the end: "{"' })
    expect(locateJsonError('01')).toEqual({ line: 1, column: 2, message: 'unexpected text after the end: "1"' })
  })

  // Finding (src/config/json-error.ts): the scan lets through what JSON.parse refuses inside a string (a raw tab or
  // other control character, an unknown escape, a short \u escape), so SERVICE_ENDPOINTS' error has no location
  // there. `.failing` while that holds: it starts failing (and should become a plain test) once the scan refuses them.
  test.failing('text JSON.parse refuses inside a string is located too', () => {
    for (const text of ['{"a":"x\ty"}', '{"a":"\\x"}', '["\\u12"]']) {
      expect(() => JSON.parse(text)).toThrow()
      expect(locateJsonError(text)).toBeDefined()
    }
  })
})
