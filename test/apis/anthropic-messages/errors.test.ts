/**
 * Anthropic's SDK picks its exception class by `error.type`, so each status
 * must get the type Anthropic itself gives it, and a status the table does
 * not name must still land on the right side of 500.
 */
import { describe, expect, test } from 'bun:test'
import { anthropicErrorBody, anthropicErrorType } from '../../../src/apis/anthropic-messages/errors'

describe('anthropicErrorType', () => {
  test("each status Anthropic documents gets Anthropic's type", () => {
    const expected: Record<number, string> = {
      400: 'invalid_request_error',
      401: 'authentication_error',
      403: 'permission_error',
      404: 'not_found_error',
      413: 'request_too_large',
      429: 'rate_limit_error',
      500: 'api_error',
      503: 'overloaded_error',
      504: 'timeout_error',
      529: 'overloaded_error',
    }
    for (const [status, type] of Object.entries(expected)) expect(anthropicErrorType(Number(status))).toBe(type)
  })

  test('an unnamed status: api_error from 500 up, invalid_request_error below', () => {
    for (const status of [501, 505, 520, 599]) expect(anthropicErrorType(status)).toBe('api_error')
    for (const status of [402, 405, 408, 409, 422, 499]) expect(anthropicErrorType(status)).toBe('invalid_request_error')
  })
})

test('anthropicErrorBody: the `type: error` envelope with the message as given', () => {
  expect(anthropicErrorBody(401, 'bad key "x"')).toEqual({ type: 'error', error: { type: 'authentication_error', message: 'bad key "x"' } })
})
