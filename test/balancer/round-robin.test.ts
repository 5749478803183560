import { describe, expect, test } from 'bun:test'
import { RoundRobin } from '../../src/balancer/round-robin'

describe('RoundRobin', () => {
  test('cycles in order', () => {
    const rr = new RoundRobin(['a', 'b', 'c'])
    expect(Array.from({ length: 7 }, () => rr.next())).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a'])
  })

  test('skips what is not usable, and keeps the order among the rest', () => {
    const rr = new RoundRobin(['a', 'b', 'c'])
    const notB = (x: string) => x !== 'b'
    expect(Array.from({ length: 4 }, () => rr.next(notB))).toEqual(['a', 'c', 'a', 'c'])
    expect(rr.next(() => false)).toBeUndefined()
  })

  test('an empty pool gives nothing', () => {
    expect(new RoundRobin<string>([]).next()).toBeUndefined()
  })
})
