import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { withModel } from '../../src/routing/rename-in-body'

describe('withModel', () => {
  test('rewrites the top-level model in place, the rest byte for byte', () => {
    const text = '{"model":"openrouter/x-1","messages":[{"role":"user","content":"hi"}]}'
    expect(withModel(text, 'openrouter/x-1', 'x-1')).toBe('{"model":"x-1","messages":[{"role":"user","content":"hi"}]}')
    const pretty = '{\n  "stream": true,\n  "model" :  "a/b"\n}'
    expect(withModel(pretty, 'a/b', 'b')).toBe('{\n  "stream": true,\n  "model" :  "b"\n}')
  })

  test('never touches a nested or quoted model, and gives up when unsure', () => {
    // Only a nested pair has the value as written: the top level escapes its slash.
    expect(withModel('{"model":"a\\/b","tools":[{"input":{"model":"a/b"}}]}', 'a/b', 'b')).toBeUndefined()
    // Inside a string the quotes are escaped: not a key.
    expect(withModel('{"model":"a/b","content":"say \\"model\\": \\"a/b\\""}', 'a/b', 'b')).toBe(
      '{"model":"b","content":"say \\"model\\": \\"a/b\\""}',
    )
    // The same pair twice: left to JSON.
    expect(withModel('{"model":"a/b","metadata":{"model":"a/b"}}', 'a/b', 'b')).toBeUndefined()
    expect(withModel('{"messages":[],"model":"a/b"}', 'a/b', 'b')).toBe('{"messages":[],"model":"b"}')
    // A key that only ends in `"model` (an escaped quote inside it) is another key.
    expect(withModel('{"model":"a\\/b","x\\"model":"a/b"}', 'a/b', 'b')).toBeUndefined()
  })

  test('whatever the body, the result parses to the body with only its model changed', () => {
    const json = fc.jsonValue({ maxDepth: 3 })
    let rewritten = 0
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), json),
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        fc.nat(),
        fc.boolean(),
        (rest, from, to, at, spaced) => {
          const entries = Object.entries(rest).filter(([k]) => k !== 'model' && k !== '__proto__')
          entries.splice(at % (entries.length + 1), 0, ['model', from])
          const body = Object.fromEntries(entries)
          const text = spaced ? JSON.stringify(body, null, 2) : JSON.stringify(body)
          const out = withModel(text, from, to)
          if (out === undefined) return // the caller serialises instead
          rewritten++
          expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify({ ...body, model: to }))) // as JSON sees it (-0 is 0)
        },
      ),
      { numRuns: 500 },
    )
    // Giving up is allowed, not the rule: most bodies are rewritten in place.
    expect(rewritten).toBeGreaterThan(400)
  })
})
