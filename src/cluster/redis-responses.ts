/**
 * Kept responses shared through Redis, so a chain started on one instance
 * goes on at any other: each is written there too (with its time to live,
 * fire-and-forget), and read there first, its life starting again. While
 * Redis answers it is the truth (one deleted anywhere is gone everywhere);
 * while it is away, this instance's own copies serve.
 */
import type { ResponseStore } from '../state/response-store'
import type { RedisLink } from './redis-link'

export function redisResponses(link: RedisLink, local: ResponseStore, ttlMs: () => number): ResponseStore {
  const name = (id: string) => `${link.prefix}:response:${id}`
  return {
    async get(id) {
      const client = link.usable()
      if (!client) return local.get(id)
      try {
        return (await client.getex(name(id), 'PX', ttlMs())) ?? undefined
      } catch {
        return local.get(id)
      }
    },
    put(id, json) {
      local.put(id, json)
      link
        .usable()
        ?.set(name(id), json, 'PX', ttlMs())
        .catch(() => {})
    },
    async delete(id) {
      const here = await local.delete(id)
      const client = link.usable()
      if (!client) return here
      try {
        return (await client.del(name(id))) > 0 || here
      } catch {
        return here
      }
    },
  }
}
