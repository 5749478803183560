import { describe, expect, test } from 'bun:test'
import { PinTable, type Pin } from '../../src/balancer/pins'
import { Quota } from '../../src/balancer/quota'
import { cooledEvent, keyEvent, parseEvent, pinEvent, storedAs } from '../../src/cluster/shared-events'

const NOW = 1_800_000_000_000
const KEY = 'sk-events-secret-value-0001'

describe('what crosses Redis', () => {
  test('each kind is stored under a name of its own for as long as it says anything, with no key or session in it', () => {
    const cooled = cooledEvent({ service: 'openai', key: KEY, until: NOW + 5_000 })
    const disabled = keyEvent({
      service: 'openai',
      key: KEY,
      disabled: { reason: 'invalid_key', since: NOW - 1_000, by: 'lmlb' },
      at: NOW - 1_000,
    })
    const enabled = keyEvent({ service: 'openai', key: KEY, at: NOW - 1_000 })
    const endpoint = cooledEvent({ service: 'openai', endpoint: 'http://127.0.0.1:9/v1', until: NOW + 2_000 })
    const pin = pinEvent('0123456789abcdef\u0000openai/gpt-4o', {
      service: 'openai',
      model: 'gpt-4o',
      key: KEY,
      endpoint: 'http://127.0.0.1:9/v1',
      expiresAt: NOW + 300_000,
    })
    const quota = {
      kind: 'quota' as const,
      service: 'openai',
      keyHash: 'abc',
      limits: { requests: { remaining: 0, resetAt: NOW + 30_000 }, tokens: { remaining: 10, resetAt: NOW + 60_000 } },
      at: NOW,
    }
    expect([cooled, disabled, enabled, endpoint, quota, pin].map((e) => storedAs('p', e, NOW).ttlMs)).toEqual([
      5_000,
      30 * 86_400_000 - 1_000,
      3_599_000,
      2_000,
      60_000,
      300_000,
    ])
    // The latest word on a key replaces the one before.
    expect(storedAs('p', disabled, NOW).name).toBe(storedAs('p', enabled, NOW).name)
    expect(storedAs('p', disabled, NOW).name).toMatch(/^p:key:openai:[0-9a-f]{16}$/)
    expect(storedAs('p', cooled, NOW).name).toMatch(/^p:cooled:openai:[0-9a-f]{16}$/)
    expect(storedAs('p', pin, NOW).name).toMatch(/^p:pin:[0-9a-f]{16}$/)
    // Past its end it says nothing: not stored.
    expect(storedAs('p', cooled, NOW + 6_000).ttlMs).toBe(0)
    for (const e of [cooled, disabled, enabled, pin]) expect(JSON.stringify(e)).not.toContain(KEY)
  })

  test('what another process sends is checked before it is used; anything else is ignored', () => {
    const bad = (event: object) => JSON.stringify({ origin: 'o', event })
    for (const junk of [
      bad({ kind: 'cooled', target: { service: 's', until: null } }),
      bad({ kind: 'quota', service: 's', keyHash: 'h', at: 1, limits: { requests: { remaining: 0, resetAt: null } } }),
      bad({ kind: 'quota', service: 's', keyHash: 'h', at: 1, limits: { requests: null } }),
      bad({ kind: 'pin', id: 'x', service: 's', model: 'm', endpoint: 'e', expiresAt: '1' }),
    ])
      expect(parseEvent(junk)).toBeUndefined()
    const good = JSON.stringify({ origin: 'o', event: cooledEvent({ service: 'openai', key: KEY, until: NOW }) })
    expect(parseEvent(good)).toMatchObject({ origin: 'o', event: { kind: 'cooled' } })
    expect(parseEvent('{"origin":"o","hello":true}')).toBe('hello')
    for (const junk of [
      '',
      'null',
      '[]',
      '{"origin":1}',
      '{"origin":"o","event":{"kind":"quota","service":"s","keyHash":"h","limits":null,"at":1}}',
      '{"origin":"o","event":{"kind":"pin","id":"x"}}',
      '{"origin":"o","event":{"kind":"other"}}',
    ])
      expect(parseEvent(junk)).toBeUndefined()
  })

  test('a pin read back from another instance is taken unless the one here lasts longer, or the table is full', () => {
    const pins = new PinTable(10)
    const pin = (key: string, expiresAt: number): Pin => ({ service: 'openai', model: 'gpt-4o', key, endpoint: 'e', expiresAt })
    pins.adopt('s', pin('a', NOW + 10))
    pins.adopt('s', pin('b', NOW + 5))
    expect(pins.get('s', NOW)?.key).toBe('a')
    pins.adopt('s', pin('c', NOW + 20))
    expect(pins.get('s', NOW)?.key).toBe('c')
    // Full: what is read back does not push out the sessions served here.
    const full = new PinTable(2)
    full.set('mine-1', pin('a', NOW + 10))
    full.set('mine-2', pin('a', NOW + 10))
    full.adopt('theirs', pin('b', NOW + 10))
    expect([full.get('mine-1', NOW)?.key, full.get('mine-2', NOW)?.key, full.get('theirs', NOW)]).toEqual(['a', 'a', undefined])
  })

  test('a quota report replaces the one held only when it is newer (reports from other instances arrive late)', () => {
    const quota = new Quota()
    quota.observe({ requests: { remaining: 0, resetAt: NOW + 30_000 } }, NOW)
    quota.observe({ requests: { remaining: 50, resetAt: NOW + 30_000 } }, NOW - 1_000)
    expect(quota.allows(NOW)).toBe(false)
    quota.observe({ requests: { remaining: 50, resetAt: NOW + 30_000 } }, NOW + 1)
    expect(quota.allows(NOW)).toBe(true)
  })
})
