/**
 * Where one request may go: a single service's pool, or an alias's
 * deployments across services chosen by the alias's strategy. A chooser
 * must only hand out deployments that can serve now (keys, or none needed;
 * not cooling; quota left for this request), keep the strategy's order
 * among those, and say truthfully which service and model it serves.
 */
import { describe, expect, test } from 'bun:test'
import { aliasChooser, createAliasSelectors, isServiceable, singleChooser } from '../../src/balancer/choosers'
import { createPools, ServicePool } from '../../src/balancer/service-pool'
import type { AliasConfig, ServiceConfig, Strategy } from '../../src/config/schema'

const t0 = Date.parse('2026-01-01T00:00:00Z')

const service = (name: string, keys: string[] = [`sk-${name}-aaaaaaaaaaaa`], keysRequired = true) =>
  ({
    name,
    format: 'openai',
    apis: ['chat'],
    endpoints: [{ url: `https://${name}.example/v1`, weight: 1, priority: 0 }],
    keys: keys.map((value) => ({ value, weight: 1, priority: 0 })),
    strategy: 'round-robin',
    headers: {},
    rename: {},
    keysRequired,
    keyVariables: 'X',
  }) as unknown as ServiceConfig

const alias = (strategy: Strategy, ...targets: [string, string, number?][]): AliasConfig => ({
  strategy,
  targets: targets.map(([service, model, weight = 1], i) => ({ service, model, weight, priority: i })),
})

function chooserFor(aliasConfig: AliasConfig, services: ServiceConfig[], tokensNeeded = 0) {
  const pools = createPools(Object.fromEntries(services.map((s) => [s.name, s])))
  const selector = createAliasSelectors({ fast: aliasConfig }, pools).get('fast')!
  return { chooser: aliasChooser(selector, tokensNeeded), pools, selector }
}

const picks = (chooser: ReturnType<typeof aliasChooser>, n: number, now = t0) =>
  Array.from({ length: n }, () => {
    const c = chooser.pick(now)
    return c && `${c.deployment.pool.service.name}/${c.deployment.model}`
  })

test('isServiceable: a pool with keys, or one that needs none; not one that needs keys and has none', () => {
  expect(isServiceable(new ServicePool(service('a')))).toBe(true)
  expect(isServiceable(new ServicePool(service('local', [], false)))).toBe(true)
  expect(isServiceable(new ServicePool(service('openai', [], true)))).toBe(false)
})

describe('singleChooser', () => {
  test('picks a claimed key and endpoint of its pool, for its model; serves that service and model only', () => {
    const pool = new ServicePool(service('openai'))
    const chooser = singleChooser(pool, 'gpt-4o')
    const choice = chooser.pick(t0)
    expect(choice).toEqual({
      deployment: { pool, model: 'gpt-4o' },
      target: { key: pool.keys.items[0], endpoint: pool.endpoints.items[0] },
    })
    expect(chooser.pools).toEqual([pool])
    expect([chooser.serves('openai', 'gpt-4o'), chooser.serves('openai', 'gpt-4.1'), chooser.serves('groq', 'gpt-4o')]).toEqual([
      true,
      false,
      false,
    ])
  })

  test('the request’s token need and its skip set reach the pool: nothing when no key can take it', () => {
    const pool = new ServicePool(service('openai'))
    pool.keys.items[0].quota.observe({ tokens: { remaining: 50, resetAt: t0 + 60_000 } }, t0)
    expect(singleChooser(pool, 'm', 50).pick(t0)).toBeDefined()
    expect(singleChooser(pool, 'm', 51).pick(t0)).toBeUndefined()
    expect(singleChooser(pool, 'm').pick(t0, new Set([pool.keys.items[0]]))).toBeUndefined()
  })
})

describe('aliases', () => {
  test('createAliasSelectors: a target on a service with no pool (the mock) is left out', () => {
    const { selector } = chooserFor(alias('round-robin', ['mock', 'echo'], ['a', 'm1']), [service('a')])
    expect(selector.items.map((m) => `${m.pool.service.name}/${m.model}`)).toEqual(['a/m1'])
  })

  test("the alias's strategy decides among deployments: weighted 3:1 gives 3 to 1", () => {
    const { chooser } = chooserFor(alias('weighted', ['a', 'm1', 3], ['b', 'm2', 1]), [service('a'), service('b')])
    const got = picks(chooser, 8)
    expect(got.filter((p) => p === 'a/m1')).toHaveLength(6)
    expect(got.filter((p) => p === 'b/m2')).toHaveLength(2)
  })

  test('a deployment that cannot serve is passed over: no keys where keys are needed, or cooling; it serves again once recovered', () => {
    const { chooser, pools } = chooserFor(alias('priority', ['keyless', 'x'], ['a', 'm1'], ['b', 'm2']), [
      service('keyless', [], true),
      service('a'),
      service('b'),
    ])
    expect(picks(chooser, 2)).toEqual(['a/m1', 'a/m1'])
    pools.get('a')!.keys.items[0].health.failed(t0, 5_000)
    expect(picks(chooser, 2, t0 + 1)).toEqual(['b/m2', 'b/m2'])
    expect(picks(chooser, 1, t0 + 5_000)).toEqual(['a/m1'])
  })

  test('a deployment whose keys lack the tokens this request needs is passed over; none left: nothing', () => {
    const { chooser, pools } = chooserFor(alias('priority', ['a', 'm1'], ['b', 'm2']), [service('a'), service('b')], 500)
    pools.get('a')!.keys.items[0].quota.observe({ tokens: { remaining: 100, resetAt: t0 + 60_000 } }, t0)
    expect(picks(chooser, 1)).toEqual(['b/m2'])
    pools.get('b')!.keys.items[0].quota.observe({ tokens: { remaining: 100, resetAt: t0 + 60_000 } }, t0)
    expect(picks(chooser, 1)).toEqual([undefined])
  })

  test('pools listed once though two models share a service; serves exactly its deployments', () => {
    const { chooser } = chooserFor(alias('round-robin', ['a', 'm1'], ['a', 'm2'], ['b', 'm1']), [service('a'), service('b')])
    expect(chooser.pools.map((p) => p.service.name)).toEqual(['a', 'b'])
    expect(picks(chooser, 3).sort()).toEqual(['a/m1', 'a/m2', 'b/m1'])
    expect([chooser.serves('a', 'm2'), chooser.serves('b', 'm2'), chooser.serves('c', 'm1')]).toEqual([true, false, false])
  })

  // Finding (src/balancer/choosers.ts, aliasChooser): a key that answered 429 with `Retry-After: 0` is in the request's
  // skip set but not cooling, so its deployment still passes the filter; the priority selector picks it again, its pool
  // refuses (skip), and pick returns undefined: dispatch then ends the request with the 429 though the next deployment
  // could serve. `.failing` while that holds: it starts failing (and should become a plain test) once it is fixed.
  test.failing('a retry passes over a deployment whose only key this request saw rate limited with Retry-After: 0', () => {
    const { chooser } = chooserFor(alias('priority', ['a', 'm1'], ['b', 'm2']), [service('a'), service('b')])
    const first = chooser.pick(t0)!
    expect(first.deployment.model).toBe('m1')
    first.target.key!.health.failed(t0, 0)
    expect(chooser.pick(t0, new Set([first.target.key!]))?.deployment.model).toBe('m2')
  })

  test('least-busy: the deployment whose endpoints have the fewest calls in flight', () => {
    const { chooser, pools } = chooserFor(alias('least-busy', ['a', 'm1'], ['b', 'm2']), [service('a'), service('b')])
    pools.get('a')!.endpoints.items[0].counters.start()
    expect(picks(chooser, 2)).toEqual(['b/m2', 'b/m2'])
  })
})
