/**
 * createRuntime and its reload: the holder built once before lmlb listens.
 * Its defaults when nothing else is handed in; a reload that swaps the
 * state whole (requests in flight keep the state they began with) and keeps
 * the counters and cooldowns of keys and endpoints that remain; a bad
 * configuration refused, the running one kept and the error remembered for
 * /health; a reload through the group of workers when there is one.
 */
import { expect, test } from 'bun:test'
import { localAdmission } from '../../src/balancer/client-budgets'
import { type Env, type LoadResult, loadConfig } from '../../src/config/load'
import { createLogger } from '../../src/observability/log'
import { NOT_SHARED, type ProcessGroup } from '../../src/state/ports'
import { createRuntime, type RuntimeParts } from '../../src/state/runtime'
import { webStream } from '../../src/upstream/byte-stream'
import { CallSlots } from '../../src/upstream/call-slots'
import { Hop } from '../../src/upstream/via'

const K1 = 'sk-runtime-key-00000001'
const K2 = 'sk-runtime-key-00000002'
const K3 = 'sk-runtime-key-00000003'
const ENDPOINT = 'http://127.0.0.1:9/v1'

const envOf = (keys: string[], extra: Env = {}): Env => ({
  OPENAI_API_KEYS: keys.join(','),
  SERVICE_ENDPOINTS: JSON.stringify({ openai: [ENDPOINT] }),
  ...extra,
})

function load(env: Env) {
  const loaded = loadConfig({ env })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  return loaded.config
}

/** A runtime whose next read returns what `next` holds. */
function runtimeOf(env: Env, extra: Partial<RuntimeParts> = {}) {
  const next: { result: LoadResult } = { result: loadConfig({ env }) }
  const lines: string[] = []
  const runtime = createRuntime({
    config: load(env),
    logger: createLogger('info', '', (line) => lines.push(line)),
    read: () => next.result,
    ...extra,
  })
  return { runtime, next, lines }
}

const keyOf = (runtime: ReturnType<typeof runtimeOf>['runtime'], value: string) =>
  runtime.current.pools.get('openai')!.keys.items.find((k) => k.value === value)

test('the defaults: web streams, an unbounded CallSlots, a fresh hop, nothing shared, local admission, no group', () => {
  const before = Date.now()
  const { runtime } = runtimeOf(envOf([K1]))
  expect(runtime.streams).toBe(webStream)
  expect(runtime.calls).toBeInstanceOf(CallSlots)
  expect(runtime.calls.bound(65_535)).toBe(65_535)
  expect(runtime.hop).toBeInstanceOf(Hop)
  expect(runtime.hop.cameBack(new Headers({ via: new Hop('other').header(null) }))).toBe(false)
  expect(runtime.hop.cameBack(new Headers({ via: runtime.hop.header(null) }))).toBe(true)
  // NOT_SHARED, each key's change counted in its service's figures first.
  expect(runtime.sharing.figures()).toBe(NOT_SHARED.figures())
  runtime.sharing.keyChanged({ service: 'openai', key: K1, disabled: { reason: 'invalid_key', since: 1, by: 'lmlb' }, at: 1 })
  expect(runtime.current.keyEvents.get('openai')!.toJSON().disabled).toEqual({ invalid_key: 1 })
  expect(runtime.admission).toBe(localAdmission)
  expect(runtime.group).toBeUndefined()
  expect(runtime.tracer).toBeUndefined()
  expect(runtime.lastError).toBeUndefined()
  expect(runtime.startedAt).toBeGreaterThanOrEqual(before)
  expect(runtime.current.pools.get('openai')!.service.keys.map((k) => k.value)).toEqual([K1])
})

test('what is handed in is used', () => {
  const calls = new CallSlots(8)
  const hop = new Hop('given-instance')
  const { runtime } = runtimeOf(envOf([K1]), { calls, hop })
  expect(runtime.calls).toBe(calls)
  expect(runtime.hop).toBe(hop)
})

test('a reload swaps the state whole: a request holding the old state still sees the old configuration', async () => {
  const { runtime, next, lines } = runtimeOf(envOf([K1]))
  const old = runtime.current
  next.result = loadConfig({ env: envOf([K1, K2]) })
  const outcome = await runtime.reload('test')
  expect(outcome).toEqual({ ok: true, loadedAt: runtime.current.loadedAt })
  expect(runtime.current).not.toBe(old)
  expect(runtime.current.pools.get('openai')!.keys.items.map((k) => k.value)).toEqual([K1, K2])
  expect(old.pools.get('openai')!.keys.items.map((k) => k.value)).toEqual([K1])
  expect(old.config.services.openai.keys).toHaveLength(1)
  expect(lines.at(-1)).toContain('configuration reloaded (test)')
})

test('counters, cooldowns and request figures of what remains carry over; what is new starts afresh', async () => {
  const { runtime, next } = runtimeOf(envOf([K1, K2]))
  const k1 = keyOf(runtime, K1)!
  k1.counters.start()
  k1.counters.finish(50)
  k1.health.failed(Date.now(), 60_000)
  runtime.current.pools.get('openai')!.endpoints.items[0].counters.start()
  runtime.current.requests.answered('openai', 200)
  next.result = loadConfig({ env: envOf([K1, K3]) })
  expect((await runtime.reload('keys changed')).ok).toBe(true)
  const kept = keyOf(runtime, K1)!
  expect(kept.counters.toJSON()).toMatchObject({ requests: 1, finished: 1 })
  expect(kept.health.state(Date.now())).toBe('cooling')
  expect(keyOf(runtime, K3)!.counters.toJSON().requests).toBe(0)
  expect(keyOf(runtime, K2)).toBeUndefined()
  expect(runtime.current.pools.get('openai')!.endpoints.items[0].counters.toJSON().in_flight).toBe(1)
  expect(runtime.current.requests.toJSON().by_api).toEqual({ openai: { '2xx': 1 } })
})

test('a bad configuration is refused: the running state stays, the errors are kept until a good reload', async () => {
  const { runtime, next, lines } = runtimeOf(envOf([K1]))
  const running = runtime.current
  next.result = loadConfig({ env: envOf([K1], { LMLB_MAX_ATTEMPTS: '0' }) })
  const outcome = await runtime.reload('bad edit')
  expect(outcome.ok).toBe(false)
  expect(outcome).toEqual({ ok: false, errors: ['LMLB_MAX_ATTEMPTS: must be a whole number above 0'] })
  expect(runtime.current).toBe(running)
  expect(runtime.lastError?.errors).toEqual(['LMLB_MAX_ATTEMPTS: must be a whole number above 0'])
  expect(Math.abs(runtime.lastError!.at - Date.now())).toBeLessThan(5_000)
  expect(lines.at(-1)).toContain('ERROR reload (bad edit) refused, the running configuration stays')
  // A second refusal keeps the error; a good reload clears it.
  await runtime.reload('again')
  expect(runtime.lastError).toBeDefined()
  next.result = loadConfig({ env: envOf([K1]) })
  expect((await runtime.reload('fixed')).ok).toBe(true)
  expect(runtime.lastError).toBeUndefined()
})

test('a reload applies the new log level and format, says its warnings, and warns that a new port needs a restart', async () => {
  const { runtime, next, lines } = runtimeOf(envOf([K1]))
  next.result = loadConfig({ env: envOf([K1], { LOG_LEVEL: 'warn', LOG_FORMAT: 'json', PORT: '9999', HOST: '0.0.0.0' }) })
  expect((await runtime.reload('port')).ok).toBe(true)
  expect(runtime.logger.level).toBe('warn')
  expect(runtime.logger.format).toBe('json')
  expect(lines.join('\n')).toContain('a new host or port takes a restart; still listening on 127.0.0.1:8082')
  // The warning loadConfig gives for an open host without proxy keys is logged, as JSON now.
  expect(lines.some((l) => l.startsWith('{') && JSON.parse(l).msg.includes('no PROXY_API_KEYS'))).toBe(true)
  expect(runtime.current.config.port).toBe(9999)
})

test('with a group, a reload goes through it; its local step reloads this process; reloadHere stays local', async () => {
  const asked: string[] = []
  const group: ProcessGroup = {
    collectStats: async (local) => local(),
    reload: async (reason, local) => {
      asked.push(reason)
      return local(reason)
    },
  }
  const { runtime, next } = runtimeOf(envOf([K1]), { group })
  next.result = loadConfig({ env: envOf([K1, K2]) })
  const outcome = await runtime.reload('SIGHUP')
  expect(asked).toEqual(['SIGHUP'])
  expect(outcome.ok).toBe(true)
  expect(runtime.current.pools.get('openai')!.keys.items).toHaveLength(2)
  next.result = loadConfig({ env: envOf([K3]) })
  expect(runtime.reloadHere('local only').ok).toBe(true)
  expect(asked).toEqual(['SIGHUP'])
  expect(keyOf(runtime, K3)).toBeDefined()
})

test("a group's refusal is what reload answers, and this process keeps its state", async () => {
  const group: ProcessGroup = {
    collectStats: async (local) => local(),
    reload: async () => ({ ok: false, errors: ['worker 2: refused'] }),
  }
  const { runtime, next } = runtimeOf(envOf([K1]), { group })
  const running = runtime.current
  next.result = loadConfig({ env: envOf([K2]) })
  expect(await runtime.reload('SIGHUP')).toEqual({ ok: false, errors: ['worker 2: refused'] })
  expect(runtime.current).toBe(running)
})
