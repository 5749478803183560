/**
 * The admin API's key routes (CONTRACT: /admin/keys), behind LMLB_ADMIN_KEY
 * (`Authorization: Bearer` or `x-api-key`; a client's proxy key is not
 * one). Without LMLB_ADMIN_KEY they answer 404 saying so. What they do is
 * state/key-admin.ts's; here requests are read and answers shaped, errors
 * as JSON `{"error": {"message", "type", "code"}}` with a 4xx for bad input.
 */
import { ProxyError } from '../errors'
import {
  addKeys,
  checkNow,
  deleteKey,
  disableKey,
  enableKey,
  findKey,
  listKeys,
  MAX_BATCH,
  viewOf,
  type Found,
  type KeyView,
} from '../state/key-admin'
import type { Runtime } from '../state/runtime'
import { matchingKey } from './auth'
import { readBodyBytes } from './read-body'

const STATES: readonly KeyView['state'][] = ['active', 'cooling', 'disabled']
const PAGE = 1_000
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** Throws the admin API's refusal unless `request` carries the admin key. */
export function admitted(runtime: Runtime, request: Request): void {
  const { adminKey } = runtime.current.config
  if (!adminKey) throw new ProxyError(404, 'admin_off', 'the admin API is off: set LMLB_ADMIN_KEY to turn it on')
  if (!matchingKey(request.headers, [adminKey]))
    throw new ProxyError(401, 'invalid_admin_key', 'the admin API needs LMLB_ADMIN_KEY as x-api-key or Authorization: Bearer')
}

export function adminKeyRoutes(runtime: Runtime) {
  const found = (id: string): Found => {
    const hit = findKey(runtime.current, id)
    if (!hit) throw new ProxyError(404, 'key_not_found', `no key has the id "${id.slice(0, 40)}" (GET /admin/keys lists them)`)
    return hit
  }
  const view = ({ pool, key }: Found) => viewOf(pool, key, runtime.keyStore.addedTo(pool.service.name).get(key.value))

  return {
    list(request: Request): Response {
      admitted(runtime, request)
      const q = new URL(request.url).searchParams
      const service = q.get('service') ?? undefined
      if (service !== undefined && !runtime.current.pools.has(service)) throw unknownService(service)
      const state = q.get('state') ?? undefined
      if (state !== undefined && !STATES.includes(state as KeyView['state']))
        throw new ProxyError(400, 'invalid_request', `state: one of ${STATES.join(', ')}`)
      const offset = whole(q.get('offset'), 0, 'offset')
      const limit = Math.min(MAX_BATCH, whole(q.get('limit'), PAGE, 'limit'))
      const page = listKeys(runtime, { service, state: state as KeyView['state'] | undefined, offset, limit })
      return Response.json({ total: page.total, offset, limit, keys: page.keys })
    },

    async add(request: Request): Promise<Response> {
      admitted(runtime, request)
      const q = new URL(request.url).searchParams
      const { service, entries, check } = await batchOf(request, runtime, q)
      if (entries.length > MAX_BATCH)
        throw new ProxyError(
          413,
          'batch_too_large',
          `at most ${MAX_BATCH} keys a request (this one has ${entries.length}); send the rest in more`,
        )
      const outcome = addKeys(runtime, service, entries, check)
      if (!outcome) throw unknownService(service)
      if (outcome.added.length === 0 && outcome.duplicates === 0)
        throw new ProxyError(
          400,
          'no_valid_key',
          `no valid key in the batch (entries ${outcome.invalid.slice(0, 20).join(', ')} are not keys)`,
        )
      return Response.json(outcome, { status: outcome.added.length > 0 ? 201 : 200 })
    },

    /** `rest`: `{id}/{action}`, the path after /admin/keys/. */
    async steer(request: Request, rest: string): Promise<Response> {
      admitted(runtime, request)
      const [id, action = '', ...more] = rest.split('/')
      if (more.length > 0) throw new ProxyError(404, 'not_found', 'POST /admin/keys/{id}/{disable|enable|check}')
      const hit = found(id)
      if (action === 'disable') disableKey(runtime, hit)
      else if (action === 'enable') enableKey(runtime, hit)
      else if (action === 'check') {
        const finding = await checkNow(runtime, hit)
        if (!finding) throw new ProxyError(503, 'checks_unavailable', 'this process runs no key checks')
        return Response.json({ key: view(hit), check: { ok: finding.ok, status: finding.status ?? null, message: finding.message } })
      } else throw new ProxyError(404, 'not_found', `POST /admin/keys/{id}/${action.slice(0, 40)}: the actions are disable, enable, check`)
      return Response.json({ key: view(hit) })
    },

    remove(request: Request, id: string): Response {
      admitted(runtime, request)
      const hit = found(id)
      if (deleteKey(runtime, hit) === 'configured') {
        const where = hit.pool.service.keyVariables
        throw new ProxyError(409, 'key_configured', `this key comes from the configuration (${where}): remove it there, or disable it here`)
      }
      return Response.json({ deleted: id })
    },
  }
}

/** The batch: JSON `{"service", "keys": [...], "check"?}`, or text, one key a line, with `?service=` (and `?check=1`). */
async function batchOf(
  request: Request,
  runtime: Runtime,
  q: URLSearchParams,
): Promise<{ service: string; entries: string[]; check: boolean }> {
  const { limits } = runtime.current.config
  const bytes = await readBodyBytes(request, { maxBytes: limits.maxBodyBytes, timeoutMs: limits.bodyTimeoutMs })
  let text: string
  try {
    text = utf8.decode(bytes)
  } catch {
    throw new ProxyError(400, 'invalid_utf8', 'the body is not valid UTF-8')
  }
  const type = request.headers.get('content-type')?.split(';')[0].trim().toLowerCase() ?? ''
  if (type === 'application/json') {
    let body: { service?: unknown; keys?: unknown; check?: unknown }
    try {
      body = JSON.parse(text)
    } catch (error) {
      throw new ProxyError(400, 'invalid_json', `the body is not valid JSON: ${(error as Error).message}`)
    }
    if (typeof body?.service !== 'string') throw new ProxyError(400, 'invalid_request', 'service: a service name is required')
    if (!Array.isArray(body.keys) || body.keys.length === 0)
      throw new ProxyError(400, 'invalid_request', 'keys: a list of keys is required')
    if (body.check !== undefined && typeof body.check !== 'boolean') throw new ProxyError(400, 'invalid_request', 'check: true or false')
    const entries = body.keys.map((k) => (typeof k === 'string' ? k : ''))
    return { service: body.service, entries, check: body.check === true }
  }
  if (type !== 'text/plain' && type !== '')
    throw new ProxyError(415, 'unsupported_media_type', 'send application/json {"service", "keys"} or text/plain, one key a line')
  const service = q.get('service')
  if (!service) throw new ProxyError(400, 'invalid_request', 'service: give it as ?service=NAME with a text body')
  const entries = text.split(/\r?\n/).filter((line) => line.trim() !== '')
  return { service, entries, check: q.get('check') === '1' || q.get('check') === 'true' }
}

function unknownService(name: string): ProxyError {
  return new ProxyError(404, 'unknown_service', `lmlb has no service "${name.slice(0, 64)}"`)
}

function whole(raw: string | null, fallback: number, name: string): number {
  if (raw === null) return fallback
  if (!/^\d{1,9}$/.test(raw)) throw new ProxyError(400, 'invalid_request', `${name}: a whole number`)
  return Number(raw)
}
