/**
 * createState: what a request reads, built whole from a configuration. The
 * pools, the scrubber masking every configured secret, and what a reload
 * must not lose: session pins (resized to the new bound), client budgets
 * (with their new limits), request figures, affinity counters per service,
 * and the counters and health of keys that remain (a key set aside as
 * invalid is given another chance). The model lists are fetched anew.
 */
import { expect, test } from 'bun:test'
import { type Env, loadConfig } from '../../src/config/load'
import { createState } from '../../src/state/proxy-state'

const KEY = 'sk-state-key-000000001'
const PROXY = 'lmlb-state-proxy-key-0001'

function configOf(env: Env, file?: string) {
  const loaded = loadConfig({ env, ...(file && { file: { path: 'lmlb.yaml', text: file } }) })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  return loaded.config
}

const budgetFile = (rpm: number) => `proxy_api_keys:\n  - value: ${PROXY}\n    rpm: ${rpm}\n`

test('a state: a pool per service, its names, and a scrubber that masks upstream and proxy keys', () => {
  const state = createState(configOf({ OPENAI_API_KEY: KEY, PROXY_API_KEYS: PROXY }))
  expect(state.serviceNames).toEqual(['openai', 'anthropic', 'gemini'])
  expect([...state.pools.keys()]).toEqual([...state.serviceNames])
  expect(state.pools.get('openai')!.keys.items.map((k) => k.masked)).toEqual(['sk-...0001'])
  expect(state.scrubber.text(`echo ${KEY} and ${PROXY}`)).toBe('echo sk-...0001 and lml...0001')
  expect(state.modelLists.size).toBe(0)
  expect([...state.affinity.keys()]).toEqual([...state.serviceNames])
})

test('pins, request figures and budgets are the same objects across a reload; the pin bound follows the new configuration', () => {
  const first = createState(configOf({ OPENAI_API_KEY: KEY, LMLB_AFFINITY_MAX_SESSIONS: '100' }, budgetFile(5)))
  first.pins.set('session-1', {
    service: 'openai',
    model: 'm',
    key: KEY,
    endpoint: 'https://api.openai.com/v1',
    expiresAt: Date.now() + 60_000,
  })
  first.requests.answered('openai', 200)
  const budget = first.budgets.get(PROXY)!
  budget.admit('m', Date.now())
  const second = createState(configOf({ OPENAI_API_KEY: KEY, LMLB_AFFINITY_MAX_SESSIONS: '10' }, budgetFile(1)), first)
  expect(second.pins).toBe(first.pins)
  expect(second.pins.max).toBe(10)
  expect(second.pins.get('session-1', Date.now())?.key).toBe(KEY)
  expect(second.requests).toBe(first.requests)
  expect(second.budgets.get(PROXY)).toBe(budget)
  expect(budget.limits.rpm).toBe(1)
  // The request counted before the reload counts against the new limit of 1 a minute.
  expect(() => budget.admit('m', Date.now())).toThrow()
})

test('a budget for a key no longer limited is dropped; a newly limited key starts with nothing spent', () => {
  const first = createState(configOf({}, budgetFile(1)))
  first.budgets.get(PROXY)!.admit('m', Date.now())
  expect(createState(configOf({}), first).budgets.size).toBe(0)
  const again = createState(configOf({}, budgetFile(1)), createState(configOf({}), first))
  expect(() => again.budgets.get(PROXY)!.admit('m', Date.now())).not.toThrow()
})

test('affinity counters carry over per service name; a new service gets its own', () => {
  const first = createState(configOf({ OPENAI_API_KEY: KEY }))
  first.affinity.get('openai')!.hits = 4
  const second = createState(
    configOf({ OPENAI_API_KEY: KEY, SERVICE_ENDPOINTS: JSON.stringify({ local: ['http://127.0.0.1:9/v1'] }) }),
    first,
  )
  expect(second.affinity.get('openai')!.hits).toBe(4)
  expect(second.affinity.get('local')!.hits).toBe(0)
})

test('a key that remains keeps its counters and cooldown, and a disabled key stays disabled', () => {
  const other = 'sk-state-key-000000002'
  const first = createState(configOf({ OPENAI_API_KEYS: `${KEY},${other}` }))
  const [k1, k2] = first.pools.get('openai')!.keys.items
  k1.counters.start()
  k1.health.failed(Date.now(), 60_000)
  k2.health.disable({ reason: 'invalid_key', since: Date.now(), by: 'lmlb' })
  const second = createState(configOf({ OPENAI_API_KEYS: `${KEY},${other}` }), first)
  const [n1, n2] = second.pools.get('openai')!.keys.items
  expect(n1.counters.toJSON().requests).toBe(1)
  expect(n1.health.state(Date.now())).toBe('cooling')
  expect(n2.health.disabled()?.reason).toBe('invalid_key')
})

test('the model lists are fetched anew for a new configuration', () => {
  const first = createState(configOf({ OPENAI_API_KEY: KEY }))
  first.modelLists.set('openai', { at: Date.now(), models: [{ id: 'gpt-x' }] })
  expect(createState(configOf({ OPENAI_API_KEY: KEY }), first).modelLists.size).toBe(0)
})
