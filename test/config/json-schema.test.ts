/**
 * config.schema.json is what editors validate a configuration file with.
 * It must be plain JSON Schema (draft-07, our own error wording taken out),
 * carry every field the file schema has, let a file name its own $schema,
 * and hold only patterns an editor can compile.
 */
import { expect, test } from 'bun:test'
import { ConfigFile } from '../../src/config/file-schema'
import { configFileJsonSchema } from '../../src/config/json-schema'

/** Every value in a JSON document, with the key it sits under. */
function* walk(value: unknown, key = ''): Generator<[string, unknown]> {
  yield [key, value]
  if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) yield* walk(v, k)
}

test('a draft-07 document titled for lmlb, written as indented JSON ending in a newline', () => {
  const text = configFileJsonSchema()
  expect(text.endsWith('}\n')).toBe(true)
  expect(text).toContain('\n  "title": "lmlb configuration",\n')
  const schema = JSON.parse(text)
  expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#')
  expect(Object.keys(schema).slice(0, 2)).toEqual(['$schema', 'title'])
})

test('the fields of the file schema, strict, and a $schema field a file may use to name this document', () => {
  const schema = JSON.parse(configFileJsonSchema())
  expect(Object.keys(schema.properties)).toEqual(Object.keys(ConfigFile.properties))
  expect(schema.properties.$schema).toBeDefined()
  expect(schema.additionalProperties).toBe(false)
})

test('no errorMessage left at any depth, though the file schema has them', () => {
  const keys = (value: unknown) => [...walk(value)].map(([k]) => k)
  expect(keys(JSON.parse(JSON.stringify(ConfigFile)))).toContain('errorMessage')
  expect(keys(JSON.parse(configFileJsonSchema()))).not.toContain('errorMessage')
})

test('every pattern compiles as an editor compiles it (Unicode mode)', () => {
  const all = [...walk(JSON.parse(configFileJsonSchema()))]
  const patterns = [
    ...all.filter(([k, v]) => k === 'pattern' && typeof v === 'string').map(([, v]) => v as string),
    ...all.filter(([k]) => k === 'patternProperties').flatMap(([, v]) => Object.keys(v as object)),
  ]
  expect(patterns).toContain('^[a-z][a-z0-9_-]*$')
  for (const p of patterns) expect(() => new RegExp(p, 'u')).not.toThrow()
})

test('the same document every time (config.schema.json must not churn)', () => {
  expect(configFileJsonSchema()).toBe(configFileJsonSchema())
})
