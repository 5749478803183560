/** /health/live and /health/ready, as an orchestrator's probes see them (no proxy key). */
import { afterEach, expect, test } from 'bun:test'
import { startLmlb } from '../helpers/lmlb'
import { startUpstream } from '../helpers/upstream'

const running: { stop(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()))
})

const probe = async (url: string, headers: Record<string, string> = {}) => {
  const res = await fetch(url, { headers })
  return [res.status, await res.json()]
}

test('no keys at all: alive and ready (a built-in service without keys is not set up to serve)', async () => {
  const lmlb = await startLmlb()
  running.push(lmlb)
  expect(await probe(`${lmlb.url}/health/live`)).toEqual([200, { status: 'alive' }])
  expect(await probe(`${lmlb.url}/health/ready`)).toEqual([200, { status: 'ready' }])
})

test('a service whose only endpoint is cooling: not ready (503), saying which only to a proxy key; alive throughout', async () => {
  const up = startUpstream('down', () => Response.json({ error: { message: 'down' } }, { status: 500 }))
  const lmlb = await startLmlb({
    env: {
      OPENAI_API_KEYS: 'sk-probe-key-0001',
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }),
      PROXY_API_KEYS: 'team-probe-0001',
      LMLB_MAX_ATTEMPTS: '1',
    },
  })
  running.push(up, lmlb)
  expect(await probe(`${lmlb.url}/health/ready`)).toEqual([200, { status: 'ready' }])
  const failed = await fetch(`${lmlb.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: 'Bearer team-probe-0001' },
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
  })
  expect(failed.status).toBe(500)
  expect(await probe(`${lmlb.url}/health/ready`)).toEqual([503, { status: 'not_ready' }])
  expect(await probe(`${lmlb.url}/health/ready`, { 'x-api-key': 'team-probe-0001' })).toEqual([
    503,
    { status: 'not_ready', services_not_ready: ['openai'] },
  ])
  expect(await probe(`${lmlb.url}/health/live`)).toEqual([200, { status: 'alive' }])
})

test('a keyless service set up by configuration counts', async () => {
  const up = startUpstream('local')
  const lmlb = await startLmlb({
    args: ['--config', 'lmlb.yaml'],
    files: { 'lmlb.yaml': `services:\n  local: { endpoints: ["${up.base}"] }\n` },
    env: { LMLB_MAX_ATTEMPTS: '1' },
  })
  running.push(up, lmlb)
  expect(await probe(`${lmlb.url}/health/ready`)).toEqual([200, { status: 'ready' }])
  up.handle(() => new Response('down', { status: 503 }))
  await fetch(`${lmlb.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'local/m', messages: [{ role: 'user', content: 'x' }] }),
  })
  expect(await probe(`${lmlb.url}/health/ready`)).toEqual([503, { status: 'not_ready', services_not_ready: ['local'] }])
})
