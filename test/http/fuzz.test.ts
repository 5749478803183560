/**
 * Generated bodies and headers thrown at both APIs: every answer is a
 * well-formed success or an error in the inbound API's shape, never a crash
 * or a hang. Every service points at a stand-in on 127.0.0.1.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import fc from 'fast-check'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

let up: FakeUpstream
let lmlb: RunningLmlb
beforeAll(async () => {
  up = startUpstream('local')
  const base = up.base
  lmlb = await startLmlb({
    env: {
      OPENAI_API_KEYS: 'sk-fuzz-openai-000000001',
      ANTHROPIC_API_KEYS: 'sk-fuzz-anthropic-00000001',
      GEMINI_API_KEYS: 'fuzz-gemini-0000000001',
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [base], anthropic: [base], gemini: [base], groq: [base] }),
      LMLB_MAX_BODY_BYTES: '20000',
    },
  })
})
afterAll(async () => {
  await lmlb.stop()
  await up.stop()
})

const model = fc.oneof(
  fc.constantFrom(
    'mock/echo',
    'gpt-4o',
    'claude-3-haiku',
    'anthropic/claude-x',
    'gemini-2.5-flash',
    'groq/llama',
    'nope/x',
    '',
    'o3',
    'constructor',
    '__proto__',
    'toString',
  ),
  fc.string(),
)
const message = fc.record(
  { role: fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'tool'), fc.string()), content: fc.oneof(fc.string(), fc.jsonValue()) },
  { requiredKeys: [] },
)
const plausible = fc.record(
  {
    model,
    messages: fc.array(message, { maxLength: 4 }),
    max_tokens: fc.oneof(fc.integer(), fc.string()),
    stream: fc.oneof(fc.boolean(), fc.jsonValue()),
  },
  { requiredKeys: [] },
)
const body = fc.oneof(
  plausible.map((b) => JSON.stringify(b)),
  fc.jsonValue().map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constant('x'.repeat(30000)),
)
const contentType = fc.option(
  fc.constantFrom('application/json', 'application/json; charset=utf-8', 'text/plain', 'application/vnd.api+json', ''),
  { nil: undefined },
)
const path = fc.constantFrom('/v1/messages', '/v1/messages/count_tokens', '/v1/chat/completions')

test('any body, any content type, both APIs: a well-formed answer, never a crash or a hang', async () => {
  await fc.assert(
    fc.asyncProperty(path, body, contentType, fc.string({ maxLength: 30 }), async (p, b, type, key) => {
      const headers: Record<string, string> = {}
      if (type !== undefined) headers['content-type'] = type
      if (/^[\x21-\x7e]*$/.test(key)) headers['x-api-key'] = key
      const res = await fetch(`${lmlb.url}${p}`, { method: 'POST', headers, body: b, signal: AbortSignal.timeout(5000) })
      const text = await res.text()
      expect(res.status).toBeGreaterThanOrEqual(200)
      expect(res.status).toBeLessThan(600)
      if (res.status >= 400) {
        const error = JSON.parse(text)
        if (p.startsWith('/v1/messages'))
          expect(error).toMatchObject({ type: 'error', error: { type: expect.any(String), message: expect.any(String) } })
        else expect(error).toMatchObject({ error: { message: expect.any(String), type: expect.any(String) } })
      }
    }),
    { numRuns: 300 },
  )
  expect(lmlb.alive()).toBe(true)
  expect((await fetch(`${lmlb.url}/health`)).status).toBe(200)
  expect(lmlb.log()).not.toContain('unexpected error')
})
