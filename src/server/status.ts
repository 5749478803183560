/** `/`, `/health`, `/stats`: the seed's shapes, with more beside them. Keys are counted, never shown. */
import pkg from '../../package.json'
import type { ServicePool } from '../balancer/service-pool'
import { MOCK_SERVICE } from '../config/defaults'
import type { ProxyState, Runtime } from './state'

export const VERSION = pkg.version

function endpointsByService(state: ProxyState): Record<string, string[]> {
  return Object.fromEntries([...state.pools.values()].map((p) => [p.service.name, [...p.service.endpoints]]))
}

/** A service can serve when it has a key, or needs none. */
function canServe(pool: ServicePool): boolean {
  return pool.service.keys.length > 0 || !pool.service.keysRequired
}

export function rootStatus(runtime: Runtime) {
  const state = runtime.current
  return {
    name: 'lmlb',
    version: VERSION,
    status: 'running',
    services: {
      ...Object.fromEntries(
        [...state.pools.values()].map((p) => [
          p.service.name,
          { format: p.service.format, keys_configured: p.service.keys.length, endpoints: p.service.endpoints.length, ready: canServe(p) },
        ]),
      ),
      [MOCK_SERVICE]: { format: 'openai+anthropic', keys_configured: 0, endpoints: 0, ready: true },
    },
  }
}

export function health(runtime: Runtime) {
  const state = runtime.current
  const pools = [...state.pools.values()]
  const keyCount = (name: string) => state.pools.get(name)?.service.keys.length ?? 0
  return {
    // The mock service always answers, so lmlb itself is healthy even with no keys.
    status: 'healthy',
    timestamp: Math.floor(Date.now() / 1000),
    uptime_seconds: Math.floor((Date.now() - runtime.startedAt) / 1000),
    load_balancer: {
      openai_keys_configured: keyCount('openai'),
      anthropic_keys_configured: keyCount('anthropic'),
      gemini_keys_configured: keyCount('gemini'),
      endpoints: endpointsByService(state),
      services: Object.fromEntries(pools.map((p) => [p.service.name, { ready: canServe(p) }])),
    },
    config: { loaded_at: new Date(state.loadedAt).toISOString() },
  }
}

export function stats(runtime: Runtime) {
  const state = runtime.current
  return {
    load_balancer_stats: Object.fromEntries(
      [...state.pools.values()].map((p) => [
        p.service.name,
        {
          keys_count: p.service.keys.length,
          endpoints: [...p.service.endpoints],
          format: p.service.format,
          keys: p.keys.items.map((k) => ({ key: k.masked, ...k.counters.toJSON() })),
          endpoint_stats: p.endpoints.items.map((e) => ({ url: e.url, ...e.counters.toJSON() })),
        },
      ]),
    ),
  }
}
