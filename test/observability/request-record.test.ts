/**
 * RequestRecord: one request told in one log line when it is over. What the
 * line holds in either format, prompt and completion only with LOG_BODIES
 * (masked, the completion capped), written once however many times it is
 * finished, and the request id: the client's own when sane, else a new one.
 */
import { expect, test } from 'bun:test'
import { createLogger } from '../../src/observability/log'
import { RequestRecord, requestIdOf } from '../../src/observability/request-record'

function recordOf(bodies = false) {
  const record = new RequestRecord('req_7', 'anthropic', 'POST', '/v1/messages', bodies)
  record.asked('claude-x', true, () => 'prompt with sk-secret-0123456789')
  record.billed = { service: 'openai', model: 'gpt-x', upstreamModel: 'gpt-x', keyId: 'k1' }
  record.attempts.push(
    { key: 'sk-...0001', endpoint: 'http://a/v1', outcome: '503' },
    { key: null, endpoint: 'http://b/v1', outcome: '200' },
  )
  record.ttfbMs = 12.345
  record.tokens = { input: 30, output: 4, cacheRead: 10, cacheWrite: 0 }
  return record
}

const mask = (t: string) => t.replaceAll('sk-secret-0123456789', 'sk-...6789')

test('the text line: id, API, path, model and what served it, status, times, tokens, stream, each attempt', () => {
  const lines: string[] = []
  recordOf().finish(
    200,
    createLogger('info', '', (l) => lines.push(l)),
    mask,
  )
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(
    /INFO  req_7 anthropic POST \/v1\/messages claude-x → openai\/gpt-x 200 ttfb=12\.3ms total=[\d.]+ms tokens=30\/4 cached=10 stream \[sk-\.\.\.0001@http:\/\/a\/v1 503, -@http:\/\/b\/v1 200\]$/,
  )
  expect(lines[0]).not.toContain('prompt')
})

test('the JSON line: every field by name, no prompt or completion without LOG_BODIES', () => {
  const lines: string[] = []
  recordOf().finish(
    200,
    createLogger('info', '', (l) => lines.push(l), 'json'),
    mask,
  )
  const fields = JSON.parse(lines[0])
  expect(fields).toMatchObject({
    level: 'info',
    msg: 'request',
    request_id: 'req_7',
    api: 'anthropic',
    method: 'POST',
    path: '/v1/messages',
    model: 'claude-x',
    served: 'openai/gpt-x',
    status: 200,
    ttfb_ms: 12.3,
    tokens_in: 30,
    tokens_out: 4,
    tokens_cached: 10,
    stream: true,
    attempts: [
      { key: 'sk-...0001', endpoint: 'http://a/v1', outcome: '503' },
      { key: null, endpoint: 'http://b/v1', outcome: '200' },
    ],
  })
  expect(fields.duration_ms).toBeGreaterThanOrEqual(0)
  expect('prompt' in fields || 'completion' in fields).toBe(false)
})

test('a request refused before any attempt: nulls where nothing is known', () => {
  const lines: string[] = []
  new RequestRecord('req_8', 'openai', 'POST', '/v1/chat/completions', false).finish(
    401,
    createLogger('info', '', (l) => lines.push(l), 'json'),
    mask,
  )
  expect(JSON.parse(lines[0])).toMatchObject({ model: null, served: null, ttfb_ms: null, tokens_in: 0, stream: false, attempts: [] })
})

test('with LOG_BODIES: prompt and completion in the line, masked; the completion capped at 64 KiB', () => {
  const lines: string[] = []
  const record = recordOf(true)
  record.addCompletion('answer sk-secret-0123456789 ')
  record.addCompletion(new TextEncoder().encode('x'.repeat(70_000)))
  expect(record.completion.length).toBe(65_536)
  record.finish(
    200,
    createLogger('info', '', (l) => lines.push(l), 'json'),
    mask,
  )
  const fields = JSON.parse(lines[0])
  expect(fields.prompt).toBe('prompt with sk-...6789')
  expect(fields.completion).toStartWith('answer sk-...6789 xxx')
  expect(lines[0]).not.toContain('sk-secret-0123456789')
})

test('the prompt is not even made without LOG_BODIES', () => {
  const record = new RequestRecord('r', 'openai', 'POST', '/v1/chat/completions', false)
  record.asked('m', false, () => {
    throw new Error('prompt made')
  })
  expect(record.prompt).toBeUndefined()
})

test('finished twice, it is written and told once; below the log level it is still told', () => {
  const lines: string[] = []
  let told = 0
  const record = recordOf()
  record.onFinish = () => told++
  const logger = createLogger('info', '', (l) => lines.push(l))
  record.finish(200, logger, mask)
  record.finish(500, logger, mask)
  expect(lines).toHaveLength(1)
  expect(told).toBe(1)
  const quiet = recordOf()
  quiet.onFinish = () => told++
  quiet.finish(
    200,
    createLogger('warn', '', (l) => lines.push(l)),
    mask,
  )
  expect(told).toBe(2)
  expect(lines).toHaveLength(1)
})

test("the request id: the client's x-request-id when it is printable ASCII up to 128, else a new UUID", () => {
  expect(requestIdOf(new Headers({ 'x-request-id': 'abc-123_XYZ' }))).toBe('abc-123_XYZ')
  expect(requestIdOf(new Headers({ 'x-request-id': 'a'.repeat(128) }))).toBe('a'.repeat(128))
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
  for (const bad of ['a'.repeat(129), 'has space', 'tab\there', 'é'])
    expect(requestIdOf(new Headers({ 'x-request-id': bad }))).toMatch(uuid)
  expect(requestIdOf(new Headers())).toMatch(uuid)
})
