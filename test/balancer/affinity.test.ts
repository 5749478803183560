/**
 * Session affinity sends a conversation's next turn to the key and endpoint
 * that served it last, where its prompt cache lives, but only when both can
 * serve now; otherwise it says why, and the strategy picks as usual. A pin
 * that wins must claim its targets like any pick (a key past its cooldown
 * serves one probe at a time), and only the first pick of a request may
 * follow the pin.
 */
import { describe, expect, test } from 'bun:test'
import { AffinityCounters, pinnedChooser, takePinned, type RepinReason } from '../../src/balancer/affinity'
import { singleChooser, type Choice } from '../../src/balancer/choosers'
import type { Pin } from '../../src/balancer/pins'
import { ServicePool } from '../../src/balancer/service-pool'
import type { ServiceConfig } from '../../src/config/schema'

const t0 = Date.parse('2026-01-01T00:00:00Z')
const KEYS = ['sk-key-aaaaaaaaaaaa', 'sk-key-bbbbbbbbbbbb']
const URLS = ['https://a.example/v1', 'https://b.example/v1']

const service = (name = 'openai', keys = KEYS, urls = URLS) =>
  ({
    name,
    format: 'openai',
    apis: ['chat'],
    endpoints: urls.map((url) => ({ url, weight: 1, priority: 0 })),
    keys: keys.map((value) => ({ value, weight: 1, priority: 0 })),
    strategy: 'round-robin',
    headers: {},
    rename: {},
    keysRequired: keys.length > 0,
    keyVariables: 'OPENAI_API_KEYS',
  }) as unknown as ServiceConfig

/** Pinned to the second key and endpoint: round-robin would pick the first. */
const pin = (more: Partial<Pin> = {}): Pin => ({
  service: 'openai',
  model: 'gpt-4o',
  key: KEYS[1],
  endpoint: URLS[1],
  expiresAt: t0 + 300_000,
  ...more,
})

const setup = () => {
  const pool = new ServicePool(service())
  return { pool, chooser: singleChooser(pool, 'gpt-4o'), keys: pool.keys.items, endpoints: pool.endpoints.items }
}

const targetOf = (found: Choice | RepinReason) => {
  if (typeof found === 'string') throw new Error(`expected a choice, got ${found}`)
  return found.target
}

describe('takePinned', () => {
  test('both pinned targets can serve: they are chosen, with the pinned model', () => {
    const { chooser, keys, endpoints, pool } = setup()
    const found = takePinned(pin(), chooser, t0, 0)
    expect(targetOf(found)).toEqual({ key: keys[1], endpoint: endpoints[1] })
    expect((found as Choice).deployment).toEqual({ pool, model: 'gpt-4o' })
  })

  test('gone: another service, a model this chooser does not serve, a key or endpoint no longer configured', () => {
    const { chooser } = setup()
    expect(takePinned(pin({ service: 'groq' }), chooser, t0, 0)).toBe('gone')
    expect(takePinned(pin({ model: 'gpt-4.1' }), chooser, t0, 0)).toBe('gone')
    expect(takePinned(pin({ key: 'sk-key-removed-000' }), chooser, t0, 0)).toBe('gone')
    expect(takePinned(pin({ endpoint: 'https://c.example/v1' }), chooser, t0, 0)).toBe('gone')
    // Pinned keyless, but the service has keys now.
    expect(takePinned(pin({ key: undefined }), chooser, t0, 0)).toBe('gone')
  })

  test('why not: a key disabled (before cooling), a key or endpoint cooling, a key whose quota is spent', () => {
    const disabled = setup()
    disabled.keys[1].health.failed(t0)
    disabled.keys[1].health.disable({ reason: 'invalid_key', since: t0, by: 'lmlb' })
    expect(takePinned(pin(), disabled.chooser, t0, 0)).toBe('disabled')

    const keyCooling = setup()
    keyCooling.keys[1].health.failed(t0, 5_000)
    expect(takePinned(pin(), keyCooling.chooser, t0 + 4_999, 0)).toBe('cooling')
    expect(targetOf(takePinned(pin(), keyCooling.chooser, t0 + 5_000, 0)).key).toBe(keyCooling.keys[1])

    const endpointCooling = setup()
    endpointCooling.endpoints[1].health.failed(t0, 5_000)
    expect(takePinned(pin(), endpointCooling.chooser, t0, 0)).toBe('cooling')

    const spent = setup()
    spent.keys[1].quota.observe({ tokens: { remaining: 100, resetAt: t0 + 60_000 } }, t0)
    expect(targetOf(takePinned(pin(), spent.chooser, t0, 100)).key).toBe(spent.keys[1])
    expect(takePinned(pin(), spent.chooser, t0, 101)).toBe('quota')
  })

  test('a key past its cooldown is claimed as the probe: a second request pinned there meanwhile is turned away', () => {
    const { chooser, keys } = setup()
    keys[1].health.failed(t0, 1_000)
    targetOf(takePinned(pin(), chooser, t0 + 1_000, 0))
    expect(keys[1].health.state(t0 + 1_000)).toBe('probing')
    expect(takePinned(pin(), chooser, t0 + 1_000, 0)).toBe('cooling')
  })

  test('a keyless service: the pin names no key and is taken with none', () => {
    const pool = new ServicePool(service('local', [], URLS))
    const found = takePinned(pin({ service: 'local', key: undefined }), singleChooser(pool, 'gpt-4o'), t0, 0)
    expect(targetOf(found)).toEqual({ key: undefined, endpoint: pool.endpoints.items[1] })
  })
})

describe('pinnedChooser', () => {
  test('the first pick follows the pin and reports it; later picks (retries) are the strategy’s own', () => {
    const { chooser, keys } = setup()
    const seen: (Choice | RepinReason)[] = []
    const pinned = pinnedChooser(chooser, pin(), 0, (found) => seen.push(found))
    expect(pinned.pick(t0)?.target.key).toBe(keys[1])
    expect(pinned.pick(t0)?.target.key).toBe(keys[0])
    expect(pinned.pick(t0)?.target.key).toBe(keys[1])
    expect(seen).toHaveLength(1)
    expect(typeof seen[0]).toBe('object')
  })

  test('a pin that cannot serve: the first pick is the strategy’s, and onFirst learns why', () => {
    const { chooser, keys } = setup()
    keys[1].health.failed(t0, 10_000)
    const seen: (Choice | RepinReason)[] = []
    const pinned = pinnedChooser(chooser, pin(), 0, (found) => seen.push(found))
    expect(pinned.pick(t0)?.target.key).toBe(keys[0])
    expect(seen).toEqual(['cooling'])
    expect(pinned.pools).toBe(chooser.pools)
    expect(pinned.serves('openai', 'gpt-4o')).toBe(true)
  })
})

test('AffinityCounters counts each reason for leaving a pin apart', () => {
  const counters = new AffinityCounters()
  for (const why of ['cooling', 'quota', 'cooling'] as RepinReason[]) counters.repinned(why)
  expect(counters.repins).toEqual({ cooling: 2, quota: 1 })
})
