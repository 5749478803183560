/**
 * lmlb's own routes, beside the API endpoints it proxies (apis/endpoints.ts):
 * where each is served, and which may be called without a proxy key. app.ts
 * serves them; the edge's key check reads which are open.
 */
import { wantsHtml } from './auth'

/**
 * `always`: open to anyone; `browser`: open to a browser asking for the page
 * (it holds no data: it asks for a key for its polls); `admin`: no proxy
 * key, the admin API's own key instead (http/admin-keys.ts).
 */
type Open = 'always' | 'browser' | 'admin'

export const OWN_ROUTES = {
  // Claude Code probes the base URL with HEAD before its first call.
  probe: { method: 'HEAD', path: '/', open: 'always' },
  root: { method: 'GET', path: '/', open: 'browser' },
  // The health checks tell only their status without a key.
  health: { method: 'GET', path: '/health', open: 'always' },
  live: { method: 'GET', path: '/health/live', open: 'always' },
  ready: { method: 'GET', path: '/health/ready', open: 'always' },
  stats: { method: 'GET', path: '/stats' },
  metrics: { method: 'GET', path: '/metrics' },
  models: { method: 'GET', path: '/v1/models' },
  model: { method: 'GET', path: '/v1/models/*' },
  // Google's clients list under their own version too.
  geminiModels: { method: 'GET', path: '/v1beta/models' },
  geminiModel: { method: 'GET', path: '/v1beta/models/*' },
  reload: { method: 'POST', path: '/admin/reload' },
  keys: { method: 'GET', path: '/admin/keys', open: 'admin' },
  addKeys: { method: 'POST', path: '/admin/keys', open: 'admin' },
  steerKey: { method: 'POST', path: '/admin/keys/*', open: 'admin' },
  deleteKey: { method: 'DELETE', path: '/admin/keys/*', open: 'admin' },
  usage: { method: 'GET', path: '/admin/usage', open: 'admin' },
  requests: { method: 'GET', path: '/admin/requests', open: 'admin' },
} as const satisfies Record<string, { method: string; path: string; open?: Open }>

const OPEN: readonly { method: string; path: string; open: Open }[] = Object.values(OWN_ROUTES).filter(
  (r): r is Extract<(typeof OWN_ROUTES)[keyof typeof OWN_ROUTES], { open: Open }> => 'open' in r,
)

/** Whether a request may go without a proxy key. */
export function isOpenPath(method: string, path: string, headers: Headers): boolean {
  const route = OPEN.find((r) => r.method === method && (r.path.endsWith('/*') ? path.startsWith(r.path.slice(0, -1)) : r.path === path))
  return route !== undefined && (route.open !== 'browser' || wantsHtml({ headers }))
}
