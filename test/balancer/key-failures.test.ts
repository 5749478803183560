/** Refusals (balancer/key-failures.ts): one endpoint's run of refused keys, and when it becomes the endpoint's fault. */
import { expect, test } from 'bun:test'
import { Refusals, SHARED_WINDOW_MS } from '../../src/balancer/key-failures'
const [a, b, c, d] = ['a', 'b', 'c', 'd']
const notLast = () => false

test('the first refusal is the key’s; three keys refused alike make it the endpoint’s, and the keys it disabled come back', () => {
  const r = new Refusals<string>()
  expect(r.refused(a, '403 permission_denied', 0, 10, notLast)).toEqual({ on: 'key' })
  r.disabled(a)
  expect(r.refused(b, '403 permission_denied', 1, 10, notLast)).toEqual({ on: 'key' })
  r.disabled(b)
  expect(r.refused(c, '403 permission_denied', 2, 10, notLast)).toEqual({ on: 'endpoint', found: true, restore: [a, b] })
  // Found once; while it lasts, each later refusal is the endpoint's, however far apart.
  expect(r.refused(d, '403 permission_denied', 2 + 10 * SHARED_WINDOW_MS, 10, notLast)).toEqual({
    on: 'endpoint',
    found: false,
    restore: [],
  })
})

test('two keys do where the pool has two, or where the second would be the last one enabled', () => {
  const two = new Refusals<string>()
  two.refused(a, '401 invalid_key', 0, 2, notLast)
  expect(two.refused(b, '401 invalid_key', 1, 2, notLast).on).toBe('endpoint')
  const last = new Refusals<string>()
  last.refused(a, '401 invalid_key', 0, 10, notLast)
  expect(last.refused(b, '401 invalid_key', 1, 10, () => true).on).toBe('endpoint')
})

test('a success at the endpoint, another refusal, the same key again, or a long pause: not one run', () => {
  const r = new Refusals<string>()
  r.refused(a, '401 invalid_key', 0, 3, notLast)
  r.answered()
  expect(r.refused(b, '401 invalid_key', 1, 3, notLast).on).toBe('key')
  expect(r.refused(c, '403 permission_denied', 2, 3, notLast).on).toBe('key')
  expect(r.refused(c, '403 permission_denied', 3, 3, notLast).on).toBe('key')
  expect(r.refused(a, '403 permission_denied', 4 + SHARED_WINDOW_MS, 3, notLast).on).toBe('key')
  expect(r.refused(b, '403 permission_denied', 5 + SHARED_WINDOW_MS, 3, notLast).on).toBe('key')
  expect(r.refused(c, '403 permission_denied', 6 + SHARED_WINDOW_MS, 3, notLast).on).toBe('endpoint')
})
