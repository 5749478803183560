/** `/`, `/health`, `/stats`: the seed's shapes, with more beside them. Keys are counted, never shown. */
import pkg from '../../package.json' with { type: 'json' }
import { isServiceable } from '../balancer/choosers'
import type { KeyCheck, ServicePool } from '../balancer/service-pool'
import { MOCK_SERVICE } from '../config/defaults'
import type { AffinityFigures, CheckFigures, ServiceStats, SharedFigures, Stats } from '../observability/stats'
import type { ProxyState } from '../state/proxy-state'
import type { Runtime } from '../state/runtime'

export const VERSION = pkg.version

/** Set by scripts/build.ts in a compiled binary; run from source, there is none. */
declare const LMLB_BUILD_COMMIT: string | undefined
export const BUILD_COMMIT = typeof LMLB_BUILD_COMMIT === 'string' ? LMLB_BUILD_COMMIT : undefined

function endpointsByService(state: ProxyState): Record<string, string[]> {
  return Object.fromEntries([...state.pools.values()].map((p) => [p.service.name, p.service.endpoints.map((e) => e.url)]))
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
          {
            format: p.service.format,
            keys_configured: p.service.keys.length,
            endpoints: p.service.endpoints.length,
            ready: isServiceable(p),
          },
        ]),
      ),
      [MOCK_SERVICE]: { format: 'openai+anthropic', keys_configured: 0, endpoints: 0, ready: true },
    },
  }
}

/**
 * The seed's health shape plus per-target health. Unhealthy (503) when
 * services are configured and none of them has a key and an endpoint
 * available now; with no keys at all lmlb is healthy: the mock answers.
 * `detailed` is false for a client without a proxy key: it learns the status alone.
 */
export function health(runtime: Runtime, detailed = true): Response {
  const state = runtime.current
  const now = Date.now()
  const configured = [...state.pools.values()].filter(isServiceable)
  const healthy = configured.length === 0 || configured.some((p) => p.recoversAt(now) === 0)
  const status = healthy ? 'healthy' : 'unhealthy'
  const code = healthy ? 200 : 503
  if (!detailed) return Response.json({ status }, { status: code })
  const keyCount = (name: string) => state.pools.get(name)?.service.keys.length ?? 0
  return Response.json(
    {
      status,
      timestamp: Math.floor(now / 1000),
      uptime_seconds: Math.floor((now - runtime.startedAt) / 1000),
      load_balancer: {
        openai_keys_configured: keyCount('openai'),
        anthropic_keys_configured: keyCount('anthropic'),
        gemini_keys_configured: keyCount('gemini'),
        endpoints: endpointsByService(state),
        services: Object.fromEntries(
          [...state.pools.values()].map((p) => [
            p.service.name,
            {
              ready: isServiceable(p) && p.recoversAt(now) === 0,
              keys: p.keys.items.map((k) => ({ key: k.masked, state: k.health.state(now) })),
              endpoints: p.endpoints.items.map((e) => ({ url: e.url, state: e.health.state(now) })),
            },
          ]),
        ),
      },
      ...shared(runtime),
      config: {
        loaded_at: new Date(state.loadedAt).toISOString(),
        last_error: runtime.lastError
          ? { at: new Date(runtime.lastError.at).toISOString(), errors: runtime.lastError.errors.map((e) => state.scrubber.text(e)) }
          : null,
      },
    },
    { status: code },
  )
}

/** For an orchestrator's liveness probe: the process answers. */
export function live(): Response {
  return Response.json({ status: 'alive' })
}

/**
 * For a readiness probe: the configuration is loaded and every service set
 * up to serve (it has keys, or needs none by configuration; a built-in
 * service without keys does not count) has a key and an endpoint that can
 * serve now. Which services are not ready is said to a client with the
 * proxy key only.
 */
export function ready(runtime: Runtime, detailed = true): Response {
  const state = runtime.current
  const now = Date.now()
  const waiting = [...state.pools.values()].filter((p) => isServiceable(p) && p.recoversAt(now) !== 0).map((p) => p.service.name)
  const status = waiting.length === 0 ? 'ready' : 'not_ready'
  return Response.json(detailed && waiting.length > 0 ? { status, services_not_ready: waiting } : { status }, {
    status: waiting.length === 0 ? 200 : 503,
  })
}

/** This process's figures; with --workers the caller adds up every worker's. */
export function stats(runtime: Runtime): Stats {
  const state = runtime.current
  const now = Date.now()
  const pinned = state.pins.countByService(now)
  return {
    workers: 1,
    ...shared(runtime),
    requests: state.requests.toJSON(),
    load_balancer_stats: Object.fromEntries(
      [...state.pools.values()].map((p) => [
        p.service.name,
        {
          keys_count: p.service.keys.length,
          endpoints: p.service.endpoints.map((e) => e.url),
          strategy: p.service.strategy,
          format: p.service.format,
          keys: p.keys.items.map((k) => ({
            key: k.masked,
            id: k.id,
            source: k.source,
            ...k.counters.toJSON(),
            health: k.health.toJSON(now),
            quota: k.quota.toJSON(now),
            last_check: checkFigures(k.check),
          })),
          endpoint_stats: p.endpoints.items.map((e) => ({ url: e.url, ...e.counters.toJSON(), health: e.health.toJSON(now) })),
          affinity: affinityFigures(state, p.service.name, p.service.affinity, pinned.get(p.service.name) ?? 0),
          key_states: keyStates(p, now),
          key_events: state.keyEvents.get(p.service.name)!.toJSON(),
        },
      ]),
    ),
  }
}

function keyStates(pool: ServicePool, now: number): ServiceStats['key_states'] {
  const states = { active: 0, cooling: 0, disabled: 0 }
  for (const key of pool.keys.items) {
    if (key.health.disabled()) states.disabled++
    else if (key.health.state(now) === 'cooling') states.cooling++
    else states.active++
  }
  return states
}

function checkFigures({ last }: KeyCheck): CheckFigures | null {
  return last ? { at: new Date(last.at).toISOString(), ok: last.ok, status: last.status ?? null, message: last.message } : null
}

/** With Redis: whether it answers and how many instances share through it. */
function shared(runtime: Runtime): { shared?: SharedFigures } {
  const figures = runtime.sharing.figures()
  return figures ? { shared: figures } : {}
}

/** /stats and /metrics: this process's figures, or with --workers every worker's added up. */
export async function collectStats(runtime: Runtime): Promise<Stats> {
  return runtime.group ? runtime.group.collectStats(() => stats(runtime)) : stats(runtime)
}

function affinityFigures(state: ProxyState, service: string, mode: string, pinnedSessions: number): AffinityFigures {
  const a = state.affinity.get(service)!
  return { mode, pinned_sessions: pinnedSessions, hits: a.hits, new_pins: a.newPins, repins: { ...a.repins } }
}
