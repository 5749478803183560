/**
 * Limits per client key across every instance sharing a Redis: one script
 * per request, atomic in Redis (no read-then-write race between
 * instances), over a sliding 60-second window of requests and of tokens,
 * and the requests under way. Only a limited key's request waits
 * for it (one round trip). Redis unreachable: the instance counts on its
 * own, as without Redis. Keys are named by a hash of the client key.
 */
import { hashOf } from '../util/hash'
import { checkModel, LIMIT_MESSAGES, LIMIT_WINDOW_MS, limitRefusal, type Admission } from '../balancer/client-budgets'
import type { RedisLink } from './redis-link'

/**
 * KEYS: requests zset, tokens zset, in-flight zset (each request by id and
 * start). ARGV: now, window, rpm, tpm, max concurrent (-1: none), the
 * request's id, how long a request may stay counted in flight.
 */
const ADMIT = `
local now = tonumber(ARGV[1]); local window = tonumber(ARGV[2])
local rpm = tonumber(ARGV[3]); local tpm = tonumber(ARGV[4]); local maxc = tonumber(ARGV[5]); local stale = tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
local requests = redis.call('ZCARD', KEYS[1])
local tokens = 0
for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do tokens = tokens + tonumber(string.match(m, ':(%d+)$')) end
local function reset(key)
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  if oldest[2] then return tonumber(oldest[2]) + window - now end
  return 0
end
local state = {requests, reset(KEYS[1]), tokens, reset(KEYS[2])}
if maxc >= 0 then
  -- A request whose release was lost (Redis away as it ended) stops counting after a while.
  redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now - stale)
  if redis.call('ZCARD', KEYS[3]) >= maxc then return {'concurrency', 1000, unpack(state)} end
end
if rpm >= 0 and requests >= rpm then return {'requests', state[2], unpack(state)} end
if tpm >= 0 and tokens >= tpm then return {'tokens', state[4], unpack(state)} end
redis.call('ZADD', KEYS[1], now, ARGV[6])
redis.call('PEXPIRE', KEYS[1], window)
if maxc >= 0 then redis.call('ZADD', KEYS[3], now, ARGV[6]); redis.call('PEXPIRE', KEYS[3], stale) end
return {'ok', 0, unpack(state)}
`

/** The longest a request counts as under way for `max_concurrent` when its end was never heard of. */
const IN_FLIGHT_STALE_MS = 600_000

export function redisAdmission(link: RedisLink, local: Admission): Admission {
  const names = (key: string) => {
    const id = hashOf(key)
    return [`${link.prefix}:limit:${id}:requests`, `${link.prefix}:limit:${id}:tokens`, `${link.prefix}:limit:${id}:running`]
  }
  return {
    async admit(key, budget, model) {
      const { limits } = budget
      checkModel(limits, model)
      // An allow-list alone counts nothing: nothing to ask Redis.
      if (limits.rpm === undefined && limits.tpm === undefined && limits.maxConcurrent === undefined) return () => {}
      const client = link.usable()
      if (!client) return local.admit(key, budget, model)
      let answer: [string, number, number, number, number, number]
      const id = crypto.randomUUID()
      try {
        answer = (await client.eval(
          ADMIT,
          3,
          ...names(key),
          Date.now(),
          LIMIT_WINDOW_MS,
          limits.rpm ?? -1,
          limits.tpm ?? -1,
          limits.maxConcurrent ?? -1,
          id,
          IN_FLIGHT_STALE_MS,
        )) as typeof answer
      } catch {
        return local.admit(key, budget, model)
      }
      const [verdict, waitMs, requests, requestsResetMs, tokens, tokensResetMs] = answer
      if (verdict !== 'ok') {
        const [code, message] = LIMIT_MESSAGES[verdict as 'concurrency' | 'requests' | 'tokens'](limits)
        throw limitRefusal(limits, code, message, Number(waitMs), {
          requests: Number(requests),
          requestsResetMs: Number(requestsResetMs),
          tokens: Number(tokens),
          tokensResetMs: Number(tokensResetMs),
        })
      }
      // Released where it was counted: in Redis.
      return (spent) => {
        const [, tokenSet, inflight] = names(key)
        const tx = client.multi()
        if (limits.maxConcurrent !== undefined) tx.zrem(inflight, id)
        if (spent > 0) tx.zadd(tokenSet, Date.now(), `${crypto.randomUUID()}:${spent}`).pexpire(tokenSet, LIMIT_WINDOW_MS)
        // Fire-and-forget: the answer has gone; an unreachable Redis loses this charge, never the request.
        void tx.exec().catch(() => {})
      }
    },
  }
}
