/**
 * The status page in a real headless Chromium (Debian's `chromium`, driven
 * by playwright-core, which downloads no browser): it shows the targets'
 * state and follows a change without being reloaded, and behind
 * PROXY_API_KEYS it asks for a key before it shows anything. Every request
 * the browser makes is checked to go to lmlb itself (127.0.0.1). With the
 * admin key typed in, it manages keys and shows a Spend panel whose figures
 * are checked to the cent against a stand-in upstream's known usage.
 *
 * LMLB_STATUS_SCREENSHOT=docs/status-page.png writes docs/observability.md's screenshot
 * (left unset, it goes to a temporary file: a test run changes no file of the repository).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { keyId } from '../../src/balancer/service-pool'
import { clientKeyId } from '../../src/observability/spend'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { chat } from '../helpers/requests'
import { freePort, REDIS_SERVER, startRedisServer } from '../helpers/redis'
import { defaultReply, startUpstream, type FakeUpstream } from '../helpers/upstream'

const CHROMIUM = '/usr/bin/chromium'
const HAVE_CHROMIUM = existsSync(CHROMIUM)
if (!HAVE_CHROMIUM) console.warn(`test/e2e/status-page.test.ts: skipped: no ${CHROMIUM} (Debian: apt-get install chromium)`)

const WAIT_MS = 15_000
const KEYS = ['sk-status-page-demo-aaaa1111', 'sk-status-page-demo-bbbb2222']
const PROXY_KEY = 'lmlb-status-page-proxy-key-2718'

let profile: string
let context: BrowserContext
/** Every URL the browser asked for, and every console error (a CSP violation would be one). */
const requested: string[] = []
const consoleErrors: string[] = []
const started: { stop(): Promise<void> }[] = []

beforeAll(async () => {
  if (!HAVE_CHROMIUM) return
  profile = mkdtempSync(join(tmpdir(), 'lmlb-chromium-'))
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-proxy-server',
    ],
    viewport: { width: 1200, height: 800 },
    timeout: WAIT_MS,
  })
  context.setDefaultTimeout(WAIT_MS)
  // Nothing leaves 127.0.0.1: anything else is refused and would show in `requested`.
  await context.route('**/*', (route) => {
    const url = route.request().url()
    requested.push(url)
    return new URL(url).hostname === '127.0.0.1' ? route.continue() : route.abort()
  })
}, 30_000)

afterAll(async () => {
  await context?.close()
  await Promise.all(started.splice(0).map((s) => s.stop()))
  if (profile) rmSync(profile, { recursive: true, force: true })
})

async function open(lmlb: RunningLmlb): Promise<Page> {
  const page = await context.newPage()
  page.on('console', (m) => void (m.type() === 'error' && consoleErrors.push(m.text())))
  page.on('pageerror', (e) => void consoleErrors.push(String(e)))
  await page.goto(`${lmlb.url}/`)
  return page
}

const row = (kind: 'key' | 'endpoint', id: string) => `[data-service="openai"] tr[data-kind="${kind}"][data-id="${id}"]`
const stateOf = (kind: 'key' | 'endpoint', id: string, state: string) => `${row(kind, id)} [data-state="${state}"]`

/** `n` requests, then the page's next poll of /stats (so each burst is its own interval on the chart). */
async function burst(lmlb: RunningLmlb, page: Page, n: number) {
  const nextPoll = page.waitForResponse((r) => new URL(r.url()).pathname === '/stats')
  for (let i = 0; i < n; i++) expect((await chat(lmlb.url, 'gpt-4o', { content: 'hello' })).status).toBe(200)
  await nextPoll
}

describe.skipIf(!HAVE_CHROMIUM)('the status page in headless Chromium', () => {
  test('shows each target healthy, then an endpoint cooling, without a reload', async () => {
    const ups: FakeUpstream[] = [startUpstream('up0'), startUpstream('up1')]
    const lmlb = await startLmlb({
      env: { OPENAI_API_KEYS: KEYS.join(','), SERVICE_ENDPOINTS: JSON.stringify({ openai: ups.map((u) => u.base) }) },
    })
    started.push(...ups, lmlb)
    const page = await open(lmlb)
    const masked: string[] = (await (await fetch(`${lmlb.url}/stats`)).json()).load_balancer_stats.openai.keys.map(
      (k: { key: string }) => k.key,
    )

    for (const u of ups) await page.locator(stateOf('endpoint', u.base, 'healthy')).waitFor()
    for (const k of masked) await page.locator(stateOf('key', k, 'healthy')).waitFor()
    expect(await page.locator('#status').textContent()).toBe('healthy')
    expect(await page.locator('#config .loaded').textContent()).toContain('configuration loaded')
    const html = await page.content()
    for (const key of KEYS) expect(html).not.toContain(key)

    // Traffic over a few polls: the chart gets bars, the rates a value.
    for (const n of [4, 8, 6]) await burst(lmlb, page, n)
    await page.waitForFunction(
      (sel) => /^[1-9]/.test(document.querySelector(sel)?.textContent ?? ''),
      `${row('endpoint', ups[1].base)} td.rpm`,
    )
    expect(await page.locator('[data-service="openai"] svg.chart rect.req').count()).toBeGreaterThan(0)

    // up0 starts failing: lmlb retries on up1, up0 cools (30 s, as its Retry-After says).
    const loadBefore = await page.evaluate(() => performance.getEntriesByType('navigation').length)
    ups[0].handle(() =>
      Response.json(
        { error: { message: 'upstream broke', type: 'server_error', code: null } },
        { status: 500, headers: { 'retry-after': '30' } },
      ),
    )
    for (let i = 0; i < 4; i++) expect((await chat(lmlb.url, 'gpt-4o', { content: 'hello' })).status).toBe(200)
    await page.locator(stateOf('endpoint', ups[0].base, 'cooling')).waitFor()
    expect(await page.locator(`${row('endpoint', ups[0].base)} td.state`).textContent()).toMatch(/^cooling · \d+ s left$/)
    expect(await page.locator(`${row('endpoint', ups[0].base)} td.errors`).textContent()).toContain('status_500 1')
    await page.locator(stateOf('endpoint', ups[1].base, 'healthy')).waitFor()
    for (const n of [5, 7]) await burst(lmlb, page, n)
    await page.waitForFunction(
      (sel) => /^[1-9]/.test(document.querySelector(sel)?.textContent ?? ''),
      `${row('endpoint', ups[0].base)} td.epm`,
    )
    expect(await page.locator('[data-service="openai"] svg.chart rect.err').count()).toBeGreaterThan(0)
    // The same document all along: polled, never reloaded.
    expect(await page.evaluate(() => performance.getEntriesByType('navigation').length)).toBe(loadBefore)

    const shot = process.env.LMLB_STATUS_SCREENSHOT ? resolve(process.env.LMLB_STATUS_SCREENSHOT) : join(profile, 'status-page.png')
    await page.screenshot({ path: shot })
    expect(existsSync(shot)).toBe(true)
    await page.close()

    expect(consoleErrors).toEqual([])
    for (const url of requested) expect(new URL(url).origin).toBe(new URL(lmlb.url).origin)
  }, 60_000)

  test('behind PROXY_API_KEYS: a key form and no data until the right key is entered', async () => {
    const up = startUpstream('keyed')
    const lmlb = await startLmlb({
      env: { PROXY_API_KEYS: PROXY_KEY, OPENAI_API_KEYS: KEYS[0], SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }) },
    })
    started.push(up, lmlb)
    requested.length = 0
    const page = await open(lmlb)

    await page.locator('#keyform').waitFor({ state: 'visible' })
    expect(await page.locator('[data-service]').count()).toBe(0)
    expect(await page.locator('#dashboard').isHidden()).toBe(true)
    expect(await page.locator('body').innerText()).not.toMatch(/openai|keyed|127\.0\.0\.1/)

    // A wrong key: an error, still no data, and the key is not kept.
    await page.locator('#key').fill('not-the-key')
    await page.locator('#keyform button[type=submit]').click()
    await page.locator('#keyerror', { hasText: 'refused' }).waitFor()
    expect(await page.locator('[data-service]').count()).toBe(0)
    expect(await page.locator('body').innerText()).not.toMatch(/openai|127\.0\.0\.1/)
    expect(await page.evaluate(() => sessionStorage.getItem('lmlb.proxyKey'))).toBeNull()

    await page.locator('#key').fill(PROXY_KEY)
    await page.locator('#keyform button[type=submit]').click()
    await page.locator(stateOf('endpoint', up.base, 'healthy')).waitFor()
    expect(await page.locator('#keyform').isHidden()).toBe(true)
    expect(await page.locator('#config .loaded').textContent()).toContain('configuration loaded') // the detailed /health
    expect(await page.evaluate(() => sessionStorage.getItem('lmlb.proxyKey'))).toBe(PROXY_KEY)

    // It keeps polling with the key: a request through lmlb shows up without a reload.
    expect((await chat(lmlb.url, 'gpt-4o', { content: 'hello', headers: { 'x-api-key': PROXY_KEY } })).status).toBe(200)
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '1', `${row('endpoint', up.base)} td.requests`)

    // "Forget key" hides everything again.
    await page.locator('#forget').click()
    await page.locator('#keyform').waitFor({ state: 'visible' })
    expect(await page.locator('[data-service]').count()).toBe(0)
    await page.close()

    // The refused polls (401) are the only complaints: no CSP violation, no script error.
    expect(consoleErrors.filter((e) => !e.includes('status of 401 (Unauthorized)'))).toEqual([])
    for (const url of requested) expect(new URL(url).origin).toBe(new URL(lmlb.url).origin)
  }, 60_000)

  test('with the admin key typed in: add a batch, disable, enable, check and delete keys from the page; without it, read only', async () => {
    const admin = 'lmlb-status-page-admin-key-31415'
    const reply = defaultReply('managed')
    const up = startUpstream('managed', (r, req) => (r.method === 'GET' ? Response.json({ object: 'list', data: [] }) : reply(r, req)))
    const lmlb = await startLmlb({
      env: { LMLB_ADMIN_KEY: admin, OPENAI_API_KEYS: KEYS[0], SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }) },
    })
    started.push(up, lmlb)
    consoleErrors.length = 0
    const page = await open(lmlb)
    await page.locator(stateOf('key', 'sk-...1111', 'healthy')).waitFor()
    expect(await page.locator('td.manage button').count()).toBe(0)
    expect(await page.locator('#addkeys').isHidden()).toBe(true)

    // A wrong admin key: said so, not kept, still read only.
    await page.locator('#adminkey').fill('not-the-admin-key')
    await page.locator('#adminform button[type=submit]').click()
    await page.locator('#adminerror', { hasText: 'LMLB_ADMIN_KEY' }).waitFor()
    expect(await page.evaluate(() => sessionStorage.getItem('lmlb.adminKey'))).toBeNull()

    await page.locator('#adminkey').fill(admin)
    await page.locator('#adminform button[type=submit]').click()
    await page.locator('#addkeys').waitFor({ state: 'visible' })
    const added = ['sk-added-in-the-page-000000a1', 'sk-added-in-the-page-000000b2']
    await page.locator('#addtext').fill([...added, 'not a key'].join('\n'))
    await page.locator('#addcheck').uncheck()
    await page.locator('#addkeys button[type=submit]').click()
    await page.locator('#adminmsg', { hasText: 'openai: 2 added, 0 already there; not keys: line(s) 3' }).waitFor()
    await page.locator(stateOf('key', 'sk-...00a1', 'healthy')).waitFor()
    await page.locator(stateOf('key', 'sk-...00b2', 'healthy')).waitFor()
    // A configured key has no delete; an added one has.
    expect(await page.locator(`${row('key', 'sk-...1111')} [data-action]`).allTextContents()).toEqual(['disable', 'check'])
    expect(await page.locator(`${row('key', 'sk-...00a1')} [data-action]`).allTextContents()).toEqual(['disable', 'check', 'delete'])

    await page.locator(`${row('key', 'sk-...00a1')} [data-action="disable"]`).click()
    await page.locator(stateOf('key', 'sk-...00a1', 'disabled')).waitFor()
    const before = up.received.length
    for (let i = 0; i < 4; i++) expect((await chat(lmlb.url)).status).toBe(200)
    expect(up.received.slice(before).map((r) => r.headers.authorization)).not.toContain(`Bearer ${added[0]}`)
    await page.locator(`${row('key', 'sk-...00a1')} [data-action="enable"]`).click()
    await page.locator(stateOf('key', 'sk-...00a1', 'healthy')).waitFor()
    await page.locator(`${row('key', 'sk-...00a1')} [data-action="check"]`).click()
    await page.locator('#adminmsg', { hasText: 'check sk-...00a1: passed (200)' }).waitFor()
    expect(up.received.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models' })
    await page.locator(`${row('key', 'sk-...00b2')} [data-action="delete"]`).click()
    await page.locator(row('key', 'sk-...00b2')).waitFor({ state: 'detached' })
    expect(await page.locator('[data-service="openai"] .keystates').textContent()).toBe(
      '2 key(s): 2 active \u00b7 0 cooling \u00b7 0 disabled',
    )

    const html = await page.content()
    for (const key of [...KEYS, ...added]) expect(html).not.toContain(key)
    await page.locator('#adminforget').click()
    await page.locator('#adminform').waitFor({ state: 'visible' })
    await page.waitForFunction(() => document.querySelectorAll('td.manage button').length === 0)
    await page.close()
    // The wrong admin key's 401 is the only complaint.
    expect(consoleErrors.filter((e) => !e.includes('status of 401 (Unauthorized)'))).toEqual([])
  }, 60_000)

  test('with the admin key typed in: a Spend panel (today, this month, 14 days, failed requests) from the admin API; without it, none', async () => {
    const admin = 'lmlb-status-page-admin-key-27182'
    const [teamA, teamB] = ['lmlb-spend-team-a-key-0001', 'lmlb-spend-team-b-key-0002']
    const upstreamKey = 'sk-status-page-spend-cccc3333'
    const [idA, idB] = [clientKeyId(teamA), clientKeyId(teamB)]
    // gpt-4o at list price: 600 fresh input × $2.50 + 400 cached × $1.25 + 100 out × $10 per million = $0.003 a request.
    const usage = { prompt_tokens: 1000, completion_tokens: 100, total_tokens: 1100, prompt_tokens_details: { cached_tokens: 400 } }
    const up = startUpstream('spend', ({ body }) =>
      body.model === 'gpt-4o-mini'
        ? Response.json({ error: { message: 'refused here', type: 'invalid_request_error', param: null, code: null } }, { status: 400 })
        : Response.json({
            id: 'chatcmpl-spend',
            object: 'chat.completion',
            created: 1,
            model: body.model,
            choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
            usage,
          }),
    )
    const lmlb = await startLmlb({
      env: {
        LMLB_ADMIN_KEY: admin,
        OPENAI_API_KEYS: upstreamKey,
        SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }),
      },
      // `local` serves a model no price table knows: its requests are counted, unpriced. Team A has a $0.01 daily
      // budget it warns about from half of it: its $0.006 shows as a warning.
      args: ['--config', 'lmlb.yaml'],
      files: {
        'lmlb.yaml':
          `proxy_api_keys:\n  - { value: ${teamA}, budget_usd_day: 0.01, budget_warn_at: 0.5 }\n  - ${teamB}\n` +
          `services:\n  local:\n    endpoints: ["${up.base}"]\n`,
      },
    })
    started.push(up, lmlb)
    const send = (model: string, key: string, id?: string) =>
      chat(lmlb.url, model, { key, headers: id ? { 'x-request-id': id } : {} }).then(async (r) => (await r.text(), r.status))
    expect([
      await send('gpt-4o', teamA),
      await send('gpt-4o', teamA),
      await send('gpt-4o', teamB),
      await send('local/my-own-model', teamB),
      await send('gpt-4o-mini', teamB, 'spend-refused-upstream-0001'),
      await send('no-such-model', teamB, 'spend-no-such-model-0002'),
    ]).toEqual([200, 200, 200, 200, 400, 404])

    requested.length = 0
    consoleErrors.length = 0
    const page = await open(lmlb)
    await page.locator('#key').fill(teamA)
    await page.locator('#keyform button[type=submit]').click()
    await page.locator('[data-service="openai"]').waitFor()
    consoleErrors.length = 0 // the first poll's 401, before the proxy key was typed
    // No admin key: no panel, and the page asks the admin API nothing.
    expect(await page.locator('#spend').isHidden()).toBe(true)
    expect(requested.filter((u) => new URL(u).pathname.startsWith('/admin/'))).toEqual([])

    await page.locator('#adminkey').fill(admin)
    await page.locator('#adminform button[type=submit]').click()
    await page.locator('#spend [data-period="today"] .total').waitFor()
    expect(await page.locator('#spend').isVisible()).toBe(true)
    const today = new Date().toISOString().slice(0, 10)

    // Today and this month (a new lmlb: the same): $0.0090 over 5 requests (the 404 never reached an upstream), 1 unpriced.
    const cells = (period: string, by: string, name: string) =>
      page.locator(`#spend [data-period="${period}"] [data-by="${by}"] tr[data-name="${name}"] td`).allInnerTexts()
    for (const period of ['today', 'month']) {
      const line = page.locator(`#spend [data-period="${period}"] .meta`)
      expect(await line.innerText()).toBe('$0.0090 \u00b7 5 request(s) \u00b7 1 unpriced')
      expect(
        await page
          .locator(`#spend [data-period="${period}"] [data-by="client_key"] tr[data-name]`)
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name'))),
      ).toEqual([idA, idB])
      expect(await cells(period, 'client_key', idA)).toEqual([idA, '2', '$0.0060'])
      expect(await cells(period, 'client_key', idB)).toEqual([idB, '3', '$0.0030 + 1 unpriced'])
      expect(
        await page
          .locator(`#spend [data-period="${period}"] [data-by="model"] tr[data-name]`)
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-name'))),
      ).toEqual(['gpt-4o', 'gpt-4o-mini', 'my-own-model'])
      expect(await cells(period, 'model', 'gpt-4o')).toEqual(['gpt-4o', '3', '$0.0090'])
      expect(await cells(period, 'model', 'gpt-4o-mini')).toEqual(['gpt-4o-mini', '1', '$0.0000'])
      expect(await cells(period, 'model', 'my-own-model')).toEqual(['my-own-model', '1', '$0.0000 + 1 unpriced'])
    }
    expect(await page.locator('#spend [data-period="today"] h3').innerText()).toBe(`Today (${today}, UTC)`)
    // Team A's budget: spent of it today and this month, and past its warning share.
    const budget = page.locator(`#spend .budgets tr[data-name="${idA}"] td`)
    expect(await budget.allInnerTexts()).toEqual([idA, '$0.0060 of $0.0100', '\u2014', 'warning'])
    expect(await page.locator('#spend .budgets tr[data-name]').count()).toBe(1)

    // 14 days of daily cost, a bar each: today's the tallest, the 13 before it empty.
    const bars = await page
      .locator('#spend svg.chart rect')
      .evaluateAll((rects) =>
        rects.map((r) => ({ day: r.getAttribute('data-day'), height: Number(r.getAttribute('height')), title: r.textContent })),
      )
    expect(bars).toHaveLength(14)
    expect(bars.map((b) => b.day)).toEqual(
      Array.from({ length: 14 }, (_, i) => new Date(Date.parse(`${today}T00:00:00Z`) - (13 - i) * 86_400_000).toISOString().slice(0, 10)),
    )
    expect(bars[13]).toEqual({ day: today, height: 64, title: `${today}: $0.0090` })
    expect(bars.slice(0, 13).every((b) => b.height === 0)).toBe(true)
    expect(await page.locator('#spend .daily .legend .max').innerText()).toBe('tallest bar: $0.0090')

    // The failed requests, newest first; each opens on its record.
    const failed = page.locator('#spend details.failed')
    expect(await failed.evaluateAll((ds) => ds.map((d) => d.getAttribute('data-id')))).toEqual([
      'spend-no-such-model-0002',
      'spend-refused-upstream-0001',
    ])
    const summary = (id: string) => page.locator(`#spend details[data-id="${id}"] summary`)
    expect(await summary('spend-no-such-model-0002').locator('.status').innerText()).toBe('404')
    expect(await summary('spend-no-such-model-0002').locator('.model').innerText()).toBe('no-such-model \u2192 \u2014')
    expect(await summary('spend-refused-upstream-0001').locator('.status').innerText()).toBe('400')
    expect(await summary('spend-refused-upstream-0001').locator('.model').innerText()).toBe('gpt-4o-mini \u2192 openai/gpt-4o-mini')
    expect(await summary('spend-refused-upstream-0001').locator('.client').innerText()).toBe(`client key ${idB}`)
    const field = (id: string, name: string) => page.locator(`#spend details[data-id="${id}"] tr[data-field="${name}"] td`)
    expect(await field('spend-refused-upstream-0001', 'attempt 1').isVisible()).toBe(false)
    await summary('spend-refused-upstream-0001').click()
    expect(await field('spend-refused-upstream-0001', 'attempt 1').innerText()).toBe(`sk-...3333 @ ${up.base} \u2192 400`)
    expect(await field('spend-refused-upstream-0001', 'request id').innerText()).toBe('spend-refused-upstream-0001')
    expect(await field('spend-refused-upstream-0001', 'upstream key id').innerText()).toBe(keyId('openai', upstreamKey))
    expect(await field('spend-refused-upstream-0001', 'client key').innerText()).toBe(idB)
    expect(await field('spend-refused-upstream-0001', 'tokens in / out').innerText()).toBe('0 / 0')
    await summary('spend-no-such-model-0002').click()
    expect(await field('spend-no-such-model-0002', 'attempts').innerText()).toBe('none: lmlb answered itself')

    // No key whole anywhere in the page: client keys and the upstream key by their ids, the upstream key masked.
    const text = await page.locator('body').innerText()
    const html = await page.content()
    for (const key of [teamA, teamB, upstreamKey, admin]) {
      expect(text).not.toContain(key)
      expect(html).not.toContain(key)
    }

    // Forgetting the proxy key (the admin key still held) hides the panel with the dashboard, and asks the admin API
    // nothing more; the proxy key again brings the panel back at once.
    await page.locator('#forget').click()
    await page.locator('#keyform').waitFor({ state: 'visible' })
    expect(await page.locator('#spend').isHidden()).toBe(true)
    const asked = requested.length
    await page.locator('#key').fill(teamA)
    await page.locator('#keyform button[type=submit]').click()
    await page.locator('#spend [data-period="today"] .total').waitFor()
    expect(requested.slice(asked).some((url) => new URL(url).pathname === '/admin/usage')).toBe(true)

    // Forgetting the admin key hides the panel and empties it.
    await page.locator('#adminforget').click()
    await page.locator('#spend').waitFor({ state: 'hidden' })
    expect(await page.locator('#spendbody').innerHTML()).toBe('')
    await page.close()
    expect(consoleErrors).toEqual([])
    for (const url of requested) expect(new URL(url).origin).toBe(new URL(lmlb.url).origin)
  }, 60_000)

  test('a pool of 10,000 keys: the page lists the 100 most notable and says so, and each poll stays small', async () => {
    const many = Array.from({ length: 10_000 }, (_, i) => `sk-many-keys-${String(i).padStart(10, '0')}`)
    const up = startUpstream('many')
    // In .env: 10,000 keys are more than one environment variable may hold.
    const lmlb = await startLmlb({ dotenv: `OPENAI_API_KEYS=${many.join(',')}\nSERVICE_ENDPOINTS={"openai": ["${up.base}"]}\n` })
    started.push(up, lmlb)
    consoleErrors.length = 0
    const page = await open(lmlb)
    const polled = page.waitForResponse((r) => new URL(r.url()).pathname === '/stats')
    await page.locator('[data-service="openai"] tr.group', { hasText: 'keys (100 of 10,000' }).waitFor()
    expect(await page.locator('[data-service="openai"] tr[data-kind="key"]').count()).toBe(100)
    expect((await (await polled).body()).length).toBeLessThan(200_000)
    expect(await page.locator('[data-service="openai"] .keystates').textContent()).toBe(
      '10,000 key(s): 10,000 active \u00b7 0 cooling \u00b7 0 disabled',
    )
    await page.close()
    expect(consoleErrors).toEqual([])
  }, 60_000)

  test.skipIf(!REDIS_SERVER)(
    'with Redis: how many instances share the state, and Redis going away, without a reload',
    async () => {
      const redis = await startRedisServer(await freePort())
      const env = { LMLB_REDIS_URL: `redis://127.0.0.1:${redis.port}` }
      const [lmlb, other] = [await startLmlb({ env }), await startLmlb({ env })]
      started.push(lmlb, other, redis)
      consoleErrors.length = 0
      const page = await open(lmlb)
      const meta = (text: string) => page.waitForFunction((t) => document.querySelector('#meta')?.textContent?.includes(t), text)
      await meta('Redis connected, 2 instances sharing state')
      await other.stop()
      await meta('Redis connected, 1 instance sharing state')
      await redis.stop()
      await meta('Redis unreachable')
      await page.locator('#config .redis-down').waitFor()
      await page.close()
      expect(consoleErrors).toEqual([])
    },
    60_000,
  )
})
