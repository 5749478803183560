/**
 * withMessage gives a schema its own wording for the one-line configuration
 * errors. The wording must be what a user reads for that schema (and only
 * that one), the schema must check exactly as before, and the original must
 * be left as it was, since schemas are shared.
 */
import { describe, expect, test } from 'bun:test'
import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { HttpUrl, LogLevel, ServiceEndpoints, withMessage } from '../../src/config/schema'
import { schemaErrors } from '../../src/config/schema-errors'

const messages = (schema: Parameters<typeof Value.Errors>[0], value: unknown) => [...Value.Errors(schema, value)].map((e) => e.message)

describe('withMessage', () => {
  test('its wording replaces TypeBox’s for that schema; other schemas keep TypeBox’s', () => {
    const Port = withMessage(Type.Integer({ minimum: 1 }), 'must be a port above 0')
    expect(messages(Port, 0)).toEqual(['must be a port above 0'])
    expect(messages(Type.Integer({ minimum: 1 }), 0)[0]).not.toBe('must be a port above 0')
  })

  test('the schema checks exactly as before, and the original is not changed', () => {
    const original = Type.String({ pattern: '^a' })
    const worded = withMessage(original, 'starts with a')
    for (const v of ['abc', 'b', 1, null]) expect(Value.Check(worded, v)).toBe(Value.Check(original, v))
    expect('errorMessage' in original).toBe(false)
    expect(messages(original, 'b')).not.toEqual(['starts with a'])
  })

  test("lmlb's schemas say what is wanted: a URL, a log level", () => {
    expect(messages(HttpUrl, 'ftp://x')).toEqual(['not an http(s) URL'])
    expect(messages(HttpUrl, 'https://api.example.com/v1')).toEqual([])
    expect(schemaErrors(Type.Object({ LOG_LEVEL: LogLevel }), { LOG_LEVEL: 'verbose' })).toEqual([
      'LOG_LEVEL: must be one of debug, info, warn, error',
    ])
  })

  test('nested wording: each place gets the wording of the schema that failed there', () => {
    expect(schemaErrors(ServiceEndpoints, { groq: [] }, 'SERVICE_ENDPOINTS')).toEqual([
      'SERVICE_ENDPOINTS.groq: must be a non-empty array of base URLs',
    ])
    expect(schemaErrors(ServiceEndpoints, { groq: ['ftp://x'] }, 'SERVICE_ENDPOINTS')).toEqual([
      'SERVICE_ENDPOINTS.groq[0]: not an http(s) URL',
    ])
    expect(schemaErrors(ServiceEndpoints, { Groq: ['https://a/v1'] }, 'SERVICE_ENDPOINTS')).toEqual([
      'SERVICE_ENDPOINTS.Groq: service names are lowercase letters, digits, "-" and "_"',
    ])
    expect(schemaErrors(ServiceEndpoints, ['https://a/v1'], 'SERVICE_ENDPOINTS')).toEqual([
      'SERVICE_ENDPOINTS: must be a JSON object {"service": ["https://base/v1", ...]}',
    ])
  })
})
