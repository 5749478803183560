/**
 * dispatch (proxy/dispatch.ts): what each answer or failure of one try does
 * to the key or endpoint that gave it and to the rest of the request, with
 * a scripted `attempt` over a real service pool and chooser, on a fixed
 * clock, so every verdict (disabled, cooled, retried, returned) is seen
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
import type { CooledTarget, KeyChange } from '../../src/state/ports'
import { UpstreamFailure } from '../../src/upstream/send'

const NOW = 1_700_000_000_000
const A = 'sk-dispatch-key-aaaa'
const B = 'sk-dispatch-key-bbbb'
const E1 = 'http://127.0.0.1:9/e1'
const E2 = 'http://127.0.0.1:9/e2'

type Script = (choice: Choice) => number | Error | { status: number; headers?: Record<string, string>; body?: string }

/** A fresh pool each time: health is the pool's, and each test starts from a healthy one. `keyPolicy`: the service's key_policy, as the file says it. */
function setup(keys: string[], endpoints = [E1], keyPolicy?: object) {
  const env: Record<string, string> = { SERVICE_ENDPOINTS: JSON.stringify({ svc: endpoints }) }
  if (keys.length > 0) env.SVC_API_KEYS = keys.join(',')
  const file = keyPolicy && { path: 'lmlb.json', text: JSON.stringify({ services: { svc: { key_policy: keyPolicy } } }) }
  const clock = { now: NOW }
  const loaded = loadConfig({ env, file })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  const pool = createPools(loaded.config.services).get('svc')!
  const cooled: CooledTarget[] = []
  const changes: KeyChange[] = []
  const logged: string[] = []
  const quotas: [string, KeyTarget][] = []
  const tried: string[] = []
  const options = (maxAttempts: number) => ({
    chooser: singleChooser(pool, 'm'),
    maxAttempts,
    logger: createLogger('warn', '', (line: string) => logged.push(line)),
    scrub: (t: string) => t.replaceAll(A, 'sk-…aaaa'),
    now: () => clock.now,
    onCooled: (t: CooledTarget) => cooled.push(t),
    onKeyChanged: (c: KeyChange) => changes.push(c),
    onQuota: (service: string, key: KeyTarget) => quotas.push([service, key]),
  })
  /** An attempt that answers (a status, with headers, or a throw) as `script` says for its choice; each try is recorded as key@endpoint. */
  const scripted =
    (script: Script): Attempt =>
    async (choice) => {
      tried.push(`${choice.target.key?.value ?? '-'}@${choice.target.endpoint.url}`)
      const outcome = script(choice)
      if (outcome instanceof Error) throw outcome
      const { status, headers, body } = typeof outcome === 'number' ? { status: outcome } : outcome
      const bytes = new TextEncoder().encode(body ?? `{"n":${tried.length}}`)
      const answer = { status, statusText: '', headers: new Headers(headers), bytes }
      return { answer, watch: {} as AttemptWatch }
    }
  const keyOf = (value: string) => pool.keys.items.find((k) => k.value === value)!
  const endpointOf = (url: string) => pool.endpoints.items.find((e) => e.url === url)!
  /** One request: dispatched with `maxAttempts` over the scripted attempt. */
  const run = (maxAttempts: number, script: Script) => dispatch(scripted(script), options(maxAttempts))
  return { cooled, changes, logged, quotas, tried, run, keyOf, endpointOf, clock }
}

const keyValue = (c: Choice) => c.target.key?.value

test('401: the key is disabled and the next key serves, without spending an attempt', async () => {
  const s = setup([A, B])
  const { attempted, choice } = await s.run(1, (c) => (keyValue(c) === A ? 401 : 200))
  expect(attempted.answer.status).toBe(200)
  expect(keyValue(choice)).toBe(B)
  expect(s.tried).toEqual([`${A}@${E1}`, `${B}@${E1}`])
  expect(s.keyOf(A).health.state(NOW + 3_600_000)).toBe('disabled')
  const disabled = { reason: 'invalid_key', since: NOW, by: 'lmlb' as const, detail: '401' }
  expect(s.changes).toEqual([{ service: 'svc', key: A, disabled, at: NOW }])
  expect(s.logged.join('\n')).toContain('key sk-...aaaa disabled (401 invalid_key)')
})

test('402 and 403 disable too, each with its reason; so do bodies that say the key is dead, whatever the status', async () => {
  const cases = [
    [{ status: 402 }, 'no_credit'],
    [{ status: 403 }, 'permission_denied'],
    [{ status: 429, body: '{"error":{"code":"insufficient_quota","message":"You exceeded your current quota"}}' }, 'no_credit'],
    [{ status: 400, body: '{"error":{"message":"Invalid API Key"}}' }, 'invalid_key'],
    [{ status: 403, body: '{"error":{"message":"This key has been REVOKED"}}' }, 'revoked'],
    [{ status: 401, body: '{"error":{"message":"account suspended"}}' }, 'suspended'],
  ] as const
  for (const [answer, reason] of cases) {
    const s = setup([A, B])
    await s.run(1, (c) => (keyValue(c) === A ? answer : 200))
    expect(s.keyOf(A).health.disabled()?.reason).toBe(reason)
  }
})

test('a 400 that says nothing of the key is the client’s: returned as it came, no key touched', async () => {
  const s = setup([A, B])
  const { attempted } = await s.run(3, () => ({ status: 400, body: '{"error":{"message":"messages: field required"}}' }))
  expect(attempted.answer.status).toBe(400)
  expect(s.tried).toHaveLength(1)
  expect(s.changes).toEqual([])
})

test('disable_after: strikes in a row disable; a success in between starts the count again; a strike cools the key meanwhile', async () => {
  const s = setup([A], [E1], { disable_after: 2 })
  const refused = async () => (await s.run(1, () => 401)).attempted.answer.status
  expect(await refused()).toBe(401)
  expect(s.keyOf(A).health.state(NOW)).toBe('cooling')
  expect(s.logged.join('\n')).toContain('1 of 2 before it is disabled')
  s.clock.now += 60_000 // past its cooldown
  expect((await s.run(1, () => 200)).attempted.answer.status).toBe(200)
  expect(await refused()).toBe(401)
  s.clock.now += 60_000
  expect(s.keyOf(A).health.disabled()).toBeUndefined()
  expect(await refused()).toBe(401)
  expect(s.keyOf(A).health.disabled()?.reason).toBe('invalid_key')
})

test('a service’s rules come first: 403 ignored (the endpoint’s fault), a phrase cooled for its own time', async () => {
  const ignore = setup([A, B], [E1, E2], { rules: [{ status: 403, action: 'ignore' }] })
  const { choice } = await ignore.run(3, (c) => (c.target.endpoint.url === E1 ? 403 : 200))
  expect(choice.target.endpoint.url).toBe(E2)
  expect(ignore.endpointOf(E1).health.state(NOW)).toBe('cooling')
  expect(ignore.changes).toEqual([])

  const cool = setup([A, B], [E1], { rules: [{ status: [400, 403], match: 'Daily Limit', action: 'cooldown', cooldown_s: 3600 }] })
  await cool.run(3, (c) => (keyValue(c) === A ? { status: 400, body: '{"error":"daily limit reached"}' } : 200))
  expect(cool.keyOf(A).health.cooledUntil()).toBe(NOW + 3_600_000)
  expect(cool.keyOf(A).health.disabled()).toBeUndefined()
})

test('an endpoint refusing every key alike is to blame: it cools, the keys it made disabled come back, the log says so once', async () => {
  const C = 'sk-dispatch-key-cccc'
  const s = setup([A, B, C], [E1, E2])
  const answers: number[] = []
  // A request every 10 s for four minutes: E1 is tried again each time its cooldown (1 s, 2 s... 60 s) has passed.
  for (let i = 0; i < 24; i++, s.clock.now += 10_000) {
    const { attempted } = await s.run(3, (c) => (c.target.endpoint.url === E1 ? 403 : 200))
    answers.push(attempted.answer.status)
  }
  expect(s.tried.filter((t) => t.endsWith(E1)).length).toBeGreaterThan(5)
  expect(answers.every((status) => status === 200)).toBe(true)
  expect([A, B, C].map((k) => s.keyOf(k).health.disabled())).toEqual([undefined, undefined, undefined])
  expect(s.logged.filter((l) => l.includes('the endpoint is to blame'))).toHaveLength(1)
})

test('the last key of a pool is not disabled for a refusal another key shared; a pool of one key alone is', async () => {
  const s = setup([A, B])
  const first = await s.run(3, () => 401)
  // A was disabled, then B refused alike: the endpoint is blamed, A comes back, and the last 401 is returned as it came.
  expect(first.attempted.answer.status).toBe(401)
  expect(s.tried).toHaveLength(2)
  expect([s.keyOf(A).health.disabled(), s.keyOf(B).health.disabled()]).toEqual([undefined, undefined])
  expect(s.changes.map((c) => [c.key, c.disabled?.reason])).toEqual([
    [A, 'invalid_key'],
    [A, undefined],
  ])
  expect(s.endpointOf(E1).health.state(NOW)).toBe('cooling')

  const alone = setup([A])
  expect((await alone.run(3, () => 401)).attempted.answer.status).toBe(401)
  const error = await alone.run(3, () => 200).catch((e) => e)
  expect(error).toBeInstanceOf(ProxyError)
  expect([error.status, error.code]).toEqual([401, 'upstream_keys_invalid'])
  expect(error.message).toContain('SVC_API_KEYS or SVC_API_KEY')
  expect(alone.tried).toHaveLength(1)
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

test('an endpoint that failed is not tried again in this request, even once another request’s success ended its cooldown (the soak’s rare 503)', async () => {
  const C = 'sk-dispatch-key-cccc'
  const s = setup([A, B, C], [E1, E2])
  const { attempted, choice } = await s.run(3, (c) => {
    if (c.target.endpoint.url === E1) return 503
    // Meanwhile a request that was already on E1 succeeds: E1's cooldown ends at once.
    s.endpointOf(E1).health.succeeded()
    return c.target.key?.value === C ? 200 : { status: 429, headers: { 'retry-after': '0' } }
  })
  expect(attempted.answer.status).toBe(200)
  expect(choice.target.endpoint.url).toBe(E2)
  expect(s.tried.filter((t) => t.endsWith(E1))).toHaveLength(1)
})
