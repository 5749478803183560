/**
 * Every API says an error in its own shape: a whole answer's body, and the
 * last event of a stream that has begun. A client's SDK reads only its own
 * dialect, so a wrong shape there is an error the client cannot read.
 */
import { describe, expect, test } from 'bun:test'
import { API_LABEL, errorBody, errorEvent, type WireApi } from '../../src/apis'

/** One SSE event, as a client reads it: its name (if any) and its data parsed. */
function readEvent(sse: string): { event?: string; data: any } {
  expect(sse.endsWith('\n\n')).toBe(true)
  const lines = sse.slice(0, -2).split('\n')
  const event = lines[0].startsWith('event: ') ? lines.shift()!.slice('event: '.length) : undefined
  expect(lines).toHaveLength(1)
  expect(lines[0].startsWith('data: ')).toBe(true)
  return { event, data: JSON.parse(lines[0].slice('data: '.length)) }
}

describe('errorBody', () => {
  test("Messages: Anthropic's envelope, typed by status, no code", () => {
    expect(errorBody('messages', 429, 'rate_limit_exceeded', 'slow down')).toEqual({
      type: 'error',
      error: { type: 'rate_limit_error', message: 'slow down' },
    })
  })

  test("Chat and Responses: OpenAI's envelope with the code", () => {
    for (const api of ['chat', 'responses'] as const) {
      expect(errorBody(api, 404, 'model_not_found', 'no such model')).toEqual({
        error: { message: 'no such model', type: 'invalid_request_error', param: null, code: 'model_not_found' },
      })
    }
  })
})

describe('errorEvent', () => {
  test('Messages: an `event: error` whose data is the error body', () => {
    const { event, data } = readEvent(errorEvent('messages', 529, 'overloaded', 'busy'))
    expect(event).toBe('error')
    expect(data).toEqual(errorBody('messages', 529, 'overloaded', 'busy'))
    expect(data.error.type).toBe('overloaded_error')
  })

  test('Chat: an unnamed data-only event holding the error body', () => {
    const sse = errorEvent('chat', 502, 'upstream_error', 'bad gateway')
    expect(sse.startsWith('data: ')).toBe(true)
    const { event, data } = readEvent(sse)
    expect(event).toBeUndefined()
    expect(data).toEqual({ error: { message: 'bad gateway', type: 'server_error', param: null, code: 'upstream_error' } })
  })

  test('Responses: a `response.failed` event carrying the code and message in a failed response', () => {
    const { event, data } = readEvent(errorEvent('responses', 500, 'upstream_error', 'it broke'))
    expect(event).toBe('response.failed')
    expect(data.type).toBe('response.failed')
    expect(data.response).toMatchObject({ object: 'response', status: 'failed', error: { code: 'upstream_error', message: 'it broke' } })
    expect(data.response.id).toMatch(/^resp_/)
  })

  test('a message with quotes and line breaks stays one data line and reads back as it was', () => {
    const message = 'line one\nline "two"\r\nthree'
    for (const api of ['messages', 'chat', 'responses', 'gemini'] as WireApi[]) {
      const { data } = readEvent(errorEvent(api, 400, 'bad', message))
      expect(data.error?.message ?? data.response.error.message).toBe(message)
    }
  })
})

test('API_LABEL keeps the names the request log and /metrics have always used', () => {
  expect(API_LABEL).toEqual({ messages: 'anthropic', chat: 'openai', responses: 'responses', gemini: 'gemini' })
})
