/**
 * One check of a key: its provider's model listing (`GET <base>/models`),
 * which costs nothing and runs no model, with the key as the provider
 * takes it. 2xx: the key works. What else came back is kept, masked and
 * short, for the operator to read.
 */
import { MODELS_PATH } from '../apis/endpoints'
import type { Provider } from '../providers/provider'
import { upstreamHeaders } from './headers'
import type { Hop } from './via'

export const CHECK_TIMEOUT_MS = 10_000
const MESSAGE_CHARS = 200

export interface CheckFinding {
  ok: boolean
  /** The listing's status; none when it could not be had (connection, timeout). */
  status?: number
  /** What the upstream said, keys masked, at most 200 characters; "ok" for a pass. */
  message: string
  /** The body's start in lower case, for the failure rules (upstream/key-verdict.ts). */
  body?: string
}

export interface CheckTarget {
  baseUrl: string
  provider: Provider
  key: string
  /** The service's own headers (OpenRouter's attribution...). */
  headers: Record<string, string>
  hop: Hop
  mask: (text: string) => string
}

export async function checkKey(t: CheckTarget, timeoutMs = CHECK_TIMEOUT_MS): Promise<CheckFinding> {
  const headers = { ...upstreamHeaders(t.provider, new Headers(), t.key, t.hop), ...t.headers }
  delete headers['content-type']
  try {
    const response = await fetch(t.baseUrl + MODELS_PATH, { headers, signal: AbortSignal.timeout(timeoutMs) })
    const text = await response.text()
    if (response.ok) return { ok: true, status: response.status, message: 'ok' }
    const said = t.mask(text.replace(/\s+/g, ' ').trim()).slice(0, MESSAGE_CHARS)
    return { ok: false, status: response.status, message: said || response.statusText, body: text.slice(0, 4096).toLowerCase() }
  } catch (error) {
    const timedOut = (error as Error).name === 'TimeoutError'
    return {
      ok: false,
      message: timedOut ? `no answer within ${timeoutMs} ms` : t.mask(`could not reach ${t.baseUrl}: ${(error as Error).message}`),
    }
  }
}
