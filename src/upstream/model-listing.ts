/**
 * One service's own model listing (`GET <base>/models`), as its upstream
 * answers it: OpenAI's `{data: [{id, created}]}`, Anthropic's
 * `{data: [{id, display_name, created_at}]}` or Google's `{models: [{name:
 * "models/{id}", displayName}]}` (its first page of 1,000); what a model is
 * called and when it came out, where the upstream says.
 */
import { MODELS_PATH } from '../apis/endpoints'
import type { Provider } from '../providers/provider'
import { upstreamHeaders } from './headers'
import type { Hop } from './via'

export const LISTING_TIMEOUT_MS = 5_000

export interface ListedModel {
  id: string
  /** Epoch seconds, where the upstream said. */
  created?: number
  /** A name for people (Anthropic's `display_name`). */
  name?: string
}

/** The models `baseUrl` lists with `key`, or undefined when it did not answer a list in time. */
export async function fetchListing(
  baseUrl: string,
  provider: Provider,
  key: string | undefined,
  hop: Hop,
): Promise<ListedModel[] | undefined> {
  try {
    const response = await fetch(baseUrl + MODELS_PATH + (provider.format === 'gemini' ? '?pageSize=1000' : ''), {
      headers: upstreamHeaders(provider, new Headers(), key, hop),
      signal: AbortSignal.timeout(LISTING_TIMEOUT_MS),
    })
    if (!response.ok) return undefined
    const body = (await response.json()) as { data?: unknown; models?: unknown }
    if (Array.isArray(body.models)) return body.models.flatMap(googleListed)
    return Array.isArray(body.data) ? body.data.flatMap(listed) : undefined
  } catch {
    return undefined
  }
}

function listed(m: unknown): ListedModel[] {
  const o = m as { id?: unknown; created?: unknown; created_at?: unknown; display_name?: unknown }
  if (typeof o?.id !== 'string' || o.id === '') return []
  const at = typeof o.created === 'number' ? o.created : typeof o.created_at === 'string' ? Date.parse(o.created_at) / 1000 : Number.NaN
  return [
    {
      id: o.id,
      ...(Number.isFinite(at) && { created: Math.floor(at) }),
      ...(typeof o.display_name === 'string' && { name: o.display_name }),
    },
  ]
}

function googleListed(m: unknown): ListedModel[] {
  const o = m as { name?: unknown; displayName?: unknown }
  if (typeof o?.name !== 'string' || !o.name.startsWith('models/') || o.name.length === 'models/'.length) return []
  return [{ id: o.name.slice('models/'.length), ...(typeof o.displayName === 'string' && { name: o.displayName }) }]
}
