/**
 * What a Messages request must hold before lmlb routes it: a model to route
 * by, messages with roles, a positive whole max_tokens, a boolean stream if
 * any. Everything else is the upstream's to judge, so further fields pass.
 */
import { describe, expect, test } from 'bun:test'
import { checkAnthropic, checkAnthropicCountTokens } from '../../../src/apis/anthropic-messages/inbound'

const ok = { model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'Hi' }] }

describe('checkAnthropic', () => {
  test('a minimal request passes, and so does one with fields lmlb does not read', () => {
    expect(checkAnthropic.Check(ok)).toBe(true)
    expect(checkAnthropic.Check({ ...ok, stream: true, system: [{ type: 'text', text: 's' }], thinking: { type: 'adaptive' } })).toBe(true)
    expect(checkAnthropic.Check({ ...ok, messages: [{ role: 'user', content: [{ type: 'image' }], extra: 1 }] })).toBe(true)
  })

  test('refused: no model or an empty one, a model that is not a string', () => {
    const { model: _, ...noModel } = ok
    for (const body of [noModel, { ...ok, model: '' }, { ...ok, model: 7 }, { ...ok, model: null }])
      expect(checkAnthropic.Check(body)).toBe(false)
  })

  test('refused: max_tokens missing, zero, negative, fractional or a string', () => {
    const { max_tokens: _, ...none } = ok
    for (const body of [none, { ...ok, max_tokens: 0 }, { ...ok, max_tokens: -1 }, { ...ok, max_tokens: 1.5 }, { ...ok, max_tokens: '10' }])
      expect(checkAnthropic.Check(body)).toBe(false)
  })

  test('refused: messages not an array, a message without a role or content, stream not a boolean', () => {
    for (const body of [
      { ...ok, messages: 'Hi' },
      { ...ok, messages: [{ content: 'Hi' }] },
      { ...ok, messages: [{ role: 'user' }] },
      { ...ok, messages: [{ role: 1, content: 'Hi' }] },
      { ...ok, stream: 'true' },
      { ...ok, stream: null },
    ])
      expect(checkAnthropic.Check(body)).toBe(false)
  })

  test('refused: a body that is not an object', () => {
    for (const body of [null, [], 'x', 1]) expect(checkAnthropic.Check(body)).toBe(false)
  })
})

test('count_tokens: no max_tokens needed, but a model and messages are', () => {
  const { max_tokens: _, ...count } = ok
  expect(checkAnthropicCountTokens.Check(count)).toBe(true)
  expect(checkAnthropicCountTokens.Check({ ...count, model: '' })).toBe(false)
  expect(checkAnthropicCountTokens.Check({ model: 'm' })).toBe(false)
})
