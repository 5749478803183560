/**
 * A tool call's `arguments` text becomes the object other APIs carry as
 * `input`. It must always be an object (Anthropic and the Responses clients
 * refuse anything else), bad JSON must reach the client rather than fail the
 * answer, and nesting hidden in the string must be bounded like a body's.
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { parseArguments, UNPARSED_ARGUMENTS } from '../../../src/apis/openai-chat/tool-arguments'
import { MAX_JSON_DEPTH, TooDeepError } from '../../../src/util/json-depth'

describe('parseArguments', () => {
  test('none, empty or blank: an empty object (a call with no arguments)', () => {
    for (const raw of [undefined, '', '   ', '\n\t']) expect(parseArguments(raw)).toEqual({})
  })

  test('a JSON object: that object', () => {
    expect(parseArguments('{"city":"Paris","days":[1,2],"opts":{"metric":true}}')).toEqual({
      city: 'Paris',
      days: [1, 2],
      opts: { metric: true },
    })
  })

  test('JSON that is not an object (array, number, string, null): wrapped as `value`', () => {
    expect(parseArguments('[1,2]')).toEqual({ value: [1, 2] })
    expect(parseArguments('3')).toEqual({ value: 3 })
    expect(parseArguments('"x"')).toEqual({ value: 'x' })
    expect(parseArguments('null')).toEqual({ value: null })
    expect(parseArguments('false')).toEqual({ value: false })
  })

  test('not JSON: the raw text, kept whole under the unparsed key', () => {
    for (const raw of ['{"city":"Par', '{city: Paris}', 'undefined', '{"a":1}}'])
      expect(parseArguments(raw)).toEqual({ [UNPARSED_ARGUMENTS]: raw })
  })

  test('for any JSON value, the result is a plain object that gives the value back', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const out = parseArguments(JSON.stringify(value)) as Record<string, unknown>
        expect(typeof out === 'object' && out !== null && !Array.isArray(out)).toBe(true)
        const isObject = value !== null && typeof value === 'object' && !Array.isArray(value)
        expect(isObject ? out : out.value).toEqual(JSON.parse(JSON.stringify(value)))
      }),
    )
  })

  test('nesting deeper than a body may: TooDeepError; at the limit: parsed', () => {
    const nested = (n: number) => '['.repeat(n) + ']'.repeat(n)
    expect(() => parseArguments(`{"a":${nested(MAX_JSON_DEPTH)}}`)).toThrow(TooDeepError)
    expect(parseArguments(`{"a":${nested(MAX_JSON_DEPTH - 1)}}`)).toHaveProperty('a')
  })
})
