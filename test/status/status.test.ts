/**
 * status/status.ts over a runtime built as lmlb builds it (createRuntime on
 * a loadConfig configuration): the seed's shapes of /, /health and /stats
 * (dashboards and probes read them), keys counted and masked but never
 * shown whole, 503 when no configured service can serve now, and the
 * detail of /health and /health/ready only for a client with the proxy key.
 */
import { expect, test } from 'bun:test'
import { createApp } from '../../src/app'
import { type Env, loadConfig } from '../../src/config/load'
import { createLogger } from '../../src/observability/log'
import type { Stats } from '../../src/observability/stats'
import type { ProcessGroup } from '../../src/state/ports'
import { createRuntime, type RuntimeParts } from '../../src/state/runtime'
import { collectStats, health, ready, rootStatus, stats, VERSION } from '../../src/status/status'

const OPENAI_KEYS = ['sk-proj-status-key-000001', 'sk-proj-status-key-000002']
const ANTHROPIC_KEY = 'sk-ant-status-key-0000009'
const PROXY_KEY = 'lmlb-proxy-key-0123456789'
const ENDPOINTS = ['http://127.0.0.1:9/v1', 'http://127.0.0.1:10/v1']
const SEED_ENV: Env = {
  OPENAI_API_KEYS: OPENAI_KEYS.join(','),
  ANTHROPIC_API_KEY: ANTHROPIC_KEY,
  SERVICE_ENDPOINTS: JSON.stringify({ openai: ENDPOINTS }),
}

function runtimeOf(env: Env, extra: Partial<RuntimeParts> = {}) {
  const loaded = loadConfig({ env })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  const lines: string[] = []
  return createRuntime({
    config: loaded.config,
    logger: createLogger('info', '', (line) => lines.push(line)),
    read: () => loadConfig({ env }),
    ...extra,
  })
}

/** Cools every key of the service for a minute, as failures would. */
function coolAllKeys(runtime: ReturnType<typeof runtimeOf>, service: string) {
  for (const key of runtime.current.pools.get(service)!.keys.items) key.health.failed(Date.now(), 60_000)
}

const noWholeKey = (text: string) => {
  for (const key of [...OPENAI_KEYS, ANTHROPIC_KEY, PROXY_KEY]) expect(text).not.toContain(key)
}

test("health: the seed's shape, keys counted and masked, never whole", async () => {
  const runtime = runtimeOf(SEED_ENV)
  const response = health(runtime)
  expect(response.status).toBe(200)
  const text = await response.text()
  noWholeKey(text)
  const body = JSON.parse(text)
  expect(body.status).toBe('healthy')
  expect(Math.abs(body.timestamp - Date.now() / 1000)).toBeLessThan(5)
  expect(body.load_balancer).toMatchObject({
    openai_keys_configured: 2,
    anthropic_keys_configured: 1,
    gemini_keys_configured: 0,
    endpoints: { openai: ENDPOINTS, anthropic: ['https://api.anthropic.com/v1'] },
  })
  expect(body.load_balancer.services.openai.keys).toEqual([
    { key: 'sk-...0001', state: 'healthy' },
    { key: 'sk-...0002', state: 'healthy' },
  ])
  expect(body.config).toMatchObject({ last_error: null })
})

test('health: 503 unhealthy when every configured service is cooling; healthy again while one can serve', async () => {
  const runtime = runtimeOf(SEED_ENV)
  coolAllKeys(runtime, 'openai')
  expect(health(runtime).status).toBe(200)
  coolAllKeys(runtime, 'anthropic')
  const response = health(runtime)
  expect(response.status).toBe(503)
  const body = await response.json()
  expect(body.status).toBe('unhealthy')
  expect(body.load_balancer.services.openai).toMatchObject({ ready: false, keys: [{ state: 'cooling' }, { state: 'cooling' }] })
})

test('health: with no keys configured lmlb is healthy (the mock answers); built-in services without keys do not count', async () => {
  const runtime = runtimeOf({})
  const response = health(runtime)
  expect(response.status).toBe(200)
  expect((await response.json()).load_balancer).toMatchObject({ openai_keys_configured: 0, anthropic_keys_configured: 0 })
  expect(ready(runtime).status).toBe(200)
})

test('health and ready without detail tell the status alone', async () => {
  const runtime = runtimeOf(SEED_ENV)
  expect(await health(runtime, false).json()).toEqual({ status: 'healthy' })
  coolAllKeys(runtime, 'openai')
  coolAllKeys(runtime, 'anthropic')
  const unhealthy = health(runtime, false)
  expect(unhealthy.status).toBe(503)
  expect(await unhealthy.json()).toEqual({ status: 'unhealthy' })
  const notReady = ready(runtime, false)
  expect(notReady.status).toBe(503)
  expect(await notReady.json()).toEqual({ status: 'not_ready' })
})

test('ready: 503 naming every configured service that cannot serve now; a keyless service of its own serves', async () => {
  const runtime = runtimeOf({ ...SEED_ENV, SERVICE_ENDPOINTS: JSON.stringify({ openai: ENDPOINTS, local: ['http://127.0.0.1:11/v1'] }) })
  expect(await ready(runtime).json()).toEqual({ status: 'ready' })
  coolAllKeys(runtime, 'openai')
  const response = ready(runtime)
  expect(response.status).toBe(503)
  expect(await response.json()).toEqual({ status: 'not_ready', services_not_ready: ['openai'] })
  // The keyless local server still serves: lmlb is healthy though not ready.
  coolAllKeys(runtime, 'anthropic')
  expect(health(runtime).status).toBe(200)
})

test('the proxy key decides the detail of /health and /health/ready, which stay open without it', async () => {
  const runtime = runtimeOf({ ...SEED_ENV, PROXY_API_KEYS: PROXY_KEY })
  const app = createApp(runtime)
  const get = (path: string, headers: Record<string, string> = {}) => app.fetch(new Request(`http://lmlb.test${path}`, { headers }))
  expect(await (await get('/health')).json()).toEqual({ status: 'healthy' })
  expect(await (await get('/health', { authorization: 'Bearer wrong-key' })).json()).toEqual({ status: 'healthy' })
  const detailed = await get('/health', { 'x-api-key': PROXY_KEY })
  const text = await detailed.text()
  noWholeKey(text)
  expect(JSON.parse(text).load_balancer.openai_keys_configured).toBe(2)
  coolAllKeys(runtime, 'openai')
  expect(await (await get('/health/ready')).json()).toEqual({ status: 'not_ready' })
  expect(await (await get('/health/ready', { authorization: `Bearer ${PROXY_KEY}` })).json()).toEqual({
    status: 'not_ready',
    services_not_ready: ['openai'],
  })
  // /stats is not open: without the key it is refused.
  expect((await get('/stats')).status).toBe(401)
})

test('rootStatus: name, version and a summary per service, the mock always ready', () => {
  const runtime = runtimeOf(SEED_ENV)
  const root = rootStatus(runtime)
  expect(root).toMatchObject({ name: 'lmlb', version: VERSION, status: 'running' })
  expect(root.services as Record<string, unknown>).toEqual({
    openai: { format: 'openai', keys_configured: 2, endpoints: 2, ready: true },
    anthropic: { format: 'anthropic', keys_configured: 1, endpoints: 1, ready: true },
    gemini: { format: 'openai', keys_configured: 0, endpoints: 1, ready: false },
    mock: { format: 'openai+anthropic', keys_configured: 0, endpoints: 0, ready: true },
  })
  noWholeKey(JSON.stringify(root))
})

test("stats: the seed's load_balancer_stats per service, keys masked, counters and health per key and endpoint", () => {
  const runtime = runtimeOf(SEED_ENV)
  const s = stats(runtime)
  expect(s.workers).toBe(1)
  const openai = s.load_balancer_stats.openai
  expect(openai).toMatchObject({ keys_count: 2, endpoints: ENDPOINTS, strategy: 'round-robin', format: 'openai' })
  expect(openai.keys.map((k) => k.key)).toEqual(['sk-...0001', 'sk-...0002'])
  expect(openai.keys[0].health).toMatchObject({ state: 'healthy', consecutive_failures: 0 })
  expect(openai.endpoint_stats.map((e) => e.url)).toEqual(ENDPOINTS)
  expect(s.load_balancer_stats.anthropic).toMatchObject({ keys_count: 1, endpoints: ['https://api.anthropic.com/v1'] })
  noWholeKey(JSON.stringify(s))
})

test('collectStats: this process alone, or the group adding up every worker', async () => {
  const alone = runtimeOf(SEED_ENV)
  expect(await collectStats(alone)).toEqual(stats(alone))
  let local: Stats | undefined
  const group: ProcessGroup = {
    async collectStats(mine) {
      local = mine()
      return { ...local, workers: 3 }
    },
    reload: async () => ({ ok: true, loadedAt: 0 }),
  }
  const grouped = runtimeOf(SEED_ENV, { group })
  const collected = await collectStats(grouped)
  expect(collected.workers).toBe(3)
  expect(local!.load_balancer_stats.openai.keys_count).toBe(2)
})

test("a refused reload shows in health's config.last_error, any key in it masked", async () => {
  // Read errors may quote what they read (a line of a file): a key there is masked too.
  const problems = ['LMLB_MAX_ATTEMPTS: must be a whole number above 0', `lmlb.yaml:4: a stray value "${OPENAI_KEYS[0]}"`]
  const runtime = runtimeOf(SEED_ENV, { read: () => ({ ok: false, errors: problems }), logger: createLogger('error', '', () => {}) })
  expect(runtime.reloadHere('test')).toEqual({ ok: false, errors: problems })
  const text = await health(runtime).text()
  noWholeKey(text)
  const { last_error } = JSON.parse(text).config
  expect(Math.abs(Date.parse(last_error.at) - Date.now())).toBeLessThan(5_000)
  expect(last_error.errors).toEqual([problems[0], 'lmlb.yaml:4: a stray value "sk-...0001"'])
})
