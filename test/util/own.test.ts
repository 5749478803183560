/**
 * own looks up keys that come from outside (model names, stop reasons): a
 * plain `record[key]` would find Object.prototype's members for names like
 * "constructor" or "toString", and route or translate by them.
 */
import { expect, test } from 'bun:test'
import { own } from '../../src/util/own'

const table: Record<string, string> = { stop: 'end_turn', length: 'max_tokens' }

test("a record's own entries are found", () => {
  expect(own(table, 'stop')).toBe('end_turn')
  expect(own(table, 'length')).toBe('max_tokens')
})

test("Object.prototype's names are not entries", () => {
  for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf']) expect(own(table, key)).toBeUndefined()
})

test('inherited entries are not own; an own entry whose value is undefined reads as undefined; null-prototype records work', () => {
  const child = Object.create(table) as Record<string, string>
  expect(own(child, 'stop')).toBeUndefined()
  expect(own({ a: undefined as unknown as string }, 'a')).toBeUndefined()
  const bare = Object.assign(Object.create(null), { constructor: 'a model named constructor' })
  expect(own(bare, 'constructor')).toBe('a model named constructor')
})
