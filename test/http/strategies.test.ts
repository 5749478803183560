/** Strategies, aliases and per-model settings, measured at the upstreams. */
import { afterEach, describe, expect, test } from 'bun:test'
import { startLmlb } from '../helpers/lmlb'
import { chat, statusAndJson } from '../helpers/requests'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

const running: { stop(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()))
})

/** `process`: lmlb in a process of its own, for more requests at once than Bun's fetch takes in one process (client and lmlb together: 256). */
async function withConfig(yaml: (ups: FakeUpstream[]) => string, upstreams: number, env: Record<string, string> = {}, process = false) {
  const ups = Array.from({ length: upstreams }, (_, i) => startUpstream(`up${i}`))
  const lmlb = await startLmlb({ args: ['--config', 'lmlb.yaml'], files: { 'lmlb.yaml': yaml(ups) }, env, process })
  running.push(...ups, lmlb)
  return { ups, lmlb }
}

describe('strategies through HTTP', () => {
  test('weighted 3:1 over 400 requests, within ±5%', async () => {
    const { ups, lmlb } = await withConfig(
      (u) =>
        `services:\n  local:\n    strategy: weighted\n    endpoints:\n      - { url: "${u[0].base}", weight: 3 }\n      - { url: "${u[1].base}", weight: 1 }\n`,
      2,
      {},
      true,
    )
    const results = await Promise.all(Array.from({ length: 400 }, () => chat(lmlb.url, 'local/m', { content: 'x' }).then(statusAndJson)))
    expect(results.every((r) => r.status === 200)).toBe(true)
    const [a, b] = ups.map((u) => u.received.length)
    expect(a + b).toBe(400)
    expect(Math.abs(a - 300)).toBeLessThanOrEqual(15)
  })

  test('priority: the second is never touched while the first is healthy, and serves when it fails', async () => {
    const { ups, lmlb } = await withConfig(
      (u) =>
        `services:\n  local:\n    strategy: priority\n    endpoints:\n      - { url: "${u[1].base}", priority: 2 }\n      - { url: "${u[0].base}", priority: 1 }\n`,
      2,
    )
    for (let i = 0; i < 20; i++) expect((await chat(lmlb.url, 'local/m', { content: 'x' }).then(statusAndJson)).status).toBe(200)
    expect(ups.map((u) => u.received.length)).toEqual([20, 0])
    ups[0].handle(() => Response.json({ error: { message: 'down' } }, { status: 500 }))
    const res = await chat(lmlb.url, 'local/m', { content: 'x' }).then(statusAndJson)
    expect(res.status).toBe(200)
    expect(res.body.choices[0].message.content).toBe('reply from up1')
  })

  test('least-busy: a slow endpoint gets fewer requests', async () => {
    const { ups, lmlb } = await withConfig(
      (u) => `services:\n  local:\n    strategy: least-busy\n    endpoints: ["${u[0].base}", "${u[1].base}"]\n`,
      2,
    )
    // up0 holds its request; meanwhile it has one in flight and up1 none.
    let arrived!: () => void
    const atUp0 = new Promise<void>((r) => (arrived = r))
    let release!: () => void
    const released = new Promise<void>((r) => (release = r))
    ups[0].handle(async () => {
      arrived()
      await released
      return Response.json({ ok: 0 })
    })
    const slow = chat(lmlb.url, 'local/m', { content: 'x' }).then(statusAndJson)
    await atUp0
    for (let i = 0; i < 10; i++) expect((await chat(lmlb.url, 'local/m', { content: 'x' }).then(statusAndJson)).status).toBe(200)
    release()
    expect((await slow).status).toBe(200)
    expect(ups.map((u) => u.received.length)).toEqual([1, 10])
  })
})

describe('aliases', () => {
  test('an alias fans out across services with its strategy; each deployment gets its own model name', async () => {
    const { ups, lmlb } = await withConfig(
      (u) => `
services:
  first: { endpoints: ["${u[0].base}"], keys: [key-first-000001] }
  second: { endpoints: ["${u[1].base}"], keys: [key-second-00001] }
aliases:
  smart:
    strategy: priority
    targets: [first/model-a, second/vendor/model-b]
`,
      2,
    )
    expect((await chat(lmlb.url, 'smart', { content: 'x' }).then(statusAndJson)).body.choices[0].message.content).toBe('reply from up0')
    expect(ups[0].received[0].body.model).toBe('model-a')
    expect(ups[0].received[0].headers.authorization).toBe('Bearer key-first-000001')
    ups[0].handle(() => new Response('overloaded', { status: 529 }))
    expect((await chat(lmlb.url, 'smart', { content: 'x' }).then(statusAndJson)).body.choices[0].message.content).toBe('reply from up1')
    expect(ups[1].received[0].body.model).toBe('vendor/model-b')
    expect(ups[1].received[0].headers.authorization).toBe('Bearer key-second-00001')
  })

  test('round-robin alias alternates deployments', async () => {
    const { ups, lmlb } = await withConfig(
      (u) => `services:\n  a: { endpoints: ["${u[0].base}"] }\n  b: { endpoints: ["${u[1].base}"] }\naliases:\n  both: [a/x, b/y]\n`,
      2,
    )
    for (let i = 0; i < 6; i++) await chat(lmlb.url, 'both', { content: 'x' }).then(statusAndJson)
    expect(ups.map((u) => u.received.length)).toEqual([3, 3])
  })
})

describe('per-service and per-model settings', () => {
  test('defaults fill only what the client left out; rename, headers and allow-list apply', async () => {
    const { ups, lmlb } = await withConfig(
      (u) => `
services:
  local:
    endpoints: ["${u[0].base}"]
    headers: { X-Title: lmlb-test }
    models: [small, big]
    rename: { big: big-2025-01-01 }
model_defaults:
  local/big: { temperature: 0.1, max_tokens: 99 }
`,
      1,
    )
    await chat(lmlb.url, { model: 'local/big', messages: [{ role: 'user', content: 'x' }], temperature: 0.9 }).then(statusAndJson)
    const [r] = ups[0].received
    expect(r.body).toMatchObject({ model: 'big-2025-01-01', temperature: 0.9, max_tokens: 99 })
    expect(r.headers['x-title']).toBe('lmlb-test')
    const refused = await chat(lmlb.url, 'local/other', { content: 'x' }).then(statusAndJson)
    expect(refused.status).toBe(404)
    expect(refused.body.error.message).toBe('service "local" does not serve model "other"; it serves: small, big')
    expect(ups[0].received).toHaveLength(1)
  })
})
