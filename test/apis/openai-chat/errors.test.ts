/**
 * OpenAI's SDKs read `error.type` and `error.code`; every OpenAI route
 * shares the shape. Each status must get OpenAI's type, and an unnamed one
 * must land on the right side of 500.
 */
import { describe, expect, test } from 'bun:test'
import { openaiErrorBody, openaiErrorType } from '../../../src/apis/openai-chat/errors'

describe('openaiErrorType', () => {
  test("each status gets OpenAI's type (404 and 413 are invalid requests there)", () => {
    expect(openaiErrorType(400)).toBe('invalid_request_error')
    expect(openaiErrorType(401)).toBe('authentication_error')
    expect(openaiErrorType(403)).toBe('permission_error')
    expect(openaiErrorType(404)).toBe('invalid_request_error')
    expect(openaiErrorType(413)).toBe('invalid_request_error')
    expect(openaiErrorType(429)).toBe('rate_limit_error')
  })

  test('from 500 up: server_error; any other status below: invalid_request_error', () => {
    for (const status of [500, 502, 503, 504, 529]) expect(openaiErrorType(status)).toBe('server_error')
    for (const status of [402, 405, 408, 422, 499]) expect(openaiErrorType(status)).toBe('invalid_request_error')
  })
})

test('openaiErrorBody: message, type, a null param and the code, under `error`', () => {
  const body = openaiErrorBody(429, 'rate_limit_exceeded', 'too many')
  expect(body).toEqual({ error: { message: 'too many', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } })
  expect(Object.keys(body)).toEqual(['error'])
})
