/**
 * OpenAI's other endpoints are routed by `model` alone: required where the
 * upstream has no default (embeddings, completions, speech), optional where
 * it has one (moderations, images), never empty, and the rest passes.
 */
import { expect, test } from 'bun:test'
import { checkModelOptional, checkModelRequired, DEFAULT_MODELS } from '../../../src/apis/openai-extras/inbound'

test('model required: present passes with any other field; missing, empty or not a string is refused', () => {
  expect(checkModelRequired.Check({ model: 'text-embedding-3-small', input: ['a', 'b'], dimensions: 256 })).toBe(true)
  for (const body of [{ input: 'a' }, { model: '' }, { model: 3 }, null, []]) expect(checkModelRequired.Check(body)).toBe(false)
})

test('model optional: absent passes, but a model given must still be a non-empty string', () => {
  expect(checkModelOptional.Check({ input: 'text to moderate' })).toBe(true)
  expect(checkModelOptional.Check({ model: 'omni-moderation-latest', input: 'x' })).toBe(true)
  for (const body of [{ model: '' }, { model: null }, { model: 1 }]) expect(checkModelOptional.Check(body)).toBe(false)
})

test('stream, when given, is a boolean in both', () => {
  for (const check of [checkModelRequired, checkModelOptional]) {
    expect(check.Check({ model: 'm', stream: true })).toBe(true)
    expect(check.Check({ model: 'm', stream: 'true' })).toBe(false)
  }
})

test("the default models are OpenAI's", () => {
  expect(DEFAULT_MODELS).toEqual({ moderations: 'omni-moderation-latest', imagesGenerations: 'dall-e-2' })
})
