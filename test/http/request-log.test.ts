/**
 * One log line per request: with LOG_FORMAT=json every line is one JSON
 * object, and each request's line is matched to the request by its
 * `x-request-id` (the client's, or lmlb's own, echoed in the response).
 * Prompts and completions appear only with LOG_BODIES=1, keys masked.
 */
import { afterEach, expect, test } from 'bun:test'
import { openaiCompletion } from '../helpers/canned'
import { startLmlb, UNDER_DENO, type RunningLmlb } from '../helpers/lmlb'
import { chat } from '../helpers/requests'
import { startUpstream } from '../helpers/upstream'

const KEYS = ['sk-log-test-key-aaaa1111', 'sk-log-test-key-bbbb2222']
const SECRET_PROMPT = 'the quick brown prompt nobody should read'

const running: { stop(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()))
})

async function setup(env: Record<string, string> = {}) {
  const [a, b] = [startUpstream('a'), startUpstream('b')]
  const lmlb = await startLmlb({
    env: { OPENAI_API_KEYS: KEYS.join(','), SERVICE_ENDPOINTS: JSON.stringify({ openai: [a.base, b.base] }), ...env },
  })
  running.push(a, b, lmlb)
  return { a, b, lmlb }
}

/** The JSON request lines in lmlb's log, by request id, once `n` are there. */
async function requestLines(lmlb: RunningLmlb, n: number): Promise<Map<string, any>> {
  await lmlb.waitForLog('"msg":"request"', n)
  const lines = lmlb
    .log()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l))
  return new Map(lines.filter((l) => l.msg === 'request').map((l) => [l.request_id, l]))
}

test('LOG_FORMAT=json: every line is JSON; each request has its line, matched by x-request-id', async () => {
  const { a, lmlb } = await setup({ LOG_FORMAT: 'json' })
  a.handle(() => Response.json({ error: { message: 'boom' } }, { status: 500 }))
  // 1: the client's own id; endpoint a fails first, b answers.
  const first = await chat(
    lmlb.url,
    { model: 'gpt-4o', messages: [{ role: 'user', content: SECRET_PROMPT }] },
    { headers: { 'x-request-id': 'client-req-0001' } },
  )
  await first.text()
  // 2: a stream, lmlb's own id (a is cooling now: b serves).
  const second = await chat(lmlb.url, { model: 'openai/gpt-4o-mini', stream: true, messages: [{ role: 'user', content: 'hi' }] })
  await second.text()
  // 3: refused by lmlb itself, before any upstream.
  const third = await chat(lmlb.url, { model: 'gpt-4o' })
  await third.text()
  expect([first.status, second.status, third.status]).toEqual([200, 200, 400])
  expect(first.headers.get('x-request-id')).toBe('client-req-0001')
  const ids = [first, second, third].map((r) => r.headers.get('x-request-id')!)
  expect(ids[1]).toMatch(/^[0-9a-f-]{36}$/)

  const lines = await requestLines(lmlb, 3)
  expect(lines.get(ids[0])).toMatchObject({
    level: 'info',
    api: 'openai',
    method: 'POST',
    path: '/v1/chat/completions',
    model: 'gpt-4o',
    served: 'openai/gpt-4o',
    status: 200,
    stream: false,
    tokens_in: 5,
    tokens_out: 3,
    tokens_cached: 0,
    attempts: [
      { key: 'sk-...1111', endpoint: expect.stringContaining('127.0.0.1'), outcome: '500' },
      { key: 'sk-...2222', endpoint: expect.stringContaining('127.0.0.1'), outcome: '200' },
    ],
  })
  expect(lines.get(ids[0]).ttfb_ms).toBeGreaterThan(0)
  expect(lines.get(ids[0]).duration_ms).toBeGreaterThanOrEqual(lines.get(ids[0]).ttfb_ms)
  expect(lines.get(ids[1])).toMatchObject({
    model: 'openai/gpt-4o-mini',
    served: 'openai/gpt-4o-mini',
    status: 200,
    stream: true,
    attempts: [{ outcome: '200' }],
  })
  expect(lines.get(ids[2])).toMatchObject({ status: 400, served: null, attempts: [] })
  // Every line of the log is JSON (start-up, warnings, requests), and no prompt text or whole key is in it.
  // (Deno itself writes one warning of its own about request.signal; lmlb's lines are all JSON.)
  const own = lmlb
    .log()
    .trim()
    .split('\n')
    .filter((line) => !(UNDER_DENO && line.includes('Deno.serve: request.signal')))
  for (const line of own) expect([line, isJson(line)]).toEqual([line, true])
  expect(lmlb.log()).not.toContain(SECRET_PROMPT)
  for (const key of KEYS) expect(lmlb.log()).not.toContain(key)
})

test('the default line is readable, and names the same things', async () => {
  const { lmlb } = await setup()
  const res = await chat(
    lmlb.url,
    { model: 'gpt-4o', messages: [{ role: 'user', content: SECRET_PROMPT }] },
    { headers: { 'x-request-id': 'client-req-0002' } },
  )
  await res.text()
  await lmlb.waitForLog('client-req-0002')
  const line = lmlb
    .log()
    .split('\n')
    .find((l) => l.includes('client-req-0002'))!
  expect(line).toMatch(
    / INFO  client-req-0002 openai POST \/v1\/chat\/completions gpt-4o → openai\/gpt-4o 200 ttfb=[\d.]+ms total=[\d.]+ms tokens=5\/3 cached=0 \[sk-\.\.\.1111@http:\/\/127\.0\.0\.1:\d+\/v1 200\]$/,
  )
  expect(lmlb.log()).not.toContain(SECRET_PROMPT)
})

test('LOG_BODIES=1: the prompt and the completion are in the line, keys masked', async () => {
  const { a, b, lmlb } = await setup({ LOG_FORMAT: 'json', LOG_BODIES: '1' })
  for (const up of [a, b]) up.handle((r) => openaiCompletion(r.body.model, `echo ${KEYS[0]}`))
  const res = await chat(lmlb.url, { model: 'gpt-4o', messages: [{ role: 'user', content: `${SECRET_PROMPT} ${KEYS[1]}` }] })
  // The answer itself is masked too, as always.
  expect(JSON.stringify(await res.json())).not.toContain(KEYS[0])
  const [line] = (await requestLines(lmlb, 1)).values()
  expect(line.prompt).toContain(SECRET_PROMPT)
  expect(line.prompt).toContain('sk-...2222')
  expect(line.completion).toContain('echo sk-...1111')
  for (const key of KEYS) expect(lmlb.log()).not.toContain(key)
})

function isJson(line: string): boolean {
  try {
    JSON.parse(line)
    return true
  } catch {
    return false
  }
}
