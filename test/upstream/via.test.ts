import { expect, test } from 'bun:test'
import { Hop } from '../../src/upstream/via'

test('Via: the client hops kept, this one added; only this instance’s own hop is a loop', () => {
  const hop = new Hop('0123456789abcdef-instance')
  expect(hop.header(null)).toBe('1.1 lmlb-0123456789ab')
  expect(hop.header('1.1 corp-proxy')).toBe('1.1 corp-proxy, 1.1 lmlb-0123456789ab')
  expect(hop.cameBack(new Headers({ via: '1.1 corp-proxy, 1.1 lmlb-0123456789ab' }))).toBe(true)
  expect(hop.cameBack(new Headers({ via: '1.1 lmlb-fedcba987654' }))).toBe(false)
  expect(hop.cameBack(new Headers())).toBe(false)
})
