/**
 * The path of a request as lmlb routes and authorises it: the text from the
 * first `/` after `http://` up to `?`, found exactly as Elysia's router finds
 * it with `standardHostname: false` (app.ts). Routing, the proxy-key check
 * and error shapes all read this one path, so a short Host (`llm`, `x`) or a
 * query that looks like a path (`/health?/stats`) cannot make them disagree.
 *
 * undefined: the request target is not a path (`CONNECT host:port` reaches
 * the handler with the URL `host:port`). lmlb serves plain HTTP only, so
 * every routable URL starts with `http://`.
 */
const SCHEME = 'http://'

export function pathOf(url: string): string | undefined {
  if (!url.startsWith(SCHEME)) return undefined
  const start = url.indexOf('/', SCHEME.length)
  if (start < 0) return '/'
  const query = url.indexOf('?', start + 1)
  return query < 0 ? url.substring(start) : url.substring(start, query)
}
