/**
 * The admin API's usage routes in process through createApp, with the
 * usage clock injected: hours and days as the clock says them, the CSV
 * adding up to the JSON's total, and request records with LOG_BODIES
 * (prompt and completion kept, keys masked) and without (none kept).
 */
import { afterAll, expect, test } from 'bun:test'
import { createApp } from '../../src/app'
import { loadConfig } from '../../src/config/load'
import { createLogger } from '../../src/observability/log'
import { createRuntime } from '../../src/state/runtime'
import { openaiCompletion } from '../helpers/canned'
import { startUpstream } from '../helpers/upstream'
import { tempUsageStore } from '../helpers/usage-store'

const ADMIN = 'admin-key-in-process-usage-01'
const UPSTREAM_KEY = 'sk-openai-in-process-usage-01'
// The stand-in says back the key it was sent, as a careless upstream might: the record must mask it.
const up = startUpstream('up', ({ body, headers }) => openaiCompletion(body.model, `hello; you sent ${headers.authorization}`))
afterAll(() => up.stop())

function appWith(env: Record<string, string> = {}) {
  const loaded = loadConfig({
    env: { OPENAI_API_KEYS: UPSTREAM_KEY, SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }), LMLB_ADMIN_KEY: ADMIN, ...env },
  })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  const clock = { now: Date.parse('2026-12-06T09:30:00Z') }
  const usageStore = tempUsageStore(() => clock.now)
  const logger = createLogger('error', '', () => {})
  const app = createApp(createRuntime({ config: loaded.config, logger, read: () => loaded, usageStore, usageClock: () => clock.now }))
  const ask = (prompt: string) =>
    app.fetch(
      new Request('http://localhost/v1/chat/completions', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] }),
      }),
    )
  const admin = (path: string) => app.fetch(new Request(`http://localhost${path}`, { headers: { 'x-api-key': ADMIN } }))
  return { clock, ask, admin }
}

test('hours as the clock says them; the CSV adds up to the JSON total', async () => {
  const { clock, ask, admin } = appWith()
  for (const at of ['2026-12-06T09:30:00Z', '2026-12-06T09:59:00Z', '2026-12-06T10:01:00Z']) {
    clock.now = Date.parse(at)
    expect((await ask('hi')).status).toBe(200)
  }
  const json = (await (await admin('/admin/usage?from=2026-12-06&to=2026-12-06&group_by=hour')).json()) as any
  expect(json.rows.map((r: any) => [r.hour, r.requests])).toEqual([
    ['2026-12-06T09:00:00Z', 2],
    ['2026-12-06T10:00:00Z', 1],
  ])
  const csv = await (await admin('/admin/usage?from=2026-12-06&to=2026-12-06&group_by=hour&format=csv')).text()
  const lines = csv.trim().split('\n').slice(1)
  const column = (name: string) => csv.split('\n')[0].split(',').indexOf(name)
  const sum = (name: string) => lines.reduce((n, l) => n + Number(l.split(',')[column(name)]), 0)
  expect([sum('requests'), sum('input_tokens'), sum('output_tokens')]).toEqual([
    json.total.requests,
    json.total.input_tokens,
    json.total.output_tokens,
  ])
  expect(sum('cost_usd')).toBeCloseTo(json.total.cost_usd, 12)
})

test('request records: prompt and completion only with LOG_BODIES=1, and any key in them masked', async () => {
  const plain = appWith()
  await plain.ask('a secret question')
  const [bare] = ((await (await plain.admin('/admin/requests')).json()) as any).data
  expect(bare).not.toHaveProperty('prompt')
  expect(JSON.stringify(bare)).not.toContain('a secret question')

  const logged = appWith({ LOG_BODIES: '1' })
  await logged.ask(`a question naming ${UPSTREAM_KEY}`)
  const [record] = ((await (await logged.admin('/admin/requests')).json()) as any).data
  expect(record.prompt).toContain('a question naming')
  expect(record.completion).toContain('hello; you sent')
  expect(JSON.stringify(record)).not.toContain(UPSTREAM_KEY)
})
