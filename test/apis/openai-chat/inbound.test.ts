/**
 * What a Chat Completions request must hold before lmlb routes it: a model,
 * at least one message with a role, a boolean stream if any. The rest is
 * the upstream's to judge, so further fields pass.
 */
import { expect, test } from 'bun:test'
import { checkOpenAI } from '../../../src/apis/openai-chat/inbound'

const ok = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }] }

test('a minimal request passes, and so do fields lmlb does not read (a message with no content included)', () => {
  expect(checkOpenAI.Check(ok)).toBe(true)
  expect(checkOpenAI.Check({ ...ok, stream: false, tools: [], stream_options: { include_usage: true } })).toBe(true)
  expect(checkOpenAI.Check({ ...ok, messages: [{ role: 'assistant', tool_calls: [] }] })).toBe(true)
})

test('refused: no model, an empty one, or one that is not a string', () => {
  for (const body of [{ messages: ok.messages }, { ...ok, model: '' }, { ...ok, model: ['gpt-4o'] }])
    expect(checkOpenAI.Check(body)).toBe(false)
})

test('refused: no messages, an empty list, a message without a string role', () => {
  for (const body of [
    { model: 'm' },
    { ...ok, messages: [] },
    { ...ok, messages: [{ content: 'Hi' }] },
    { ...ok, messages: [{ role: null }] },
  ])
    expect(checkOpenAI.Check(body)).toBe(false)
})

test('refused: stream that is not a boolean; a body that is not an object', () => {
  expect(checkOpenAI.Check({ ...ok, stream: 1 })).toBe(false)
  for (const body of [null, [ok], 'x']) expect(checkOpenAI.Check(body)).toBe(false)
})
