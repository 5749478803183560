/**
 * GET /v1/models and GET /v1/models/{id}: what lmlb can route, in the
 * client's own shape: OpenAI's list (`object`, `data[{id, object, created,
 * owned_by}]`), or Anthropic's (`data[{type, id, display_name,
 * created_at}]`, `has_more`, `first_id`, `last_id`, paged by `limit`,
 * `after_id`, `before_id`) when the request carries `anthropic-version`,
 * or Google's (`models[{name: "models/{id}", displayName,
 * supportedGenerationMethods}]`, paged by `pageSize` and `pageToken`) when
 * it is under `/v1beta/` or comes from Google's clients (`x-goog-api-key`,
 * `x-goog-api-client`).
 * Local knowledge first (the mock, aliases, the Claude-name mapping,
 * allow-lists), then what each ready service's upstream listed, prefixed
 * `service/` as a client must ask for them: only what the background
 * refresh (state/model-refresh.ts) kept, so nothing here waits on an
 * upstream.
 */
import { isServiceable } from '../balancer/choosers'
import { MOCK_SERVICE } from '../config/defaults'
import type { WireApi } from '../apis'
import type { ProxyState } from '../state/proxy-state'
import { pathOf } from './request-path'

/** One model lmlb can route, as any shape needs it. */
interface Model {
  id: string
  owner: string
  /** Epoch seconds (0: not known). */
  created: number
  name: string
}

function models(state: ProxyState): Model[] {
  const found = new Map<string, Model>()
  const add = (id: string, owner: string, created = 0, name = id) => found.has(id) || found.set(id, { id, owner, created, name })
  add(`${MOCK_SERVICE}/echo`, 'lmlb')
  for (const alias of Object.keys(state.config.aliases)) add(alias, 'lmlb-alias')
  const { bigModel, smallModel, preferredProvider } = state.config
  if (preferredProvider !== 'anthropic')
    for (const [name, target] of [
      ['claude-sonnet-4-5', bigModel],
      ['claude-opus-4-1', bigModel],
      ['claude-haiku-4-5', smallModel],
    ])
      add(name, `lmlb → ${target}`)
  const ready = [...state.pools.values()].filter(isServiceable)
  for (const pool of ready) for (const m of pool.service.models ?? []) add(`${pool.service.name}/${m}`, pool.service.name)
  for (const pool of ready)
    for (const m of state.modelLists.get(pool.service.name)?.models ?? [])
      add(`${pool.service.name}/${m.id}`, pool.service.name, m.created, m.name)
  return [...found.values()]
}

/** Whose shape a model list or entry takes: Google's, Anthropic's or OpenAI's (`chat`). */
export function modelClientOf(request: Request): WireApi {
  const { headers } = request
  if (headers.has('x-goog-api-key') || headers.has('x-goog-api-client') || pathOf(request.url)?.startsWith('/v1beta/')) return 'gemini'
  return headers.has('anthropic-version') ? 'messages' : 'chat'
}

/** The list, in the shape of the client that asks (`request`'s headers and query). */
export function listModels(state: ProxyState, request: Request): Response {
  const all = models(state)
  const client = modelClientOf(request)
  if (client === 'gemini') return googleList(all, new URL(request.url).searchParams)
  if (client === 'chat') return Response.json({ object: 'list', data: all.map(openaiEntry) })
  const q = new URL(request.url).searchParams
  const limit = Math.min(1000, Math.max(1, Number(q.get('limit') ?? 20) || 20))
  const after = q.get('after_id')
  const before = q.get('before_id')
  let from = 0
  let to = all.length
  if (after !== null) from = all.findIndex((m) => m.id === after) + 1
  if (before !== null)
    to = Math.max(
      0,
      all.findIndex((m) => m.id === before),
    )
  // before_id pages backwards: the `limit` models just before it.
  const page = before !== null && after === null ? all.slice(Math.max(0, to - limit), to) : all.slice(from, Math.min(to, from + limit))
  const hasMore = before !== null && after === null ? to - limit > 0 : from + limit < to
  return Response.json({
    data: page.map(anthropicEntry),
    has_more: hasMore,
    first_id: page[0]?.id ?? null,
    last_id: page.at(-1)?.id ?? null,
  })
}

/**
 * One entry of the list, in the client's shape; a bare upstream name
 * (`gpt-4o`) is found under the service it routes to (`routedAs`).
 * Undefined when lmlb serves no such model.
 */
export function retrieveModel(state: ProxyState, request: Request, id: string, routedAs: string | undefined): Response | undefined {
  const all = models(state)
  const found = all.find((m) => m.id === id) ?? (routedAs === undefined ? undefined : all.find((m) => m.id === routedAs))
  if (!found) return undefined
  const entry = { ...found, id }
  const client = modelClientOf(request)
  return Response.json(client === 'gemini' ? googleEntry(entry) : client === 'messages' ? anthropicEntry(entry) : openaiEntry(entry))
}

/** Google's list: `pageSize` (default 50, at most 1000) at a time, `pageToken` the index where the page starts. */
function googleList(all: Model[], q: URLSearchParams): Response {
  // Whole: a fractional size would hand out a token (`2.5`) the next call could not read, and paging would never end.
  const size = Math.min(1000, Math.max(1, Math.floor(Number(q.get('pageSize') ?? 50)) || 50))
  const from = /^\d{1,9}$/.test(q.get('pageToken') ?? '') ? Number(q.get('pageToken')) : 0
  const page = all.slice(from, from + size)
  return Response.json({ models: page.map(googleEntry), ...(from + size < all.length && { nextPageToken: String(from + size) }) })
}

function googleEntry(m: Model) {
  const methods = /embed/i.test(m.id) ? ['embedContent', 'batchEmbedContents'] : ['generateContent', 'streamGenerateContent', 'countTokens']
  return { name: `models/${m.id}`, displayName: m.name, supportedGenerationMethods: methods }
}

function openaiEntry(m: Model) {
  return { id: m.id, object: 'model', created: m.created, owned_by: m.owner }
}

function anthropicEntry(m: Model) {
  return { type: 'model', id: m.id, display_name: m.name, created_at: new Date(m.created * 1000).toISOString() }
}
