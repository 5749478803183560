/** AnswerTimes (balancer/answer-times.ts): when a client's long wait counts against an endpoint. */
import { expect, test } from 'bun:test'
import { ABANDON_FACTOR, ABANDON_MIN_MS, AnswerTimes } from '../../src/balancer/answer-times'

test('a wait far longer than the endpoint usually takes counts against it; a short one, or one with nothing to compare, does not', () => {
  const t = new AnswerTimes()
  expect(t.abandonedFor('stream', 60_000)).toBe(false) // nothing known yet
  for (let i = 0; i < 5; i++) t.observe('stream', 100)
  expect(t.abandonedFor('stream', ABANDON_FACTOR * 100 - 1)).toBe(false)
  expect(t.abandonedFor('stream', ABANDON_FACTOR * 100)).toBe(true)
  // Whole answers are their own kind.
  expect(t.abandonedFor('whole', 60_000)).toBe(false)
  for (let i = 0; i < 5; i++) t.observe('whole', 5)
  expect(t.abandonedFor('whole', ABANDON_MIN_MS - 1)).toBe(false)
  expect(t.abandonedFor('whole', ABANDON_MIN_MS)).toBe(true)
})

test('the usual time moves with the answers, a fifth of the way each time', () => {
  const t = new AnswerTimes()
  for (let i = 0; i < 5; i++) t.observe('whole', 100)
  t.observe('whole', 600) // 100 + 0.2 × 500 = 200
  expect(t.abandonedFor('whole', 1_999)).toBe(false)
  expect(t.abandonedFor('whole', 2_000)).toBe(true)
})
