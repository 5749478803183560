/**
 * The admin API's key routes (http/admin-keys.ts, state/key-admin.ts) over
 * HTTP: off without LMLB_ADMIN_KEY, its own key, a batch added, listed
 * masked, disabled, enabled, checked and deleted, what the upstream then
 * receives, bad input refused with a 4xx, and no key ever whole in an
 * answer or the log; what it changed survives a restart.
 */
import { afterEach, expect, test } from 'bun:test'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { runLmlb, startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { chat } from '../helpers/requests'
import { defaultReply, startUpstream, type Received } from '../helpers/upstream'

const ADMIN = 'admin-key-for-tests-0123456789'
const PROXY = 'proxy-key-for-tests-0001'
const CONFIGURED = 'sk-admin-configured-key-0001'
const NEW = ['sk-admin-added-key-00000a', 'sk-admin-added-key-00000b']
const started: { stop(): Promise<void> }[] = []
afterEach(async () => void (await Promise.all(started.splice(0).map((s) => s.stop()))))

const bearer = (r: Received) => r.headers.authorization?.slice('Bearer '.length)

/** An upstream that lists its models, as a check asks. */
function listingUpstream() {
  const reply = defaultReply('up')
  return startUpstream('up', (r, req) =>
    r.method === 'GET' && r.path === '/v1/models' ? Response.json({ object: 'list', data: [] }) : reply(r, req),
  )
}

async function setup(env: Record<string, string> = { LMLB_ADMIN_KEY: ADMIN }, cwd?: string, up = listingUpstream()) {
  const lmlb = await startLmlb({
    env: { OPENAI_API_KEYS: CONFIGURED, SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }), PROXY_API_KEYS: PROXY, ...env },
    cwd,
  })
  started.push(up, lmlb)
  return { up, lmlb }
}

function admin(lmlb: RunningLmlb, method: string, path: string, body?: string | object, headers: Record<string, string> = {}) {
  const json = body !== undefined && typeof body !== 'string'
  return fetch(`${lmlb.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, ...(json && { 'content-type': 'application/json' }), ...headers },
    body: json ? JSON.stringify(body) : body,
  })
}

const asClient = (lmlb: RunningLmlb) => chat(lmlb.url, 'gpt-4o', { key: PROXY })

test('without LMLB_ADMIN_KEY the admin API is off and says so; with it, only the admin key opens it', async () => {
  const off = await setup({})
  const answer = await admin(off.lmlb, 'GET', '/admin/keys')
  expect(answer.status).toBe(404)
  expect((await answer.json()).error.message).toContain('LMLB_ADMIN_KEY')

  const { lmlb } = await setup()
  expect((await admin(lmlb, 'GET', '/admin/keys', undefined, { authorization: '' })).status).toBe(401)
  // A client's proxy key is not an admin key.
  expect((await admin(lmlb, 'GET', '/admin/keys', undefined, { authorization: `Bearer ${PROXY}` })).status).toBe(401)
  const listed = await admin(lmlb, 'GET', '/admin/keys', undefined, { authorization: '', 'x-api-key': ADMIN })
  expect(listed.status).toBe(200)
  expect((await listed.json()).total).toBe(1)
})

test('the round trip: add a batch, list it masked, disable, enable, check, delete; the upstream sees each change; no key whole anywhere', async () => {
  const { up, lmlb } = await setup()
  const said: string[] = []
  const text = [NEW[0], '', CONFIGURED, NEW[1], 'not a key', NEW[0], 'bad\u0001key'].join('\n')
  const added = await admin(lmlb, 'POST', '/admin/keys?service=openai', text, { 'content-type': 'text/plain' })
  said.push(await added.clone().text())
  expect(added.status).toBe(201)
  const outcome = await added.json()
  expect(outcome).toMatchObject({ duplicates: 2, invalid: [4, 6] })
  expect(outcome.added).toHaveLength(2)
  const [idA, idB] = outcome.added as string[]

  const list = async (query = '') => {
    const answer = await admin(lmlb, 'GET', `/admin/keys${query}`)
    said.push(await answer.clone().text())
    return (await answer.json()) as {
      total: number
      keys: { id: string; key: string; source: string; state: string; reason: string | null }[]
    }
  }
  const all = await list('?service=openai')
  expect(all.keys.map((k) => [k.key, k.source, k.state])).toEqual([
    ['sk-...0001', 'config', 'active'],
    ['sk-...000a', 'admin', 'active'],
    ['sk-...000b', 'admin', 'active'],
  ])

  const sent = async (n: number) => {
    const before = up.received.length
    for (let i = 0; i < n; i++) expect((await asClient(lmlb)).status).toBe(200)
    return up.received.slice(before).map(bearer).toSorted()
  }
  expect(await sent(3)).toEqual([CONFIGURED, ...NEW].toSorted())

  const steer = async (id: string, action: string) => {
    const answer = await admin(lmlb, 'POST', `/admin/keys/${id}/${action}`)
    said.push(await answer.clone().text())
    expect(answer.status).toBe(200)
    return answer.json()
  }
  expect((await steer(idA, 'disable')).key).toMatchObject({ state: 'disabled', reason: 'operator', by: 'operator' })
  expect(await sent(4)).not.toContain(NEW[0])
  expect((await list('?state=disabled')).keys.map((k) => k.id)).toEqual([idA])
  // A check does not undo an operator's disable.
  const checked = await steer(idA, 'check')
  expect(checked.check).toEqual({ ok: true, status: 200, message: 'ok' })
  expect(up.received.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models', headers: { authorization: `Bearer ${NEW[0]}` } })
  expect(checked.key).toMatchObject({ state: 'disabled', last_check: { ok: true, status: 200 } })
  expect((await steer(idA, 'enable')).key.state).toBe('active')
  expect(await sent(3)).toContain(NEW[0])

  const deleted = await admin(lmlb, 'DELETE', `/admin/keys/${idB}`)
  expect([deleted.status, await deleted.json()]).toEqual([200, { deleted: idB }])
  expect(await sent(4)).not.toContain(NEW[1])
  const configured = all.keys[0].id
  const refused = await admin(lmlb, 'DELETE', `/admin/keys/${configured}`)
  expect(refused.status).toBe(409)
  expect((await refused.json()).error.message).toContain('OPENAI_API_KEYS')

  for (const text of [...said, lmlb.log()]) for (const key of [CONFIGURED, ...NEW, ADMIN]) expect(text).not.toContain(key)
})

test('bad input gets a 4xx with a clear message, and lmlb serves on', async () => {
  const { lmlb } = await setup()
  const cases: [string, string, string | object | undefined, Record<string, string>, number, string][] = [
    ['POST', '/admin/keys', '{"service": "openai", "keys": [', { 'content-type': 'application/json' }, 400, 'not valid JSON'],
    ['POST', '/admin/keys', { service: 'nope', keys: ['sk-x-000000000001'] }, {}, 404, 'no service "nope"'],
    ['POST', '/admin/keys', { service: 'openai', keys: ['a b', ''] }, {}, 400, 'no valid key'],
    ['POST', '/admin/keys', { service: 'openai' }, {}, 400, 'keys:'],
    ['POST', '/admin/keys', 'sk-x-000000000001', { 'content-type': 'text/plain' }, 400, '?service='],
    ['POST', '/admin/keys?service=openai', 'sk-x', { 'content-type': 'text/csv' }, 415, 'text/plain'],
    ['POST', '/admin/keys/000000000000/disable', undefined, {}, 404, 'no key has the id'],
    ['DELETE', '/admin/keys/000000000000', undefined, {}, 404, 'no key has the id'],
    ['GET', '/admin/keys?state=sleeping', undefined, {}, 400, 'state:'],
    ['GET', '/admin/keys?limit=ten', undefined, {}, 400, 'limit:'],
  ]
  for (const [method, path, body, headers, status, message] of cases) {
    const answer = await admin(lmlb, method, path, body, headers)
    expect([path, answer.status]).toEqual([path, status])
    expect((await answer.json()).error.message).toContain(message)
  }
  const huge = Array.from({ length: 100_000 }, (_, i) => `sk-batch-${String(i).padStart(8, '0')}`).join('\n')
  const tooMany = await admin(lmlb, 'POST', '/admin/keys?service=openai', huge, { 'content-type': 'text/plain' })
  expect(tooMany.status).toBe(413)
  expect((await tooMany.json()).error.message).toContain('at most 10000 keys')
  expect((await admin(lmlb, 'GET', '/admin/keys')).status).toBe(200)
  expect((await asClient(lmlb)).status).toBe(200)
})

test('what the admin API changed, and which keys lmlb disabled, survive a restart: kept in LMLB_DATA_DIR, readable by its owner only', async () => {
  const up = startUpstream('up')
  up.handle((r) =>
    bearer(r) === CONFIGURED
      ? Response.json({ error: { message: 'Incorrect API key provided', code: 'invalid_api_key' } }, { status: 401 })
      : Response.json({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' } }] }),
  )
  const first = await setup(undefined, undefined, up)
  const added = await (await admin(first.lmlb, 'POST', '/admin/keys', { service: 'openai', keys: NEW })).json()
  await admin(first.lmlb, 'POST', `/admin/keys/${added.added[1]}/disable`)
  for (let i = 0; i < 2; i++) expect((await asClient(first.lmlb)).status).toBe(200)
  await first.lmlb.waitForLog('key sk-...0001 disabled (401 invalid_key)')
  const cwd = first.lmlb.cwd
  await first.lmlb.stop()
  const file = join(cwd, 'lmlb-data', 'keys.json')
  expect(existsSync(file)).toBe(true)
  expect(statSync(file).mode & 0o777).toBe(0o600)
  expect(readFileSync(file, 'utf8')).not.toContain(CONFIGURED) // disabled keys are named by a hash
  // --check shows the added keys apart from the configured one.
  const check = await runLmlb({ args: ['--check'], cwd, env: { OPENAI_API_KEYS: CONFIGURED } })
  expect(check.stdout).toContain('openai (openai): 1 key(s): sk-...0001; added through the admin API: 2 key(s): sk-...000a, sk-...000b')

  const again = await setup(undefined, cwd, up)
  const keys = (await (await admin(again.lmlb, 'GET', '/admin/keys')).json()).keys
  expect(keys.map((k: { key: string; source: string; state: string; by: string | null }) => [k.key, k.source, k.state, k.by])).toEqual([
    ['sk-...0001', 'config', 'disabled', 'lmlb'],
    ['sk-...000a', 'admin', 'active', null],
    ['sk-...000b', 'admin', 'disabled', 'operator'],
  ])
  const before = up.received.length
  for (let i = 0; i < 3; i++) expect((await asClient(again.lmlb)).status).toBe(200)
  expect(up.received.slice(before).map(bearer)).toEqual([NEW[0], NEW[0], NEW[0]])
})

test('a batch added with check: each key serves only once its check passed; one that fails its check stays out', async () => {
  const reply = defaultReply('up')
  const up = startUpstream('up', (r, req) => {
    if (bearer(r) === NEW[1]) return Response.json({ error: { message: 'Invalid API key', code: 'invalid_api_key' } }, { status: 401 })
    return r.method === 'GET' ? Response.json({ object: 'list', data: [] }) : reply(r, req)
  })
  const { lmlb } = await setup(undefined, undefined, up)
  const answer = await admin(lmlb, 'POST', '/admin/keys?service=openai&check=1', NEW.join('\n'), { 'content-type': 'text/plain' })
  expect(answer.status).toBe(201)
  await lmlb.waitForLog('key sk-...000a enabled: its check passed (disabled unchecked')
  await lmlb.waitForLog('check of key sk-...000b: 401, still refused')
  const keys = (await (await admin(lmlb, 'GET', '/admin/keys')).json()).keys
  expect(keys.map((k: { key: string; state: string; reason: string | null }) => [k.key, k.state, k.reason])).toEqual([
    ['sk-...0001', 'active', null],
    ['sk-...000a', 'active', null],
    ['sk-...000b', 'disabled', 'unchecked'],
  ])
  const completions = up.received.filter((r) => r.method === 'POST')
  expect(completions).toEqual([])
})
