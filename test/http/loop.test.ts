/**
 * An endpoint that points back at lmlb: each call would come back as a new
 * request, for ever. lmlb marks its calls with `Via` and refuses what comes
 * back with 508, so the client gets an answer at once that names the
 * mistake, and the process goes on serving.
 */
import { afterAll, expect, test } from 'bun:test'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { chat } from '../helpers/requests'
import { freePort } from '../helpers/redis'

const running: RunningLmlb[] = []
afterAll(() => Promise.all(running.map((r) => r.stop())))

/** Like the Anthropic request below, these carry no content-type (fetch sends text/plain). */
const untyped = { content: 'x', headers: { 'content-type': undefined } }

test('an endpoint that is lmlb itself: 508 in the client’s API shape at once, with no key set aside, and lmlb serves on', async () => {
  const port = await freePort()
  const self = `http://127.0.0.1:${port}/v1`
  const lmlb = await startLmlb({
    args: ['--port', String(port)],
    env: {
      OPENAI_API_KEYS: 'sk-loop-key-0001',
      ANTHROPIC_API_KEYS: 'sk-ant-loop-key-0002',
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [self], anthropic: [self] }),
      PROXY_API_KEYS: 'loop-proxy-key',
    },
  })
  running.push(lmlb)
  const openai = await chat(lmlb.url, 'gpt-4o', { ...untyped, key: 'loop-proxy-key' })
  const body = await openai.json()
  expect(openai.status).toBe(508)
  expect(body.error).toMatchObject({ code: 'loop_detected' })
  expect(body.error.message).toContain('points back at lmlb itself')

  const anthropic = await fetch(`${lmlb.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': 'loop-proxy-key', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'anthropic/claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'x' }] }),
  })
  expect(anthropic.status).toBe(508)
  expect((await anthropic.json()).type).toBe('error')

  // The keys were not blamed (the inner request never reached the proxy-key check), and lmlb still answers.
  const stats = await (await fetch(`${lmlb.url}/stats`, { headers: { authorization: 'Bearer loop-proxy-key' } })).json()
  expect(stats.load_balancer_stats.openai.keys[0].health.state).not.toBe('invalid')
  expect((await fetch(`${lmlb.url}/health/live`)).status).toBe(200)
  expect(lmlb.log()).toContain('answered 508')
}, 30_000)

test('two instances that name each other: the first to see its own hop again stops the round', async () => {
  const [portA, portB] = [await freePort(), await freePort()]
  const at = (port: number) => JSON.stringify({ openai: [`http://127.0.0.1:${port}/v1`] })
  const [a, b] = await Promise.all([
    startLmlb({ args: ['--port', String(portA)], env: { OPENAI_API_KEYS: 'sk-loop-a-0001', SERVICE_ENDPOINTS: at(portB) } }),
    startLmlb({ args: ['--port', String(portB)], env: { OPENAI_API_KEYS: 'sk-loop-b-0001', SERVICE_ENDPOINTS: at(portA) } }),
  ])
  running.push(a, b)
  const res = await chat(a.url, 'gpt-4o', untyped)
  expect(res.status).toBe(508)
  expect((await res.json()).error.code).toBe('loop_detected')
}, 30_000)
