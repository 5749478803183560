/**
 * A Responses stream that has begun ends with `response.failed`, the event
 * Codex reads the reason from: it must carry the code and message in a
 * failed response, under an id of its own each time.
 */
import { expect, test } from 'bun:test'
import { failedResponseEvent } from '../../../src/apis/openai-responses/errors'

test('a failed response with the code and message, no output', () => {
  expect(failedResponseEvent('upstream_error', 'it broke', 'resp_1')).toEqual({
    type: 'response.failed',
    response: { id: 'resp_1', object: 'response', status: 'failed', error: { code: 'upstream_error', message: 'it broke' }, output: [] },
  })
})

test('without an id given, each event gets a fresh resp_ id with no dashes', () => {
  const a = failedResponseEvent('x', 'y').response.id
  const b = failedResponseEvent('x', 'y').response.id
  expect(a).toMatch(/^resp_lmlb_[0-9a-f]{32}$/)
  expect(a).not.toBe(b)
})
