/**
 * ProxyError is the one error lmlb raises; http/errors.ts turns it into the
 * client's error shape. It must carry the status, the machine-readable code,
 * the message and any headers (Retry-After, rate limits) as given.
 */
import { expect, test } from 'bun:test'
import { ProxyError } from '../src/errors'

test('status, code, message and headers as given; an Error with a stack', () => {
  const e = new ProxyError(429, 'rate_limit_exceeded', 'slow down', { 'retry-after': '3' })
  expect(e).toBeInstanceOf(Error)
  expect([e.status, e.code, e.message]).toEqual([429, 'rate_limit_exceeded', 'slow down'])
  expect(e.headers).toEqual({ 'retry-after': '3' })
  expect(e.stack).toContain('slow down')
})

test('no headers given: an empty set of its own, not shared between errors', () => {
  const a = new ProxyError(400, 'bad', 'a')
  const b = new ProxyError(400, 'bad', 'b')
  expect(a.headers).toEqual({})
  a.headers['x-test'] = '1'
  expect(b.headers).toEqual({})
})

test('thrown and caught, it is told apart from other errors', () => {
  const caught = (() => {
    try {
      throw new ProxyError(503, 'overloaded', 'busy')
    } catch (e) {
      return e
    }
  })()
  expect(caught instanceof ProxyError && caught.status).toBe(503)
  expect(new Error('x') instanceof ProxyError).toBe(false)
})
