/**
 * `/v1/responses/{id}` and what lies under it: a response lmlb made and
 * keeps is answered from its store (retrieved, its input items listed,
 * deleted); one an upstream made through lmlb goes to the key that made it
 * (a response is known only to its account); any other id is an
 * account's object as before (account-bound.ts).
 */
import { errorResponse } from './errors'
import { forwardTo } from './account-bound'
import { inputItemsPage, isKeptId, type KeptEntry, type MadeUpstream } from '../apis/openai-responses/kept'
import { ProxyError } from '../errors'
import type { Runtime } from '../state/runtime'

const UNDER = /^\/v1\/responses\/([A-Za-z0-9_-]{1,200})(\/[a-z_]+)?$/

/** The response a path names, and what under it (`/input_items`, `/cancel`...), or undefined for another path. */
export function storedResponseAt(path: string): { id: string; under: string } | undefined {
  const found = UNDER.exec(path)
  return found ? { id: found[1], under: found[2] ?? '' } : undefined
}

/** The answer, or undefined where lmlb knows nothing of the id. */
export async function answerStored(request: Request, runtime: Runtime, id: string, under: string): Promise<Response | undefined> {
  const json = await runtime.responses.get(id)
  const entry = json === undefined ? undefined : (JSON.parse(json) as KeptEntry)
  if (entry && 'upstream' in entry) return toOwner(request, runtime, id, entry.upstream)
  if (!entry) {
    if (!isKeptId(id)) return undefined
    const bounds = 'for LMLB_RESPONSES_KEPT_S after their last use, within LMLB_RESPONSES_KEPT and LMLB_RESPONSES_KEPT_MB'
    return refused(404, 'response_not_found', `Response with id '${id}' not found: lmlb keeps the responses it makes ${bounds}`)
  }
  const { kept } = entry
  const route = `${request.method} ${under}`
  if (route === 'GET ') return Response.json(kept.response)
  if (route === 'DELETE ') {
    await runtime.responses.delete(id)
    return Response.json({ id, object: 'response', deleted: true })
  }
  if (route === 'GET /input_items') {
    const page = inputItemsPage(kept.input, new URL(request.url).searchParams)
    return typeof page === 'string' ? refused(400, 'invalid_request', page) : Response.json(page)
  }
  return refused(
    400,
    'unsupported_request',
    `${request.method} /v1/responses/${id}${under}: lmlb answers GET, DELETE and GET /input_items for the responses it made`,
  )
}

/** To the key that made it, and forgotten here once deleted there. */
async function toOwner(request: Request, runtime: Runtime, id: string, owner: MadeUpstream): Promise<Response> {
  const pool = runtime.current.pools.get(owner.service)
  const key = owner.keyHash === undefined ? undefined : pool?.keyByHash.get(owner.keyHash)
  const endpoint = pool?.endpoints.items.find((e) => e.url === owner.endpoint)
  if (!pool || !endpoint || (owner.keyHash !== undefined && !key)) {
    const message = `response ${id} was made by a key or endpoint of "${owner.service}" that lmlb no longer has; only that account knows it`
    return refused(404, 'response_not_found', message)
  }
  const answer = await forwardTo(request, runtime, pool, key, endpoint)
  if (request.method === 'DELETE' && answer.ok) await runtime.responses.delete(id)
  return answer
}

function refused(status: number, code: string, message: string): Response {
  return errorResponse('responses', new ProxyError(status, code, message))
}
