/**
 * dispatch (proxy/dispatch.ts): what each answer or failure of one try does
 * to the key or endpoint that gave it and to the rest of the request, with
 * a scripted `attempt` over a real service pool and chooser, on a fixed
 * clock, so every verdict (set aside, cooled, retried, returned) is seen
 * without a network.
 */
import { expect, test } from 'bun:test'
import type { Choice } from '../../src/balancer/choosers'
import { singleChooser } from '../../src/balancer/choosers'
import { createPools, type KeyTarget } from '../../src/balancer/service-pool'
import { loadConfig } from '../../src/config/load'
import { ProxyError } from '../../src/errors'
import type { AttemptWatch } from '../../src/observability/attempt-record'
import { createLogger } from '../../src/observability/log'
import { dispatch, type Attempt } from '../../src/proxy/dispatch'
import type { CooledTarget } from '../../src/state/ports'
import { UpstreamFailure } from '../../src/upstream/send'

const NOW = 1_700_000_000_000
const A = 'sk-dispatch-key-aaaa'
const B = 'sk-dispatch-key-bbbb'
const E1 = 'http://127.0.0.1:9/e1'
const E2 = 'http://127.0.0.1:9/e2'

type Script = (choice: Choice) => number | Error | { status: number; headers: Record<string, string> }

/** A fresh pool each time: health is the pool's, and each test starts from a healthy one. */
function setup(keys: string[], endpoints = [E1]) {
  const env: Record<string, string> = { SERVICE_ENDPOINTS: JSON.stringify({ svc: endpoints }) }
  if (keys.length > 0) env.SVC_API_KEYS = keys.join(',')
  const loaded = loadConfig({ env })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  const pool = createPools(loaded.config.services).get('svc')!
  const cooled: CooledTarget[] = []
  const quotas: [string, KeyTarget][] = []
  const tried: string[] = []
  const options = (maxAttempts: number) => ({
    chooser: singleChooser(pool, 'm'),
    maxAttempts,
    logger: createLogger('error', '', () => {}),
    scrub: (t: string) => t.replaceAll(A, 'sk-…aaaa'),
    now: () => NOW,
    onCooled: (t: CooledTarget) => cooled.push(t),
    onQuota: (service: string, key: KeyTarget) => quotas.push([service, key]),
  })
  /** An attempt that answers (a status, with headers, or a throw) as `script` says for its choice; each try is recorded as key@endpoint. */
  const scripted =
    (script: Script): Attempt =>
    async (choice) => {
      tried.push(`${choice.target.key?.value ?? '-'}@${choice.target.endpoint.url}`)
      const outcome = script(choice)
      if (outcome instanceof Error) throw outcome
      const { status, headers } = typeof outcome === 'number' ? { status: outcome, headers: {} } : outcome
      const answer = { status, statusText: '', headers: new Headers(headers), bytes: new TextEncoder().encode(`{"n":${tried.length}}`) }
      return { answer, watch: {} as AttemptWatch }
    }
  const keyOf = (value: string) => pool.keys.items.find((k) => k.value === value)!
  const endpointOf = (url: string) => pool.endpoints.items.find((e) => e.url === url)!
  /** One request: dispatched with `maxAttempts` over the scripted attempt. */
  const run = (maxAttempts: number, script: Script) => dispatch(scripted(script), options(maxAttempts))
  return { cooled, quotas, tried, run, keyOf, endpointOf }
}

const keyValue = (c: Choice) => c.target.key?.value

test('401: the key is set aside until reload and the next key serves, without spending an attempt', async () => {
  const s = setup([A, B])
  const { attempted, choice } = await s.run(1, (c) => (keyValue(c) === A ? 401 : 200))
  expect(attempted.answer.status).toBe(200)
  expect(keyValue(choice)).toBe(B)
  expect(s.tried).toEqual([`${A}@${E1}`, `${B}@${E1}`])
  expect(s.keyOf(A).health.state(NOW + 3_600_000)).toBe('invalid')
  expect(s.cooled).toEqual([{ service: 'svc', key: A, until: NOW, invalid: true }])
})

test('every key refused with 401: the last 401 as it came, then a 401 naming the variables to fix', async () => {
  const s = setup([A, B])
  const first = await s.run(3, () => 401)
  expect(first.attempted.answer.status).toBe(401)
  expect(s.tried).toHaveLength(2)
  const error = await s.run(3, () => 200).catch((e) => e)
  expect(error).toBeInstanceOf(ProxyError)
  expect(error.status).toBe(401)
  expect(error.code).toBe('upstream_keys_invalid')
  expect(error.message).toContain('SVC_API_KEYS or SVC_API_KEY')
  expect(s.tried).toHaveLength(2)
})

test('a keyless service’s 401 is the client’s to read: returned as it came, the endpoint not cooled', async () => {
  const s = setup([])
  const { attempted } = await s.run(3, () => 401)
  expect(attempted.answer.status).toBe(401)
  expect(s.tried).toEqual([`-@${E1}`])
  expect(s.endpointOf(E1).health.available(NOW)).toBe(true)
})

test('429: the key cools for its Retry-After, is not tried again in this request even at Retry-After: 0, and costs no attempt', async () => {
  const s = setup([A, B])
  const { choice } = await s.run(1, (c) => (keyValue(c) === A ? { status: 429, headers: { 'retry-after': '30' } } : 200))
  expect(keyValue(choice)).toBe(B)
  expect(s.keyOf(A).health.cooledUntil()).toBe(NOW + 30_000)
  expect(s.cooled).toEqual([{ service: 'svc', key: A, until: NOW + 30_000 }])

  const again = setup([A, B])
  const { attempted } = await again.run(3, () => ({ status: 429, headers: { 'retry-after': '0' } }))
  // Each key once, then the last 429 as it came: no turn spent on a key that just refused.
  expect(attempted.answer.status).toBe(429)
  expect(again.tried.toSorted()).toEqual([`${A}@${E1}`, `${B}@${E1}`])
})

test('5xx: the endpoint cools and the next one serves; failures stop at maxAttempts with the last answer as it came', async () => {
  const s = setup([A], [E1, E2])
  const { choice } = await s.run(3, (c) => (c.target.endpoint.url === E1 ? 500 : 200))
  expect(choice.target.endpoint.url).toBe(E2)
  expect(s.endpointOf(E1).health.state(NOW)).toBe('cooling')
  expect(s.keyOf(A).health.available(NOW)).toBe(true)
  expect(s.cooled).toEqual([{ service: 'svc', endpoint: E1, until: NOW + 1_000 }])

  const bounded = setup([A], [E1, E2])
  const { attempted } = await bounded.run(1, () => 503)
  expect(attempted.answer.status).toBe(503)
  expect(bounded.tried).toHaveLength(1)
})

test('an UpstreamFailure cools the endpoint like a 5xx; when every try fails, 502 for a connection, 504 for a timeout', async () => {
  const s = setup([A], [E1, E2])
  const { choice } = await s.run(3, (c) => (c.target.endpoint.url === E1 ? new UpstreamFailure('connect', 'refused') : 200))
  expect(choice.target.endpoint.url).toBe(E2)
  expect(s.endpointOf(E1).health.state(NOW)).toBe('cooling')

  for (const [kind, status] of [
    ['connect', 502],
    ['timeout', 504],
  ] as const) {
    const f = setup([A], [E1, E2])
    const error = await f.run(2, () => new UpstreamFailure(kind, `no answer with key ${A}`)).catch((e) => e)
    expect(error).toBeInstanceOf(ProxyError)
    expect([error.status, error.code]).toEqual([status, `upstream_${kind}`])
    // The failure's message leaves lmlb: keys masked.
    expect(error.message).not.toContain(A)
    expect(f.tried).toHaveLength(2)
  }
})

test('the client’s own 4xx is returned as it came after one try, nothing cooled', async () => {
  for (const status of [400, 404, 413, 422]) {
    const s = setup([A, B], [E1, E2])
    const { attempted } = await s.run(3, () => status)
    expect(attempted.answer.status).toBe(status)
    expect(s.tried).toHaveLength(1)
    expect(s.cooled).toEqual([])
  }
})

test('every target cooling: 503 all_targets_cooling with Retry-After in seconds, and nothing is tried', async () => {
  const s = setup([A], [E1])
  await s.run(1, () => ({ status: 503, headers: { 'retry-after': '42' } }))
  s.tried.length = 0
  const error = await s.run(3, () => 200).catch((e) => e)
  expect(error).toBeInstanceOf(ProxyError)
  expect([error.status, error.code]).toEqual([503, 'all_targets_cooling'])
  expect(error.headers['retry-after']).toBe('42')
  expect(error.message).toContain('"svc"')
  expect(s.tried).toEqual([])
})

test('an answer reporting a key’s requests spent: onQuota is told, and the next request passes that key over', async () => {
  const s = setup([A, B])
  const spent = { 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '20s' }
  const first = await s.run(3, () => ({ status: 200, headers: spent }))
  const reported = keyValue(first.choice)!
  expect(s.quotas.map(([service, key]) => [service, key.value])).toEqual([['svc', reported]])
  for (let i = 0; i < 3; i++) {
    const next = await s.run(3, () => 200)
    expect(keyValue(next.choice)).not.toBe(reported)
  }
})

test('a throw that is not an UpstreamFailure (the client left) goes up as it is, and the target is not cooled', async () => {
  const s = setup([A], [E1])
  const left = new DOMException('client left', 'AbortError')
  const error = await s.run(3, () => left).catch((e) => e)
  expect(error).toBe(left)
  expect(s.cooled).toEqual([])
  expect(s.endpointOf(E1).health.available(NOW)).toBe(true)
  expect(s.keyOf(A).health.available(NOW)).toBe(true)
})
