/**
 * What a Responses request must hold before lmlb routes it: a model, and
 * input (if any) as a string or a list of items. The rest is the upstream's
 * (or the translation's) to judge, so further fields pass.
 */
import { expect, test } from 'bun:test'
import { checkResponses } from '../../../src/apis/openai-responses/inbound'

test('passes: input as a string, as a list of anything, or absent (a stored prompt); further fields too', () => {
  expect(checkResponses.Check({ model: 'gpt-5', input: 'Hi' })).toBe(true)
  expect(checkResponses.Check({ model: 'gpt-5', input: [{ role: 'user', content: 'Hi' }, 'odd'] })).toBe(true)
  expect(checkResponses.Check({ model: 'gpt-5', previous_response_id: 'resp_1', stream: true, reasoning: { effort: 'low' } })).toBe(true)
})

test('refused: no model or an empty one; input that is an object, a number or null', () => {
  for (const body of [
    { input: 'Hi' },
    { model: '', input: 'Hi' },
    { model: 'gpt-5', input: { role: 'user' } },
    { model: 'gpt-5', input: 1 },
    { model: 'gpt-5', input: null },
  ])
    expect(checkResponses.Check(body)).toBe(false)
})

test('refused: stream that is not a boolean; a body that is not an object', () => {
  expect(checkResponses.Check({ model: 'gpt-5', stream: 'yes' })).toBe(false)
  for (const body of [null, [], 'gpt-5']) expect(checkResponses.Check(body)).toBe(false)
})
