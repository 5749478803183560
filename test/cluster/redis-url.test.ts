import { describe, expect, test } from 'bun:test'
import { loadConfig } from '../../src/config/load'
import { redisTarget, redisWhere } from '../../src/cluster/redis-url'

describe('redisTarget', () => {
  test('a single server: the URL as it is, for ioredis to read', () => {
    expect(redisTarget('rediss://user:pw@cache:6380/2')).toEqual({ url: 'rediss://user:pw@cache:6380/2' })
  })

  test('Sentinel: the sentinels, the master name, the master credentials and database, the sentinels own password', () => {
    expect(redisTarget('redis+sentinel://app:p%40ss@s1:26379,s2,10.0.0.3:26380/mymaster/3?sentinel_password=sp')).toEqual({
      sentinel: {
        sentinels: [
          { host: 's1', port: 26379 },
          { host: 's2', port: 26379 },
          { host: '10.0.0.3', port: 26380 },
        ],
        name: 'mymaster',
        username: 'app',
        password: 'p@ss',
        sentinelPassword: 'sp',
        db: 3,
      },
    })
    expect(redisTarget('rediss+sentinel://:pw@s1/primary')).toEqual({
      sentinel: {
        sentinels: [{ host: 's1', port: 26379 }],
        name: 'primary',
        password: 'pw',
        tls: {},
        sentinelTLS: {},
        enableTLSForSentinelMode: true,
      },
    })
  })

  test('a password with an @ or a lone % in it: taken as written, never part of the hosts', () => {
    expect(redisTarget('redis+sentinel://u:p@ss@s1:26379/m')).toMatchObject({
      sentinel: { sentinels: [{ host: 's1', port: 26379 }], username: 'u', password: 'p@ss' },
    })
    expect(redisTarget('redis+sentinel://:50%off@s1/m')).toMatchObject({ sentinel: { password: '50%off', name: 'm' } })
    expect(redisWhere('redis+sentinel://u:p@ss@s1:26379/m')).toBe('m via Sentinel s1:26379')
  })

  test('what a log may say: where, never who or the password', () => {
    expect(redisWhere('redis://:secret@cache:6380/0')).toBe('cache:6380')
    expect(redisWhere('redis://cache')).toBe('cache:6379')
    expect(redisWhere('redis+sentinel://u:secret@s1:26379,s2:26380/mymaster')).toBe('mymaster via Sentinel s1:26379,s2:26380')
  })

  test('the configuration takes both forms and names the variable when neither fits', () => {
    for (const url of [
      'redis://cache:6379',
      'rediss://u:p@cache',
      'redis+sentinel://s1:26379,s2:26379/mymaster',
      'rediss+sentinel://s1/m/2?sentinel_password=x',
    ]) {
      const result = loadConfig({ env: { LMLB_REDIS_URL: url } })
      expect(result.ok && result.config.redis).toEqual({ url, prefix: 'lmlb' })
    }
    for (const url of ['http://cache:6379', 'redis+sentinel://s1:26379', 'redis+sentinel://s1:26379/']) {
      const result = loadConfig({ env: { LMLB_REDIS_URL: url } })
      expect(result.ok ? [] : result.errors).toEqual([
        'LMLB_REDIS_URL: must be a redis:// or rediss:// URL, or redis+sentinel://host:port[,host:port...]/master-name',
      ])
    }
  })
})
