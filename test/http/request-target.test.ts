/**
 * What lmlb makes of the request line and the Host header, on a raw socket
 * (a client library would normalise both): hosts of every length route the
 * same, a query that looks like a path is a query, the proxy-key check reads
 * the path the router reads, and a target that is not a path gets a short
 * OpenAI-shaped 400, never Bun's development page.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { raw } from '../helpers/raw-http'

const HOSTS = [
  'x',
  'll',
  'llm',
  'llm:80',
  'lmlb',
  'lmlb.svc:8082',
  '[::1]',
  '[::1]:8082',
  '127.0.0.1',
  'a-rather-long-service-name.namespace.svc.cluster.local:8082',
]
const CHAT = JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] })
const PROXY_KEY = 'proxy-key-for-target-tests'

describe('request targets and Host headers, open proxy', () => {
  let lmlb: RunningLmlb
  beforeAll(async () => {
    lmlb = await startLmlb()
  })
  afterAll(() => lmlb.stop())

  for (const host of HOSTS) {
    test(`Host: ${host} routes as any other host`, async () => {
      const health = await raw(lmlb.url, `GET /health HTTP/1.1\r\nHost: ${host}`)
      expect(health.status).toBe(200)
      expect(JSON.parse(health.body).status).toBe('healthy')
      const chat = await raw(lmlb.url, `POST /v1/chat/completions HTTP/1.1\r\nHost: ${host}\r\nContent-Type: application/json`, CHAT)
      expect(chat.status).toBe(200)
      expect(JSON.parse(chat.body).object).toBe('chat.completion')
      const stats = await raw(lmlb.url, `GET /stats HTTP/1.1\r\nHost: ${host}`)
      expect(JSON.parse(stats.body)).toHaveProperty('load_balancer_stats')
    })
  }

  test('a query that looks like a path is a query: /health?/stats is /health', async () => {
    const answer = await raw(lmlb.url, 'GET /health?/stats HTTP/1.1\r\nHost: x')
    expect(answer.status).toBe(200)
    expect(JSON.parse(answer.body)).not.toHaveProperty('load_balancer_stats')
    expect(JSON.parse(answer.body).status).toBe('healthy')
  })

  test('an unknown path 404s in the API shape whatever the host', async () => {
    const answer = await raw(lmlb.url, 'GET /v1/messages/nope HTTP/1.1\r\nHost: ab')
    expect(answer.status).toBe(404)
    expect(JSON.parse(answer.body)).toEqual({
      type: 'error',
      error: { type: 'not_found_error', message: 'GET /v1/messages/nope is not an lmlb endpoint' },
    })
  })

  for (const line of ['CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1', 'CONNECT llm:443 HTTP/1.1\r\nHost: llm:443']) {
    test(`${line.split('\r\n')[0]}: a short 400 in the OpenAI shape, no development page`, async () => {
      const answer = await raw(lmlb.url, line)
      expect(answer.status).toBe(400)
      expect(answer.headers.toLowerCase()).toContain('content-type: application/json')
      expect(answer.body.length).toBeLessThan(300)
      const body = JSON.parse(answer.body)
      expect(body.error.code).toBe('invalid_request_target')
      expect(body.error.type).toBe('invalid_request_error')
      expect(answer.body).not.toContain(process.cwd())
    })
  }
})

describe('request targets and Host headers, with PROXY_API_KEYS', () => {
  let lmlb: RunningLmlb
  beforeAll(async () => {
    lmlb = await startLmlb({ env: { PROXY_API_KEYS: PROXY_KEY } })
  })
  afterAll(() => lmlb.stop())

  const guarded = ['/stats', '/metrics', '/', '/v1/models']
  for (const host of HOSTS) {
    for (const path of guarded) {
      test(`Host: ${host}: GET /health?${path} tells only the status, GET ${path} needs a key`, async () => {
        const sneaky = await raw(lmlb.url, `GET /health?${path} HTTP/1.1\r\nHost: ${host}`)
        expect(sneaky.status).toBe(200)
        expect(JSON.parse(sneaky.body)).toEqual({ status: 'healthy' })
        const direct = await raw(lmlb.url, `GET ${path} HTTP/1.1\r\nHost: ${host}`)
        expect(direct.status).toBe(401)
        expect(JSON.parse(direct.body).error.code).toBe('invalid_proxy_key')
        const keyed = await raw(lmlb.url, `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nx-api-key: ${PROXY_KEY}`)
        expect(keyed.status).toBe(200)
      })
    }
  }

  test('an absolute-form target is routed and guarded by its path', async () => {
    const answer = await raw(lmlb.url, 'GET http://evil/stats HTTP/1.1\r\nHost: x')
    expect(answer.status).toBe(401)
  })

  test('CONNECT needs no key to be refused, and reveals nothing', async () => {
    const answer = await raw(lmlb.url, 'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1')
    expect(answer.status).toBe(400)
    expect(answer.body).not.toContain('<html')
    expect(JSON.parse(answer.body).error.code).toBe('invalid_request_target')
  })
})
