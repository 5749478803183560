/** GET /, /health, /stats and HEAD /: the seed's shapes, keys counted and never shown. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { defaultReply, startUpstream, type FakeUpstream } from '../helpers/upstream'

const KEYS = ['sk-proj-secretkey-0001', 'sk-proj-secretkey-0002', 'sk-proj-secretkey-0003']
let up: FakeUpstream
let lmlb: RunningLmlb

beforeAll(async () => {
  up = startUpstream('oai')
  lmlb = await startLmlb({
    env: {
      OPENAI_API_KEYS: KEYS.join(','),
      ANTHROPIC_API_KEY: 'sk-ant-secretkey-0009',
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base, `${up.base.replace('/v1', '/v2')}`] }),
    },
  })
})
afterAll(async () => {
  await lmlb.stop()
  await up.stop()
})

const get = async (path: string) => {
  const res = await fetch(`${lmlb.url}${path}`)
  const text = await res.text()
  for (const key of [...KEYS, 'sk-ant-secretkey-0009']) expect(text).not.toContain(key)
  return { status: res.status, body: JSON.parse(text) }
}

describe('status endpoints', () => {
  test('HEAD / answers 200 (Claude Code probes it)', async () => {
    const res = await fetch(`${lmlb.url}/`, { method: 'HEAD' })
    expect(res.status).toBe(200)
  })

  test('GET / names lmlb and summarises services', async () => {
    const { status, body } = await get('/')
    expect(status).toBe(200)
    expect(body).toMatchObject({ name: 'lmlb', status: 'running' })
    expect(body.services.openai).toMatchObject({ format: 'openai', keys_configured: 3, endpoints: 2, ready: true })
    expect(body.services.mock.ready).toBe(true)
  })

  test("GET /health has the seed's shape", async () => {
    const { status, body } = await get('/health')
    expect(status).toBe(200)
    expect(body.status).toBe('healthy')
    expect(Math.abs(body.timestamp - Date.now() / 1000)).toBeLessThan(60)
    expect(body.load_balancer).toMatchObject({
      openai_keys_configured: 3,
      anthropic_keys_configured: 1,
      endpoints: { openai: [up.base, up.base.replace('/v1', '/v2')], anthropic: ['https://api.anthropic.com/v1'] },
    })
  })

  test("GET /stats has the seed's shape, and counts requests per masked key and per endpoint", async () => {
    const ok = defaultReply('oai')
    up.handle((r, req) => (r.path.startsWith('/v2') ? Response.json({ error: { message: 'down' } }, { status: 500 }) : ok(r, req)))
    for (let i = 0; i < 4; i++) {
      const res = await fetch(`${lmlb.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
      })
      await res.text()
    }
    const { body } = await get('/stats')
    const openai = body.load_balancer_stats.openai
    expect(openai.keys_count).toBe(3)
    expect(openai.endpoints).toEqual([up.base, up.base.replace('/v1', '/v2')])
    // Request 2 meets the second endpoint's 500 and is retried on the first (with the next key);
    // the second then cools down and is skipped.
    expect(openai.keys.map((k: { key: string; requests: number }) => [k.key, k.requests])).toEqual([
      ['sk-...0001', 2],
      ['sk-...0002', 2],
      ['sk-...0003', 1],
    ])
    expect(openai.endpoint_stats.map((e: { requests: number; in_flight: number }) => [e.requests, e.in_flight])).toEqual([
      [4, 0],
      [1, 0],
    ])
    expect(openai.endpoint_stats[1].errors).toEqual({ status_500: 1 })
    expect(openai.endpoint_stats[1].health.state).toBe('cooling')
    expect(body.load_balancer_stats.anthropic.keys_count).toBe(1)
    // Tokens as the upstream reported them (the stand-in says 5 in, 3 out per answer).
    expect(openai.endpoint_stats[0].tokens_in).toBe(4 * 5)
    expect(openai.endpoint_stats[0].tokens_out).toBe(4 * 3)
  })
})

describe('GET /metrics', () => {
  test('Prometheus text with per-key (masked) and per-endpoint figures', async () => {
    const res = await fetch(`${lmlb.url}/metrics`)
    expect(res.headers.get('content-type')).toContain('text/plain')
    const text = await res.text()
    for (const key of KEYS) expect(text).not.toContain(key)
    expect(text).toContain('# TYPE lmlb_upstream_requests_total counter')
    expect(text).toContain('lmlb_keys_configured{service="openai"} 3')
    expect(text).toMatch(/lmlb_upstream_requests_total\{service="openai",target="key",id="sk-\.\.\.0001"\} \d+/)
    expect(text).toMatch(
      new RegExp(
        `lmlb_upstream_errors_total\\{service="openai",target="endpoint",id="${up.base.replace('/v1', '/v2').replace(/[.]/g, '\\.')}",kind="status_500"\\} 1`,
      ),
    )
    expect(text).toMatch(/lmlb_upstream_in_flight\{service="openai",target="endpoint",id="[^"]+"\} 0/)
    // Every sample line is "name{labels} number".
    for (const line of text.split('\n').filter((l) => l && !l.startsWith('#'))) expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? -?\d+(\.\d+)?$/)
  })
})
