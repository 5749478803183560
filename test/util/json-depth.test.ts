import { describe, expect, test } from 'bun:test'
import { MAX_JSON_DEPTH, tooDeep } from '../../src/util/json-depth'

const objects = (n: number) => JSON.parse('{"a":'.repeat(n - 1) + '{}' + '}'.repeat(n - 1))
const arrays = (n: number) => JSON.parse('['.repeat(n) + ']'.repeat(n))

describe('tooDeep', () => {
  test('the limit passes, one more is refused (objects, arrays, mixed)', () => {
    expect(MAX_JSON_DEPTH).toBe(512)
    expect(tooDeep(objects(512))).toBe(false)
    expect(tooDeep(objects(513))).toBe(true)
    expect(tooDeep(arrays(512))).toBe(false)
    expect(tooDeep(arrays(513))).toBe(true)
    const mixed = JSON.parse('[{"a":'.repeat(256) + '1' + '}]'.repeat(256)) // 512 levels
    expect(tooDeep(mixed)).toBe(false)
    expect(tooDeep([mixed])).toBe(true)
    expect(tooDeep(objects(3), 3)).toBe(false)
    expect(tooDeep(objects(4), 3)).toBe(true)
  })

  test('a deep branch after shallow ones is found; scalars are depth 0', () => {
    expect(tooDeep({ a: 1, b: [1, 2, { c: 'x' }], d: objects(512) })).toBe(true)
    for (const v of [null, 1, 'x', true, undefined]) expect(tooDeep(v, 0)).toBe(false)
  })

  test('brackets inside strings do not count, escaped quotes included', () => {
    const brackets = '['.repeat(10_000) + '{'.repeat(10_000)
    expect(tooDeep(JSON.parse(JSON.stringify({ s: brackets })))).toBe(false)
    // `"\"[[[..."`: an escaped quote does not end the string.
    const text = `{"s":"\\"${'['.repeat(1000)}\\"","t":["\\\\",${'['.repeat(3)}${']'.repeat(3)}]}`
    const parsed = JSON.parse(text)
    expect(parsed.s.startsWith('"[[')).toBe(true)
    expect(tooDeep(parsed, 5)).toBe(false) // 1 + 1 + 3 = 5 levels
    expect(tooDeep(parsed, 4)).toBe(true)
  })

  test('100,000 levels: no stack overflow, fast', () => {
    const deep = objects(100_000)
    const started = performance.now()
    expect(tooDeep({ tools: [{ input_schema: deep }] })).toBe(true)
    expect(performance.now() - started).toBeLessThan(50)
  })

  test('a key named __proto__ is walked like any other', () => {
    expect(tooDeep(JSON.parse(`{"__proto__":${'['.repeat(600)}${']'.repeat(600)}}`))).toBe(true)
  })
})
