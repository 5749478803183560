/** Zero-downtime reloads: signals, file changes (rename-saves too), the admin call, refusals. */
import { afterEach, describe, expect, test } from 'bun:test'
import { renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { chat } from '../helpers/requests'
import { openaiStreamEvents, pacedStream } from '../helpers/canned'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

const running: { stop(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()))
})

const dotenv = (up: FakeUpstream, keys: string) => `OPENAI_API_KEYS=${keys}\nSERVICE_ENDPOINTS={"openai": ["${up.base}"]}\n`

/** `signals`: lmlb as a process of its own, to send it SIGHUP. */
async function setup(keys = 'sk-old-key-00000001', signals = false) {
  const up = startUpstream('up')
  const lmlb = await startLmlb({ dotenv: dotenv(up, keys), process: signals })
  running.push(up, lmlb)
  return { up, lmlb }
}

const REQUEST = { model: 'gpt-4o', stream: false, messages: [{ role: 'user', content: 'x' }] }

const lastKey = (up: FakeUpstream) => up.received.at(-1)!.headers.authorization

/** Rewrites .env the way many editors save: a new file renamed over the old one. */
function renameSave(lmlb: RunningLmlb, text: string) {
  const tmp = join(lmlb.cwd, '.env.saving')
  writeFileSync(tmp, text)
  renameSync(tmp, join(lmlb.cwd, '.env'))
}

describe('reload', () => {
  test('SIGHUP: new requests use the new keys', async () => {
    const { up, lmlb } = await setup(undefined, true)
    await (await chat(lmlb.url, REQUEST)).text()
    expect(lastKey(up)).toBe('Bearer sk-old-key-00000001')
    writeFileSync(join(lmlb.cwd, '.env'), dotenv(up, 'sk-new-key-00000002'))
    const reloaded = lmlb.waitForLog('configuration reloaded')
    lmlb.proc!.kill('SIGHUP')
    await reloaded
    await (await chat(lmlb.url, REQUEST)).text()
    expect(lastKey(up)).toBe('Bearer sk-new-key-00000002')
    expect(lmlb.alive()).toBe(true)
  })

  test('a rename-save of .env is noticed', async () => {
    const { up, lmlb } = await setup()
    const reloaded = lmlb.waitForLog('configuration reloaded (file changed)')
    renameSave(lmlb, dotenv(up, 'sk-renamed-key-0003'))
    await reloaded
    await (await chat(lmlb.url, REQUEST)).text()
    expect(lastKey(up)).toBe('Bearer sk-renamed-key-0003')
  })

  test('a change of the config file is noticed too', async () => {
    const up = startUpstream('up')
    const yaml = (key: string) => `services:\n  local:\n    endpoints: ["${up.base}"]\n    keys: [${key}]\n`
    const lmlb = await startLmlb({ args: ['--config', 'lmlb.yaml'], files: { 'lmlb.yaml': yaml('key-one-0000000001') } })
    running.push(up, lmlb)
    const reloaded = lmlb.waitForLog('configuration reloaded (file changed)')
    writeFileSync(join(lmlb.cwd, 'lmlb.yaml'), yaml('key-two-0000000002'))
    await reloaded
    await (
      await fetch(`${lmlb.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'local/m', messages: [{ role: 'user', content: 'x' }] }),
      })
    ).text()
    expect(lastKey(up)).toBe('Bearer key-two-0000000002')
  })

  test('a broken file is refused: the old configuration keeps serving, /health shows why', async () => {
    const { up, lmlb } = await setup()
    const refused = lmlb.waitForLog('refused')
    renameSave(lmlb, 'OPENAI_API_KEYS=sk-never-used-0004\nSERVICE_ENDPOINTS={"openai": ["not a url"]}\n')
    await refused
    const res = await chat(lmlb.url, REQUEST)
    expect(res.status).toBe(200)
    await res.text()
    expect(lastKey(up)).toBe('Bearer sk-old-key-00000001')
    const health = await (await fetch(`${lmlb.url}/health`)).json()
    expect(health.config.last_error.errors).toEqual(['SERVICE_ENDPOINTS.openai[0]: not an http(s) URL'])
    expect(JSON.stringify(health)).not.toContain('sk-never-used-0004')
    // Fixed: the error goes away.
    const fixed = lmlb.waitForLog('configuration reloaded')
    renameSave(lmlb, dotenv(up, 'sk-fixed-key-000005'))
    await fixed
    expect((await (await fetch(`${lmlb.url}/health`)).json()).config.last_error).toBeNull()
  })

  test('POST /admin/reload: 200 when applied, 422 with the errors when refused', async () => {
    const { up, lmlb } = await setup()
    writeFileSync(join(lmlb.cwd, '.env'), dotenv(up, 'sk-admin-key-000006'))
    const ok = await fetch(`${lmlb.url}/admin/reload`, { method: 'POST' })
    expect(ok.status).toBe(200)
    expect((await ok.json()).status).toBe('reloaded')
    await (await chat(lmlb.url, REQUEST)).text()
    expect(lastKey(up)).toBe('Bearer sk-admin-key-000006')
    writeFileSync(join(lmlb.cwd, '.env'), 'LOG_LEVEL=chatty\n')
    const bad = await fetch(`${lmlb.url}/admin/reload`, { method: 'POST' })
    expect(bad.status).toBe(422)
    expect(await bad.json()).toEqual({ status: 'refused', errors: ['LOG_LEVEL: must be one of debug, info, warn, error'] })
  })

  test('50 streams in flight through a reload: none fails; new requests use the new key; counters carry over', async () => {
    const { up, lmlb } = await setup('sk-old-key-00000001,sk-kept-key-0000007', true)
    const events = openaiStreamEvents('gpt-4o', ['a', 'b', 'c'])
    let release!: () => void
    const rest = new Promise<void>((r) => (release = r))
    up.handle(() => pacedStream(events, (i) => (i === 0 ? Promise.resolve() : rest)))
    const streams = await Promise.all(Array.from({ length: 50 }, () => chat(lmlb.url, { ...REQUEST, stream: true })))
    // Every stream has begun (its response head came after the first event).
    expect(streams.every((r) => r.status === 200)).toBe(true)

    writeFileSync(join(lmlb.cwd, '.env'), dotenv(up, 'sk-kept-key-0000007,sk-new-key-00000008'))
    const reloaded = lmlb.waitForLog('configuration reloaded')
    lmlb.proc!.kill('SIGHUP')
    await reloaded
    up.reset()
    for (let i = 0; i < 4; i++) await (await chat(lmlb.url, REQUEST)).text()
    expect(up.received.map((r) => r.headers.authorization)).toEqual([
      'Bearer sk-kept-key-0000007',
      'Bearer sk-new-key-00000008',
      'Bearer sk-kept-key-0000007',
      'Bearer sk-new-key-00000008',
    ])

    release()
    const bodies = await Promise.all(streams.map((r) => r.text()))
    expect(bodies.every((b) => b === events.join(''))).toBe(true)
    const stats = await (await fetch(`${lmlb.url}/stats`)).json()
    const kept = stats.load_balancer_stats.openai.keys.find((k: { key: string }) => k.key === 'sk-...0007')
    expect(kept.requests).toBe(25 + 2)
    expect(kept.in_flight).toBe(0)
  })

  test('a disabled key stays disabled across a reload: a check or an operator brings it back, not a reload', async () => {
    const { up, lmlb } = await setup('sk-flaky-auth-00009', true)
    up.handle(() => Response.json({ error: { message: 'bad key' } }, { status: 401 }))
    await (await chat(lmlb.url, REQUEST)).text()
    expect((await chat(lmlb.url, REQUEST)).status).toBe(401)
    expect(up.received).toHaveLength(1) // disabled: not asked again
    up.reset()
    const reloaded = lmlb.waitForLog('configuration reloaded')
    lmlb.proc!.kill('SIGHUP')
    await reloaded
    const after = await chat(lmlb.url, REQUEST)
    expect(after.status).toBe(401)
    expect((await after.json()).error.code).toBe('upstream_keys_invalid')
    expect(up.received).toHaveLength(0)
  })
})
