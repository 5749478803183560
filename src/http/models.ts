/**
 * GET /v1/models: what lmlb can route, in the OpenAI list shape. Local
 * knowledge first (aliases, allow-lists, the Claude-name mapping, the
 * mock), then each ready service's own list from its upstream, prefixed
 * `service/` as a client must ask for them. Upstream lists are cached for a
 * while; one that fails is left out, not fatal.
 */
import { isServiceable } from '../balancer/choosers'
import type { ServicePool } from '../balancer/service-pool'
import type { ModelLists } from '../state/proxy-state'
import { MOCK_SERVICE } from '../config/defaults'
import { MODELS_PATH } from '../apis/endpoints'
import { PROVIDERS } from '../providers'
import { upstreamHeaders } from '../upstream/headers'
import type { Runtime } from '../state/runtime'
import type { Hop } from '../upstream/via'

export const MODEL_LIST_TTL_MS = 5 * 60_000
const MODEL_LIST_TIMEOUT_MS = 5_000

interface ModelEntry {
  id: string
  object: 'model'
  created: number
  owned_by: string
}

export async function listModels(runtime: Runtime, now = Date.now()): Promise<{ object: 'list'; data: ModelEntry[] }> {
  const state = runtime.current
  const entries = new Map<string, string>()
  const add = (id: string, owner: string) => entries.has(id) || entries.set(id, owner)
  add(`${MOCK_SERVICE}/echo`, 'lmlb')
  for (const alias of Object.keys(state.config.aliases)) add(alias, 'lmlb-alias')
  const { bigModel, smallModel } = state.config
  for (const [name, target] of [
    ['claude-sonnet-4-5', bigModel],
    ['claude-opus-4-1', bigModel],
    ['claude-haiku-4-5', smallModel],
  ]) {
    if (state.config.preferredProvider !== 'anthropic') add(name, `lmlb → ${target}`)
  }
  const ready = [...state.pools.values()].filter(isServiceable)
  for (const pool of ready) for (const m of pool.service.models ?? []) add(`${pool.service.name}/${m}`, pool.service.name)
  const listed = await Promise.all(ready.filter((p) => !p.service.models).map((p) => upstreamModels(p, state.modelLists, runtime.hop, now)))
  ready
    .filter((p) => !p.service.models)
    .forEach((pool, i) => {
      for (const id of listed[i]) add(`${pool.service.name}/${id}`, pool.service.name)
    })
  return { object: 'list', data: [...entries].map(([id, owner]) => ({ id, object: 'model', created: 0, owned_by: owner })) }
}

async function upstreamModels(pool: ServicePool, cache: ModelLists, hop: Hop, now: number): Promise<string[]> {
  const cached = cache.get(pool.service.name)
  if (cached && now - cached.at < MODEL_LIST_TTL_MS) return cached.ids
  const target = pool.pick(now)
  if (!target) return cached?.ids ?? []
  try {
    const res = await fetch(target.endpoint.url + MODELS_PATH, {
      headers: upstreamHeaders(PROVIDERS[pool.service.provider], new Headers(), target.key?.value, hop),
      signal: AbortSignal.timeout(MODEL_LIST_TIMEOUT_MS),
    })
    const body = (await res.json()) as { data?: { id?: unknown }[] }
    const ids = res.ok && Array.isArray(body.data) ? body.data.map((m) => m.id).filter((id): id is string => typeof id === 'string') : []
    cache.set(pool.service.name, { at: now, ids })
    return ids
  } catch {
    return cached?.ids ?? []
  } finally {
    // A listing says nothing of the target's health for completions.
    target.key?.health.released()
    target.endpoint.health.released()
  }
}

/**
 * GET /v1/models/{id}: one entry of the list, as OpenAI's retrieve answers;
 * a bare upstream name (`gpt-4o`) is found under the service it routes to.
 */
export async function retrieveModel(runtime: Runtime, id: string, routedAs: string | undefined): Promise<ModelEntry | undefined> {
  const { data } = await listModels(runtime)
  const entry = data.find((m) => m.id === id) ?? (routedAs === undefined ? undefined : data.find((m) => m.id === routedAs))
  return entry && { ...entry, id }
}
