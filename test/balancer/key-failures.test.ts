/** Refusals (balancer/key-failures.ts): one endpoint's run of refused keys, and when it becomes the endpoint's fault. */
import { expect, test } from 'bun:test'
import { Refusals, SHARED_RUN_KEYS, SHARED_WINDOW_MS } from '../../src/balancer/key-failures'

/** A pool of `size` keys, each disabled when the run says it is the key's. */
function run(size: number) {
  const r = new Refusals<string>()
  const disabled = new Set<string>()
  const refuse = (key: string, at = 0, signature = '403 permission_denied') => {
    const blame = r.refused(key, signature, at, () => size - disabled.size)
    if (blame.on === 'key') {
      disabled.add(key)
      r.disabled(key)
    } else for (const k of blame.restore) disabled.delete(k)
    return blame
  }
  return { r, refuse, disabled }
}

test('every key in rotation refused alike makes it the endpoint’s: the keys the run disabled come back', () => {
  const { refuse, disabled } = run(3)
  expect(refuse('a')).toEqual({ on: 'key' })
  expect(refuse('b')).toEqual({ on: 'key' })
  expect(refuse('c')).toEqual({ on: 'endpoint', found: true, restore: ['a', 'b'] })
  expect(disabled.size).toBe(0)
  // Found once; while it lasts, each later refusal is the endpoint's, however far apart.
  expect(refuse('a', 10 * SHARED_WINDOW_MS)).toEqual({ on: 'endpoint', found: false, restore: [] })
})

test('a pool whose other keys serve loses only its dead ones; the last key is never disabled for a shared refusal', () => {
  const six = run(6)
  for (const k of ['b', 'c', 'd', 'e', 'f']) expect(six.refuse(k).on).toBe('key')
  expect(six.disabled.size).toBe(5)
  const two = run(2)
  two.refuse('a')
  expect(two.refuse('b').on).toBe('endpoint')
  expect(two.disabled.size).toBe(0)
})

test(`in a pool larger than ${SHARED_RUN_KEYS}, ${SHARED_RUN_KEYS} keys in a row do`, () => {
  const big = run(1000)
  const keys = Array.from({ length: SHARED_RUN_KEYS }, (_, i) => `k${i}`)
  expect(keys.map((k) => big.refuse(k).on)).toEqual([...Array(SHARED_RUN_KEYS - 1).fill('key'), 'endpoint'])
})

test('a success at the endpoint, another refusal, the same key again, or a long pause: not one run', () => {
  const { r, refuse } = run(3)
  refuse('a', 0, '401 invalid_key')
  r.answered()
  expect(refuse('b', 1, '401 invalid_key').on).toBe('key')
  expect(refuse('c', 2).on).toBe('key')
  const again = run(3)
  again.refuse('c', 3)
  expect(again.refuse('c', 4).on).toBe('key')
  const slow = run(2)
  slow.refuse('a', 0)
  expect(slow.refuse('b', 1 + SHARED_WINDOW_MS).on).toBe('key')
})
