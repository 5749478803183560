/**
 * Checks that bring keys back (state/key-checks.ts), over HTTP: a key the
 * upstream refuses is disabled, checked with the model listing (never a
 * completion) on a short interval, and back in rotation once the listing
 * answers; checks run a bounded number at once, and not at all where a
 * service turns them off.
 */
import { afterEach, expect, test } from 'bun:test'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { chat } from '../helpers/requests'
import { defaultReply, startUpstream, type FakeUpstream, type Received } from '../helpers/upstream'

const GOOD = 'sk-check-good-key-0001'
const BAD = 'sk-check-dead-key-0002'
const started: { stop(): Promise<void> }[] = []
afterEach(async () => void (await Promise.all(started.splice(0).map((s) => s.stop()))))

const bearer = (r: Received) => r.headers.authorization?.slice('Bearer '.length)
const refused = () => Response.json({ error: { message: 'Incorrect API key provided', code: 'invalid_api_key' } }, { status: 401 })
const listing = () => Response.json({ object: 'list', data: [{ id: 'gpt-4o', object: 'model' }] })

/** An upstream where `dead` keys are refused everywhere until revived; the listing answers as the key stands. */
function upstream() {
  const dead = new Set<string>()
  const up = startUpstream('up')
  const reply = defaultReply('up')
  up.handle((r, req) => {
    if (dead.has(bearer(r)!)) return refused()
    return r.method === 'GET' && r.path.endsWith('/models') ? listing() : reply(r, req)
  })
  started.push(up)
  return { up, dead }
}

/** lmlb over `up` with `keys`; `keyPolicy`: the openai service's key_policy, in a config file. */
async function lmlbFor(up: FakeUpstream, keys: string[], more: Record<string, string> = {}, keyPolicy?: object) {
  const file = keyPolicy && JSON.stringify({ services: { openai: { key_policy: keyPolicy } } })
  const lmlb = await startLmlb({
    env: { OPENAI_API_KEYS: keys.join(','), SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }), ...more },
    ...(file && { files: { 'lmlb.json': file }, args: ['--config', 'lmlb.json'] }),
  })
  started.push(lmlb)
  return lmlb
}

const keyStats = async (lmlb: RunningLmlb, masked: string) => {
  const stats = await (await fetch(`${lmlb.url}/stats`)).json()
  return stats.load_balancer_stats.openai.keys.find((k: { key: string }) => k.key === masked)
}

test('a disabled key is checked with the model listing and comes back once it answers; a check never runs a completion', async () => {
  const { up, dead } = upstream()
  dead.add(BAD)
  const lmlb = await lmlbFor(up, [BAD, GOOD], { LMLB_KEY_CHECK_INTERVAL_S: '0.05' })
  expect((await chat(lmlb.url)).status).toBe(200)
  await lmlb.waitForLog('key sk-...0002 disabled (401 invalid_key)')
  // Checked and still refused: disabled, and /stats says what the check found.
  await lmlb.waitForLog('check of key sk-...0002: 401, still refused')
  const still = await keyStats(lmlb, 'sk-...0002')
  expect(still.health).toMatchObject({ state: 'disabled', disabled: { reason: 'invalid_key', by: 'lmlb' } })
  expect(still.last_check).toMatchObject({ ok: false, status: 401 })
  expect(still.last_check.message).toContain('Incorrect API key provided')
  expect(JSON.stringify(still)).not.toContain(BAD)

  dead.delete(BAD)
  await lmlb.waitForLog('key sk-...0002 enabled: its check passed (disabled invalid_key since')
  expect((await keyStats(lmlb, 'sk-...0002')).health.state).toBe('healthy')
  const stats = (await (await fetch(`${lmlb.url}/stats`)).json()).load_balancer_stats.openai
  expect(stats.key_states).toEqual({ active: 2, cooling: 0, disabled: 0 })
  expect(stats.key_events).toMatchObject({ disabled: { invalid_key: 1 }, enabled: { check: 1 } })
  expect(stats.key_events.checks.passed).toBe(1)
  expect(stats.key_events.checks.failed).toBeGreaterThanOrEqual(1)
  const metrics = await (await fetch(`${lmlb.url}/metrics`)).text()
  expect(metrics).toContain('lmlb_key_disables_total{service="openai",reason="invalid_key"} 1')
  expect(metrics).toContain('lmlb_key_enables_total{service="openai",by="check"} 1')
  const before = up.received.length
  for (let i = 0; i < 4; i++) expect((await chat(lmlb.url)).status).toBe(200)
  const completions = up.received.slice(before).filter((r) => r.method === 'POST')
  expect(completions.map(bearer).toSorted()).toEqual([BAD, BAD, GOOD, GOOD])

  const checks = up.received.filter((r) => bearer(r) === BAD && r.method === 'GET')
  expect(checks.length).toBeGreaterThanOrEqual(2)
  expect(checks.every((r) => r.path === '/v1/models')).toBe(true)
  // The only completions the dead key was sent: the client's first request, and the four after it came back.
  expect(up.received.filter((r) => bearer(r) === BAD && r.method === 'POST')).toHaveLength(3)
})

test('checks run at most `concurrency` at once per service, and not at all where the service turns them off', async () => {
  const { up, dead } = upstream()
  const keys = Array.from({ length: 6 }, (_, i) => `sk-check-many-key-00${i}0`)
  for (const k of keys.slice(1)) dead.add(k)
  let inFlight = 0
  let most = 0
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))
  const reply = defaultReply('up')
  up.handle(async (r, req) => {
    if (r.method !== 'GET') return dead.has(bearer(r)!) ? refused() : reply(r, req)
    most = Math.max(most, ++inFlight)
    await held
    inFlight--
    return refused()
  })
  const lmlb = await lmlbFor(up, keys, {}, { checks: { interval_s: 0.02, concurrency: 2 } })
  // Each dead key meets a request (the good one serves it) and is disabled.
  for (let i = 0; i < 6; i++) expect((await chat(lmlb.url)).status).toBe(200)
  await lmlb.waitForLog('disabled (401 invalid_key)', 5)
  // Two checks arrive and are held; no third starts while they are.
  while (inFlight < 2) await Bun.sleep(5)
  const seen = up.received.length
  await Bun.sleep(200) // ten intervals: a third would have started
  expect([inFlight, most, up.received.length]).toEqual([2, 2, seen])
  release()

  const off = upstream()
  off.dead.add(keys[1])
  const other = await lmlbFor(off.up, keys.slice(0, 2), {}, { checks: { interval_s: 0.02, enabled: false } })
  for (let i = 0; i < 2; i++) expect((await chat(other.url)).status).toBe(200)
  await other.waitForLog('key sk-...0010 disabled')
  await Bun.sleep(200)
  expect(off.up.received.filter((r) => r.method === 'GET')).toEqual([])
})

test('a key cooling for longer than its check interval is checked too, and its cooldown ends when the check passes', async () => {
  const { up } = upstream()
  let limited = true
  const reply = defaultReply('up')
  up.handle((r, req) => {
    if (r.method === 'GET') return listing()
    if (limited && bearer(r) === BAD)
      return Response.json({ error: { message: 'slow down' } }, { status: 429, headers: { 'retry-after': '3600' } })
    return reply(r, req)
  })
  const lmlb = await lmlbFor(up, [BAD, GOOD], { LMLB_KEY_CHECK_INTERVAL_S: '0.05' })
  expect((await chat(lmlb.url)).status).toBe(200)
  expect((await keyStats(lmlb, 'sk-...0002')).health.state).toBe('cooling')
  limited = false
  await lmlb.waitForLog("key sk-...0002's check passed: its cooldown ends")
  expect((await keyStats(lmlb, 'sk-...0002')).health.state).toBe('healthy')
  const before = up.received.length
  for (let i = 0; i < 2; i++) expect((await chat(lmlb.url)).status).toBe(200)
  expect(up.received.slice(before).map(bearer)).toContain(BAD)
})
