/**
 * CallSlots: the bound on upstream calls in flight in one process. The
 * configured bound, capped by what the process allows; a call past it is
 * refused at once, and a released slot serves the next call.
 */
import { expect, test } from 'bun:test'
import { CallSlots } from '../../src/upstream/call-slots'

test('the bound in force is the configured one, capped by the process bound', () => {
  const slots = new CallSlots(100)
  expect(slots.bound(10)).toBe(10)
  expect(slots.bound(1_000)).toBe(100)
  expect(new CallSlots().bound(65_535)).toBe(65_535)
})

test('a process bound is a whole number of at least one', () => {
  expect(new CallSlots(7.9).bound(100)).toBe(7)
  expect(new CallSlots(0).bound(100)).toBe(1)
  expect(new CallSlots(-5).bound(100)).toBe(1)
})

test('take succeeds up to the bound, then refuses until a slot is released', () => {
  const slots = new CallSlots()
  expect(slots.take(2)).toBe(true)
  expect(slots.take(2)).toBe(true)
  expect(slots.take(2)).toBe(false)
  slots.release()
  expect(slots.take(2)).toBe(true)
  expect(slots.take(2)).toBe(false)
})

test('the process bound refuses calls the configured bound would allow', () => {
  const slots = new CallSlots(1)
  expect(slots.take(10)).toBe(true)
  expect(slots.take(10)).toBe(false)
})

test('a lowered configured bound (a reload) applies to the calls already in flight', () => {
  const slots = new CallSlots()
  for (let i = 0; i < 3; i++) expect(slots.take(5)).toBe(true)
  expect(slots.take(3)).toBe(false)
  slots.release()
  expect(slots.take(3)).toBe(true)
})

test('releasing more than was taken never leaves spare slots', () => {
  const slots = new CallSlots()
  slots.release()
  slots.release()
  expect(slots.take(1)).toBe(true)
  expect(slots.take(1)).toBe(false)
})
