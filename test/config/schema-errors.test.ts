/**
 * Configuration errors are one line per place, `path: message`, the path
 * written as a user reads it (`services.groq.keys[1]`), so they can find
 * the mistake in their file. formatPath turns TypeBox's JSON pointers into
 * that; schemaErrors keeps one error per place and drops those nested in a
 * place that already has one.
 */
import { describe, expect, test } from 'bun:test'
import { Type } from '@sinclair/typebox'
import { withMessage } from '../../src/config/schema'
import { formatPath, schemaErrors, schemaErrorsAt } from '../../src/config/schema-errors'

describe('formatPath', () => {
  test('keys with dots, indexes in brackets, under the root given', () => {
    expect(formatPath('', '/services/groq/keys/1')).toBe('services.groq.keys[1]')
    expect(formatPath('SERVICE_ENDPOINTS', '/groq/0')).toBe('SERVICE_ENDPOINTS.groq[0]')
    expect(formatPath('config', '/limits/maxAttempts')).toBe('config.limits.maxAttempts')
    expect(formatPath('', '/0/a')).toBe('[0].a')
  })

  test('the root itself: its name, or (root) when it has none', () => {
    expect(formatPath('', '')).toBe('(root)')
    expect(formatPath('config', '')).toBe('config')
  })

  test('escaped pointer parts are read back: ~1 is "/", ~0 is "~", in that order', () => {
    expect(formatPath('', '/rename/openai~1gpt-4o')).toBe('rename.openai/gpt-4o')
    expect(formatPath('', '/a~0b')).toBe('a~b')
    expect(formatPath('', '/a~01')).toBe('a~1')
  })
})

describe('schemaErrors', () => {
  const Schema = Type.Object({
    name: Type.String(),
    ports: Type.Array(Type.Integer()),
    url: withMessage(Type.String({ pattern: '^https://' }), 'not an https URL'),
  })

  test('one line per wrong place, in order, each with its path', () => {
    expect(schemaErrors(Schema, { name: 1, ports: [80, 'x', 443], url: 'https://a' })).toEqual([
      'name: Expected string',
      'ports[1]: Expected integer',
    ])
  })

  test("a schema's own wording is used where it has one", () => {
    expect(schemaErrors(Schema, { name: 'a', ports: [], url: 'http://a' }, 'file')).toEqual(['file.url: not an https URL'])
  })

  test("a union's message alone, not its members' at the same place", () => {
    const Entry = withMessage(Type.Union([Type.String(), Type.Object({ value: Type.String() })]), 'a key is a string or {value}')
    expect(schemaErrors(Type.Object({ keys: Type.Array(Entry) }), { keys: ['a', 7] })).toEqual(['keys[1]: a key is a string or {value}'])
  })

  test('errors inside a place that already has one are dropped', () => {
    const Ports = Type.Object({ ports: withMessage(Type.Array(Type.Integer(), { minItems: 2 }), 'two ports or more') })
    expect(schemaErrorsAt(Ports, { ports: ['x'] })).toEqual([{ pointer: '/ports', message: 'two ports or more' }])
    // A sibling's error is not "inside": kept.
    expect(schemaErrors(Type.Object({ a: Type.String(), ab: Type.String() }), { a: 1, ab: 2 })).toEqual([
      'a: Expected string',
      'ab: Expected string',
    ])
  })

  test('a valid value: no errors', () => {
    expect(schemaErrors(Schema, { name: 'a', ports: [1], url: 'https://x' })).toEqual([])
  })
})
