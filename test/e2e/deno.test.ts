/**
 * The core is web-standard: under Deno (src/runtime/deno.ts) the same app
 * serves the mock, passes a stream through, and translates one.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { resolve } from 'node:path'
import { runLmlb, startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { post } from '../helpers/requests'
import { raw } from '../helpers/raw-http'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

const DENO = resolve(import.meta.dir, '../../node_modules/.bin/deno')
const ENTRY = resolve(import.meta.dir, '../../src/runtime/deno.ts')

let up: FakeUpstream
let lmlb: RunningLmlb
beforeAll(async () => {
  up = startUpstream('oai')
  lmlb = await startLmlb({
    command: [DENO, 'run', '-A', ENTRY],
    env: { OPENAI_API_KEYS: 'sk-deno-test-key-0001', SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }), DENO_NO_UPDATE_CHECK: '1' },
  })
}, 60_000)
afterAll(async () => {
  await lmlb.stop()
  await up.stop()
})

test('under Deno: the mock, a passthrough stream, a translated stream, /stats', async () => {
  expect(lmlb.log()).toContain('(Deno) listening on')
  const mock = await (
    await post(lmlb.url, '/v1/chat/completions', { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] })
  ).json()
  expect(mock.choices[0].message.content).toBe('You said: hi')

  const passthrough = await (
    await post(lmlb.url, '/v1/chat/completions', { model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'hi' }] })
  ).text()
  expect(passthrough).toContain('reply from oai')
  expect(passthrough.trim().endsWith('data: [DONE]')).toBe(true)
  expect(up.received[0].headers.authorization).toBe('Bearer sk-deno-test-key-0001')

  const translated = await (
    await post(lmlb.url, '/v1/messages', { model: 'gpt-4o', max_tokens: 10, stream: true, messages: [{ role: 'user', content: 'hi' }] })
  ).text()
  expect(translated).toContain('"text_delta","text":"reply from oai"')
  expect(translated.trim().endsWith('data: {"type":"message_stop"}')).toBe(true)

  const stats = await (await fetch(`${lmlb.url}/stats`)).json()
  expect(stats.load_balancer_stats.openai.keys[0]).toMatchObject({ key: 'sk-...0001', requests: 2, in_flight: 0 })
}, 60_000)

test('under Deno: a short Host routes, a target that is not a path gets a short 400', async () => {
  const health = await raw(lmlb.url, 'GET /health?/stats HTTP/1.1\r\nHost: x')
  expect(health.status).toBe(200)
  expect(JSON.parse(health.body).status).toBe('healthy')
  const connect = await raw(lmlb.url, 'CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: 127.0.0.1:1')
  expect(connect.status).toBe(400)
  expect(connect.body.length).toBeLessThan(300)
  expect(connect.body).not.toContain('<html')
}, 60_000)

test('under Deno: a body over the limit is a 413 the client reads (Node http, whole body sent), invalid UTF-8 a 400', async () => {
  const { request } = await import('node:http')
  const body = Buffer.from(JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'x'.repeat(40 * 1024 * 1024) }] }))
  const outcome = await new Promise<string>((done) => {
    const req = request(
      `${lmlb.url}/v1/chat/completions`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': body.length } },
      (res) => {
        let text = ''
        res.on('data', (d) => (text += d))
        res.on('end', () => done(`${res.statusCode} ${res.headers.connection} ${JSON.parse(text).error.code}`))
      },
    )
    req.on('error', (e) => done(`request ${(e as NodeJS.ErrnoException).code}`))
    req.end(body)
  })
  // Deno adds a Connection: close of its own beside lmlb's (Node joins them).
  expect(outcome).toMatch(/^413 close(, close)? request_too_large$/)
  const bad = await fetch(`${lmlb.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: new Uint8Array([...Buffer.from('{"model":"mock/echo","messages":[{"role":"user","content":"'), 0xff, ...Buffer.from('"}]}')]),
  })
  expect([bad.status, (await bad.json()).error.code]).toEqual([400, 'invalid_utf8'])
})

test('under Deno: a changed .env reloads once it has settled, and SIGHUP reloads (it used to end the process)', async () => {
  const { writeFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const deno = await startLmlb({
    command: [DENO, 'run', '-A', ENTRY],
    env: { DENO_NO_UPDATE_CHECK: '1' },
    dotenv: 'OPENAI_API_KEYS="sk-deno-reload-0001"\n',
  })
  try {
    const keys = async () => (await (await fetch(`${deno.url}/health`)).json()).load_balancer.openai_keys_configured
    expect(await keys()).toBe(1)
    writeFileSync(join(deno.cwd, '.env'), 'OPENAI_API_KEYS="sk-deno-reload-0001,sk-deno-reload-0002"\n')
    await deno.waitForLog('configuration reloaded (file changed)')
    expect(await keys()).toBe(2)
    deno.proc!.kill('SIGHUP')
    await deno.waitForLog('configuration reloaded (SIGHUP)')
    expect(deno.proc!.exitCode).toBeNull()
    expect(await keys()).toBe(2)
  } finally {
    await deno.stop()
  }
}, 60_000)

test('under Deno: the same command line as on Bun (--version, --check); --workers is refused by name', async () => {
  const deno = (args: string[]) =>
    runLmlb({ command: [DENO, 'run', '-A', ENTRY], args, env: { DENO_NO_UPDATE_CHECK: '1', OPENAI_API_KEYS: 'sk-deno-check-key-0001' } })
  const version = await deno(['--version'])
  expect([version.code, version.stdout.trim()]).toEqual([0, `${require('../../package.json').version} (from source)`])
  const check = await deno(['--check'])
  expect(check.code).toBe(0)
  expect(check.stdout).toContain('sk-...0001')
  expect(check.stdout).not.toContain('sk-deno-check-key-0001')
  const workers = await deno(['--workers', '2'])
  expect(workers.code).toBe(2)
  expect(workers.stderr).toContain('lmlb: --workers: not available on this runtime (Deno)')
}, 60_000)
