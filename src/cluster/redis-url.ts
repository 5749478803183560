/**
 * How to reach Redis, from LMLB_REDIS_URL (pure): a single server
 * (`redis://`, `rediss://` for TLS), or Sentinel
 * (`redis+sentinel://[user:password@]host:port[,host:port...]/master[/db]`,
 * `rediss+sentinel://` for TLS), in the form the Redis URL conventions of
 * redis-py, Lettuce and Celery take. The user and password are the
 * master's; `?sentinel_password=` gives the sentinels' own when they have one.
 */
import type { RedisOptions } from 'ioredis'

export type RedisTarget = { url: string } | { sentinel: RedisOptions }

export function redisTarget(url: string): RedisTarget {
  // The credentials end at the last @ before the hosts (a password may hold one).
  const sentinel = /^(rediss?)\+sentinel:\/\/(?:([^/]*)@)?([^@/?]+)\/([^/?]+)(?:\/(\d+))?(?:\?(.*))?$/.exec(url)
  if (!sentinel) return { url }
  const [, scheme, auth, hosts, name, db, query] = sentinel
  const [username, password] = auth === undefined ? [] : splitAuth(auth)
  const sentinelPassword = new URLSearchParams(query ?? '').get('sentinel_password') ?? undefined
  const tls = scheme === 'rediss'
  return {
    sentinel: {
      sentinels: hosts.split(',').map((h) => {
        const at = h.lastIndexOf(':')
        return at < 0 ? { host: h, port: 26379 } : { host: h.slice(0, at), port: Number(h.slice(at + 1)) }
      }),
      name: decoded(name),
      ...(username && { username }),
      ...(password && { password }),
      ...(sentinelPassword && { sentinelPassword }),
      ...(db !== undefined && { db: Number(db) }),
      ...(tls && { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true }),
    },
  }
}

/** Where Redis is, for a log line: never its user or password. */
export function redisWhere(url: string): string {
  const target = redisTarget(url)
  if ('sentinel' in target)
    return `${target.sentinel.name} via Sentinel ${target.sentinel.sentinels!.map((s) => `${s.host}:${s.port}`).join(',')}`
  try {
    const u = new URL(url)
    return `${u.hostname}:${u.port || '6379'}`
  } catch {
    return '(the configured URL)'
  }
}

function splitAuth(auth: string): [string | undefined, string | undefined] {
  const colon = auth.indexOf(':')
  const [user, pass] = colon < 0 ? [auth, undefined] : [auth.slice(0, colon), auth.slice(colon + 1)]
  return [user ? decoded(user) : undefined, pass ? decoded(pass) : undefined]
}

/** Percent-decoded where it can be: a lone % (`50%off`) is taken as written. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}
