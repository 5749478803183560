/**
 * The Redis topologies lmlb meets. Sentinel: a master, a replica and
 * one sentinel (all Debian's `redis-server`, the sentinel run with
 * `--sentinel`), each on a free 127.0.0.1 port. The instances find the
 * master through the sentinel, share a 429, and after the master dies and
 * the sentinel promotes the replica they find the new one and share again.
 * Cluster, which lmlb does not support: it says so at connect.
 * lmlb runs as a process of its own here: several instances, each with its
 * own connections, as in production.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { openaiCompletion } from '../helpers/canned'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { freePort, REDIS_SERVER, startRedisServer, type RedisServer } from '../helpers/redis'
import { startUpstream } from '../helpers/upstream'

if (!REDIS_SERVER) console.warn('shared-redis-topologies.test.ts: skipped, no redis-server (Debian: apt-get install redis-server)')

const KEYS = ['sk-sentinel-one-0001', 'sk-sentinel-two-0002', 'sk-sentinel-ok-0003']
const limited = new Set([KEYS[0]])
const up = startUpstream('up', (r) =>
  limited.has(r.headers.authorization?.slice('Bearer '.length))
    ? Response.json({ error: { message: 'slow down' } }, { status: 429, headers: { 'retry-after': '30' } })
    : openaiCompletion(r.body.model, 'ok'),
)
const servers: RedisServer[] = []
const instances: RunningLmlb[] = []

afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()))
  await Promise.all(servers.map((s) => s.stop().catch(() => {})))
  await up.stop()
})

const ask = async (lmlb: RunningLmlb) => {
  const r = await fetch(`${lmlb.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
  })
  await r.text()
  return r.status
}
const sentWith = (key: string) => up.received.filter((r) => r.headers.authorization === `Bearer ${key}`).length

test.skipIf(!REDIS_SERVER)(
  'through Sentinel: instances share a 429, and again after the master fails over to the replica',
  async () => {
    const [masterPort, replicaPort, sentinelPort] = [await freePort(), await freePort(), await freePort()]
    // Syncs its replica at once (by default it waits 5 s for more replicas to come).
    const master = await startRedisServer(masterPort, ['--repl-diskless-sync-delay', '0'])
    const replica = await startRedisServer(
      replicaPort,
      ['--replicaof', '127.0.0.1', String(masterPort)],
      'MASTER <-> REPLICA sync: Finished with success',
    )
    servers.push(master, replica)
    // A sentinel rewrites its own configuration file: it gets one of its own. Quorum 1, and a master silent for 500 ms is down.
    const conf = join(mkdtempSync(join(tmpdir(), 'lmlb-sentinel-')), 'sentinel.conf')
    writeFileSync(
      conf,
      `sentinel monitor mymaster 127.0.0.1 ${masterPort} 1\nsentinel down-after-milliseconds mymaster 500\nsentinel failover-timeout mymaster 5000\n`,
    )
    const sentinel = await startRedisServer(sentinelPort, [conf, '--sentinel'], `+slave slave 127.0.0.1:${replicaPort}`)
    servers.push(sentinel)

    const url = `redis+sentinel://127.0.0.1:${sentinelPort}/mymaster`
    const [a, b] = await Promise.all(
      [0, 1].map(async () => {
        const lmlb = await startLmlb({
          process: true,
          env: { OPENAI_API_KEYS: KEYS.join(','), SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }), LMLB_REDIS_URL: url },
        })
        instances.push(lmlb)
        await lmlb.waitForLog(`shared state: Redis at mymaster via Sentinel 127.0.0.1:${sentinelPort} connected`)
        return lmlb
      }),
    )
    expect(await ask(a)).toBe(200)
    await b.waitForLog('key sk-...0001 cooling until')
    for (let n = 0; n < 3; n++) expect(await ask(b)).toBe(200)
    expect(sentWith(KEYS[0])).toBe(1)

    // The master dies; the sentinel promotes the replica; both instances find it by asking the sentinel again.
    const down = performance.now()
    await master.stop()
    await sentinel.waitFor(`+switch-master mymaster 127.0.0.1 ${masterPort} 127.0.0.1 ${replicaPort}`)
    const promoted = performance.now()
    await Promise.all([a, b].map((i) => i.waitForLog(`Redis at mymaster via Sentinel 127.0.0.1:${sentinelPort} connected`, 2)))
    console.log(
      `shared-redis: master stopped → replica promoted by the sentinel ${(promoted - down).toFixed(0)} ms (down-after 500 ms) → both instances on it ${(performance.now() - down).toFixed(0)} ms`,
    )
    limited.add(KEYS[1])
    const before = sentWith(KEYS[1])
    for (let n = 0; n < 2 && sentWith(KEYS[1]) === before; n++) expect(await ask(b)).toBe(200)
    expect(sentWith(KEYS[1])).toBe(before + 1)
    await a.waitForLog('key sk-...0002 cooling until')
    for (let n = 0; n < 3; n++) expect(await ask(a)).toBe(200)
    expect([sentWith(KEYS[0]), sentWith(KEYS[1])]).toEqual([1, before + 1])
  },
  60_000,
)

test.skipIf(!REDIS_SERVER)(
  'a Redis Cluster node: lmlb says once that it does not support Cluster, and serves',
  async () => {
    const node = await startRedisServer(await freePort(), ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'])
    servers.push(node)
    const lmlb = await startLmlb({
      process: true,
      env: {
        OPENAI_API_KEYS: KEYS[2],
        SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }),
        LMLB_REDIS_URL: `redis://127.0.0.1:${node.port}`,
      },
    })
    instances.push(lmlb)
    await lmlb.waitForLog('is a Redis Cluster node, which lmlb does not support')
    expect(await ask(lmlb)).toBe(200)
  },
  30_000,
)

const OPENSSL = Bun.which('openssl')
if (!OPENSSL) console.warn('shared-redis-topologies.test.ts: the TLS test skipped, no openssl (Debian: apt-get install openssl)')

/** A CA and a certificate for 127.0.0.1 signed by it, made here (nothing is fetched). */
function certificates(): { dir: string; ca: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'lmlb-redis-tls-'))
  const at = (name: string) => join(dir, name)
  writeFileSync(at('ext'), 'subjectAltName=IP:127.0.0.1\n')
  for (const args of [
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      at('ca.key'),
      '-out',
      at('ca.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=lmlb test CA',
    ],
    ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', at('redis.key'), '-out', at('redis.csr'), '-subj', '/CN=127.0.0.1'],
    [
      'x509',
      '-req',
      '-in',
      at('redis.csr'),
      '-CA',
      at('ca.pem'),
      '-CAkey',
      at('ca.key'),
      '-CAcreateserial',
      '-out',
      at('redis.pem'),
      '-days',
      '1',
      '-extfile',
      at('ext'),
    ],
  ]) {
    const made = Bun.spawnSync([OPENSSL!, ...args], { stdout: 'ignore', stderr: 'pipe' })
    if (made.exitCode !== 0) throw new Error(`openssl ${args[0]}: ${made.stderr.toString()}`)
  }
  return { dir, ca: at('ca.pem'), cert: at('redis.pem'), key: at('redis.key') }
}

test.skipIf(!REDIS_SERVER || !OPENSSL)(
  'rediss:// with a user and password: connects over TLS (the CA given by NODE_EXTRA_CA_CERTS); a wrong password is named; the password is never logged',
  async () => {
    const { ca, cert, key } = certificates()
    const port = await freePort()
    // TLS only (no plain port), and an ACL user instead of the default one.
    const tls = await startRedisServer(0, [
      '--tls-port',
      String(port),
      '--tls-cert-file',
      cert,
      '--tls-key-file',
      key,
      '--tls-ca-cert-file',
      ca,
      '--tls-auth-clients',
      'no',
      '--user',
      'default',
      'off',
      '--user',
      'lmlb',
      'on',
      '>tls-redis-pass-8817',
      '~*',
      '&*',
      '+@all',
    ])
    servers.push(tls)
    const start = async (password: string) => {
      const lmlb = await startLmlb({
        process: true,
        env: {
          OPENAI_API_KEYS: KEYS[2],
          SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }),
          LMLB_REDIS_URL: `rediss://lmlb:${password}@127.0.0.1:${port}`,
          NODE_EXTRA_CA_CERTS: ca,
        },
      })
      instances.push(lmlb)
      return lmlb
    }
    const good = await start('tls-redis-pass-8817')
    await good.waitForLog(`shared state: Redis at 127.0.0.1:${port} connected`)
    const wrong = await start('not-the-tls-pass-0042')
    await wrong.waitForLog('unreachable (WRONGPASS')
    expect(await ask(wrong)).toBe(200)
    expect(good.log()).not.toContain('tls-redis-pass-8817')
    expect(wrong.log()).not.toContain('not-the-tls-pass-0042')
  },
  30_000,
)
