/**
 * A Responses stream that has begun ends with `response.failed`, the event
 * Codex reads the reason from: it must carry the code and message in a
 * failed response, under an id of its own each time.
 */
import { expect, test } from 'bun:test'
import { failedResponseEvent, SequenceWatch } from '../../../src/apis/openai-responses/errors'

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

test('SequenceWatch: the next number after the last one a stream carried, whatever the chunks; 0 before any', () => {
  const watch = new SequenceWatch()
  expect(watch.next()).toBe(0)
  watch.see('event: response.created\ndata: {"type":"response.created","sequence_number":0}\n\n')
  watch.see('data: {"type":"response.output_text.delta","delta":"a","sequence_number":1}\n\ndata: {"type":"x","sequence_number": 2}\n\n')
  expect(watch.next()).toBe(3)
  watch.see('data: {"type":"response.output_text.delta","delta":"no number here"') // an event cut in two
  expect(watch.next()).toBe(3)
})
