import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { PinTable, type Pin } from '../../src/balancer/pins'

const pin = (expiresAt: number, service = 's'): Pin => ({ service, model: 'm', key: 'k', endpoint: 'e', expiresAt })

describe('PinTable', () => {
  test('a pin lives until it expires; touching it keeps it from eviction', () => {
    const t = new PinTable(2)
    t.set('a', pin(100))
    t.set('b', pin(100))
    expect(t.get('a', 50)).toBeDefined() // a is now the most recent
    t.set('c', pin(100)) // evicts b, the least recently used
    expect([t.get('a', 50), t.get('b', 50), t.get('c', 50)].map(Boolean)).toEqual([true, false, true])
    expect(t.get('a', 100)).toBeUndefined()
    expect(t.size).toBe(1)
  })

  test('live pins per service', () => {
    const t = new PinTable(10)
    t.set('a', pin(100, 'x'))
    t.set('b', pin(100, 'x'))
    t.set('c', pin(10, 'y'))
    expect([...t.countByService(50)]).toEqual([['x', 2]])
  })

  test('property: under any traffic the table never holds more than its bound', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 200 })), { maxLength: 400 }),
        (max, ops) => {
          const t = new PinTable(max)
          for (const [isSet, id, now] of ops) {
            if (isSet) t.set(String(id), pin(now + 50))
            else t.get(String(id), now)
            if (t.size > max) return false
          }
          return true
        },
      ),
    )
  })
})
