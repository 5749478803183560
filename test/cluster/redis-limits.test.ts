/**
 * Client limits across instances ask Redis, but only for keys that carry a
 * limit, and never at the cost of a request: with no usable connection, or
 * a script that fails, the request is counted here instead. These tests use
 * a stand-in link (no Redis): they check what is asked and when, not Redis.
 */
import { describe, expect, test } from 'bun:test'
import { ClientBudget, type Admission } from '../../src/balancer/client-budgets'
import { redisAdmission } from '../../src/cluster/redis-limits'
import type { RedisLink } from '../../src/cluster/redis-link'
import type { ClientLimits } from '../../src/config/schema'
import { ProxyError } from '../../src/errors'

const CLIENT_KEY = 'client-key-secret-0001'

/** A link whose connection is `client` (undefined: Redis not answering), counting how often it is asked for one. */
function fakeLink(client?: object) {
  let asked = 0
  const link = {
    prefix: 'pfx',
    usable: () => (asked++, client),
  } as unknown as RedisLink
  return { link, asked: () => asked }
}

/** A local admission that records what it was asked and hands back a release it can see called. */
function fakeLocal() {
  const calls: [string, string][] = []
  const released: number[] = []
  const local: Admission = {
    admit(key, _budget, model) {
      calls.push([key, model])
      return (tokens) => void released.push(tokens)
    },
  }
  return { local, calls, released }
}

const budget = (limits: Omit<ClientLimits, 'key'>) => new ClientBudget({ key: CLIENT_KEY, ...limits })

describe('redisAdmission', () => {
  test('no usable connection: the local admission counts the request, and its release is the one returned', async () => {
    const { link, asked } = fakeLink(undefined)
    const { local, calls, released } = fakeLocal()
    const release = await redisAdmission(link, local).admit(CLIENT_KEY, budget({ rpm: 5 }), 'gpt-4o')
    expect(asked()).toBe(1)
    expect(calls).toEqual([[CLIENT_KEY, 'gpt-4o']])
    release(42)
    expect(released).toEqual([42])
  })

  test('a key with only a model allow-list never asks Redis nor counts; a model outside it is still a 403', async () => {
    const { link, asked } = fakeLink(undefined)
    const { local, calls } = fakeLocal()
    const admission = redisAdmission(link, local)
    const release = await admission.admit(CLIENT_KEY, budget({ models: ['gpt-4o'] }), 'gpt-4o')
    release(10)
    await expect(Promise.resolve().then(() => admission.admit(CLIENT_KEY, budget({ models: ['gpt-4o'] }), 'o3'))).rejects.toMatchObject({
      status: 403,
      code: 'model_not_allowed',
    })
    expect([asked(), calls.length]).toEqual([0, 0])
  })

  test('a script that fails (Redis went away mid-call): counted locally, the request goes on', async () => {
    const { link } = fakeLink({ eval: () => Promise.reject(new Error('connection lost')) })
    const { local, calls } = fakeLocal()
    await redisAdmission(link, local).admit(CLIENT_KEY, budget({ maxConcurrent: 2 }), 'm')
    expect(calls).toHaveLength(1)
  })

  test("Redis refuses: the 429 is built from Redis's figures; the keys it reads are under the prefix and never hold the client key", async () => {
    const seen: unknown[][] = []
    const { link } = fakeLink({ eval: (...args: unknown[]) => (seen.push(args), Promise.resolve(['requests', 30_000, 2, 30_000, 0, 0])) })
    const { local, calls } = fakeLocal()
    const error = await Promise.resolve(redisAdmission(link, local).admit(CLIENT_KEY, budget({ rpm: 2 }), 'm')).catch((e) => e)
    expect(error).toBeInstanceOf(ProxyError)
    expect([error.status, error.code]).toEqual([429, 'rate_limit_exceeded'])
    expect(error.headers).toEqual({
      'retry-after': '30',
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '30s',
    })
    const [, numKeys, ...rest] = seen[0]
    const names = rest.slice(0, numKeys as number) as string[]
    expect(names.map((n) => n.replace(/:[^:]+:(\w+)$/, ':HASH:$1'))).toEqual([
      'pfx:limit:HASH:requests',
      'pfx:limit:HASH:tokens',
      'pfx:limit:HASH:running',
    ])
    expect(JSON.stringify(seen)).not.toContain(CLIENT_KEY)
    expect(calls).toEqual([])
  })

  test('Redis admits: the release takes the request out of the running set and charges its tokens there', async () => {
    const ops: unknown[][] = []
    const tx = {
      zrem: (...a: unknown[]) => (ops.push(['zrem', ...a]), tx),
      zadd: (...a: unknown[]) => (ops.push(['zadd', ...a]), tx),
      pexpire: (...a: unknown[]) => (ops.push(['pexpire', ...a]), tx),
      exec: () => (ops.push(['exec']), Promise.resolve([])),
    }
    const { link } = fakeLink({ eval: () => Promise.resolve(['ok', 0, 0, 0, 0, 0]), multi: () => tx })
    const { local, calls } = fakeLocal()
    const release = await redisAdmission(link, local).admit(CLIENT_KEY, budget({ maxConcurrent: 1, tpm: 1000 }), 'm')
    expect(calls).toEqual([])
    release(120)
    expect(ops.map((o) => o[0])).toEqual(['zrem', 'zadd', 'pexpire', 'exec'])
    expect(String(ops[1][3])).toMatch(/:120$/)
  })
})
