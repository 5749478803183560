import { describe, expect, test } from 'bun:test'
import { Health } from '../../src/balancer/health'

describe('Health', () => {
  test('a failure cools down with a backoff doubling from 1 s to at most 60 s', () => {
    const h = new Health()
    const waits: number[] = []
    let now = 0
    for (let i = 0; i < 8; i++) {
      h.failed(now)
      waits.push(h.recoversAt(now) - now)
      now = h.recoversAt(now)
    }
    expect(waits).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000])
  })

  test('Retry-After sets the wait; a later failure extends, never shortens', () => {
    const h = new Health()
    h.failed(0, 30_000)
    expect(h.available(29_999)).toBe(false)
    h.failed(1_000, 5_000)
    expect(h.recoversAt(1_000)).toBe(30_000)
    h.failed(2_000, 60_000)
    expect(h.recoversAt(2_000)).toBe(62_000)
  })

  test('after a cooldown one request alone probes; its success makes the target healthy', () => {
    const h = new Health()
    h.failed(0)
    expect(h.available(500)).toBe(false)
    expect(h.available(1000)).toBe(true)
    h.claim()
    expect(h.state(1000)).toBe('probing')
    expect(h.available(1000)).toBe(false) // the probe is out: others wait
    h.succeeded()
    expect(h.state(1000)).toBe('healthy')
    expect(h.available(1000)).toBe(true)
    h.claim()
    expect(h.available(1000)).toBe(true) // a healthy target takes any number
  })

  test('a failed probe cools longer; an abandoned one frees the probe slot', () => {
    const h = new Health()
    h.failed(0)
    h.claim()
    h.failed(1000)
    expect(h.recoversAt(1000)).toBe(3000)
    h.claim()
    h.released()
    expect(h.available(3000)).toBe(true)
  })

  test('a disabled key stays out until it is enabled, and comes back afresh', () => {
    const h = new Health()
    h.failed(0, 5_000)
    expect(h.disable({ reason: 'invalid_key', since: 10, by: 'lmlb' })).toBe(true)
    expect(h.available(1e12)).toBe(false)
    expect(h.recoversAt(0)).toBe(Infinity)
    expect(h.state(0)).toBe('disabled')
    expect(h.enable(20)).toBe(true)
    expect(h.state(20)).toBe('healthy')
    expect(h.available(20)).toBe(true)
    expect(h.enable(30)).toBe(false)
  })

  test('an operator’s disable holds over lmlb’s; a disable decided before the last enable is too late', () => {
    const h = new Health()
    expect(h.disable({ reason: 'operator', since: 10, by: 'operator' })).toBe(true)
    expect(h.disable({ reason: 'invalid_key', since: 11, by: 'lmlb' })).toBe(false)
    expect(h.disabled()?.by).toBe('operator')
    h.enable(50)
    expect(h.disable({ reason: 'invalid_key', since: 40, by: 'lmlb' })).toBe(false)
    expect(h.state(60)).toBe('healthy')
  })

  test('strikes count disabling failures in a row; a success starts them again', () => {
    const h = new Health()
    expect([h.strike(), h.strike()]).toEqual([1, 2])
    h.succeeded()
    expect(h.strike()).toBe(1)
  })
})
