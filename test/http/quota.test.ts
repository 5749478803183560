/**
 * Quota-aware selection through lmlb: a key whose answers say it has no
 * requests left is passed over until its reset, so the upstream never has
 * to refuse it; the same traffic against an upstream that says nothing
 * draws 429s. `most-remaining` sends to the key with the most left.
 */
import { afterEach, expect, test } from 'bun:test'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { openaiCompletion } from '../helpers/canned'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

const KEYS = ['sk-quota-key-aaaa1111', 'sk-quota-key-bbbb2222']
const WINDOW_MS = 2_000

const running: { stop(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()))
})

/**
 * An OpenAI-format upstream where key A may make `budget` requests per
 * 2-second window (its window starts at its first request) and key B has
 * no limit. It reports what is left unless `silent`; past the budget, 429.
 */
function limitedUpstream(budget: number, silent = false) {
  let windowStart = 0
  let used = 0
  const refused: number[] = []
  const served: { key: string; at: number }[] = []
  const up = startUpstream('limited', (r) => {
    const key = r.headers.authorization.slice('Bearer '.length)
    const now = Date.now()
    if (key !== KEYS[0]) {
      served.push({ key, at: now })
      return withLimits(
        openaiCompletion(r.body.model, 'ok'),
        silent ? {} : { 'x-ratelimit-remaining-requests': '9999', 'x-ratelimit-reset-requests': '1s' },
      )
    }
    if (now - windowStart >= WINDOW_MS) [windowStart, used] = [now, 0]
    const resetIn = `${((windowStart + WINDOW_MS - now) / 1000).toFixed(3)}s`
    if (used >= budget) {
      refused.push(now)
      return Response.json(
        { error: { message: 'Rate limit reached', type: 'rate_limit_error' } },
        { status: 429, headers: { 'retry-after': '2' } },
      )
    }
    used++
    served.push({ key, at: now })
    return withLimits(
      openaiCompletion(r.body.model, 'ok'),
      silent
        ? {}
        : {
            'x-ratelimit-limit-requests': String(budget),
            'x-ratelimit-remaining-requests': String(budget - used),
            'x-ratelimit-reset-requests': resetIn,
          },
    )
  })
  running.push(up)
  return { up, refused, served, windowStart: () => windowStart }
}

function withLimits(response: Response, headers: Record<string, string>): Response {
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value)
  return response
}

async function lmlbOn(up: FakeUpstream, strategy?: string): Promise<RunningLmlb> {
  const lmlb = await startLmlb({
    env: { OPENAI_API_KEYS: KEYS.join(','), SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }) },
    ...(strategy && { args: ['--config', 'lmlb.yaml'], files: { 'lmlb.yaml': `services:\n  openai:\n    strategy: ${strategy}\n` } }),
  })
  running.push(lmlb)
  return lmlb
}

const ask = (lmlb: RunningLmlb) =>
  fetch(`${lmlb.url}/v1/chat/completions`, {
    method: 'POST',
    body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
  }).then((r) => r.status)

test('a key that reports no requests left gets nothing until its reset, then traffic again; the upstream refuses nothing', async () => {
  const a = limitedUpstream(3)
  const lmlb = await lmlbOn(a.up)
  const statuses = []
  for (let i = 0; i < 20; i++) statuses.push(await ask(lmlb))
  expect(statuses).toEqual(Array(20).fill(200))
  const onA = () => a.served.filter((s) => s.key === KEYS[0])
  expect(onA()).toHaveLength(3)
  expect(a.refused).toEqual([])
  // Until the reset A reported, it gets nothing however much traffic comes; then it serves again. The reset is the event: time itself.
  const resetAt = a.windowStart() + WINDOW_MS
  while (Date.now() < resetAt - 100) {
    expect(await ask(lmlb)).toBe(200)
    await Bun.sleep(50)
  }
  expect(onA()).toHaveLength(3)
  await Bun.sleep(Math.max(0, resetAt - Date.now()))
  for (let i = 0; i < 4 && onA().length === 3; i++) await ask(lmlb)
  expect(onA()).toHaveLength(4)
  expect(onA()[3].at).toBeGreaterThanOrEqual(resetAt)
  expect(a.refused).toEqual([])
  const stats = (await (await fetch(`${lmlb.url}/stats`)).json()) as any
  expect(stats.load_balancer_stats.openai.keys[0].quota).toMatchObject({
    remaining_requests: expect.any(Number),
    requests_reset_at: expect.any(String),
  })
  const metrics = await (await fetch(`${lmlb.url}/metrics`)).text()
  expect(metrics).toMatch(/^lmlb_ratelimit_remaining\{service="openai",id="sk-\.\.\.1111",kind="requests"\} \d+$/m)
  console.log(`quota: 429s drawn with quota reading: ${a.refused.length}`)
}, 20_000)

test('the same traffic against an upstream that reports nothing draws 429s (what quota reading saves)', async () => {
  const a = limitedUpstream(3, true)
  const lmlb = await lmlbOn(a.up)
  const statuses = []
  for (let i = 0; i < 20; i++) statuses.push(await ask(lmlb))
  // The client is still served (the 429 moves the request to B), but the upstream had to refuse.
  expect(statuses).toEqual(Array(20).fill(200))
  expect(a.refused.length).toBeGreaterThan(0)
  console.log(`quota: 429s drawn without quota reading: ${a.refused.length}`)
})

test('most-remaining: the key with the largest share left', async () => {
  const a = limitedUpstream(10)
  const lmlb = await lmlbOn(a.up, 'most-remaining')
  for (let i = 0; i < 6; i++) await ask(lmlb)
  // Unknown at first (a tie, taken in turn: A); then A reports 9 of 10 left and B, with no stated limit, all it has ever had: B has more.
  expect(a.served.map((s) => s.key)).toEqual([KEYS[0], ...Array(5).fill(KEYS[1])])
})
