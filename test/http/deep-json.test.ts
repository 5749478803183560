/**
 * A body nesting 100,000 levels deep (0.6 MB) is refused with a 400 in the
 * inbound API's shape on every route, and lmlb keeps serving others
 * meanwhile (before: ~1.3 s of blocked event loop in JSON.stringify, and a
 * 500 on count_tokens).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { post } from '../helpers/requests'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

const N = 100_000
const deepSchema = '{"type":"object","properties":{"a":'.repeat(N) + '{"type":"string"}' + '}}'.repeat(N)
const tool = `{"name":"t","description":"d","input_schema":${deepSchema}}`
const openaiTool = `{"type":"function","function":{"name":"t","parameters":${deepSchema}}}`
const anthropicBody = (model: string, maxTokens = true) =>
  `{"model":${JSON.stringify(model)},${maxTokens ? '"max_tokens":50,' : ''}"messages":[{"role":"user","content":"hi"}],"tools":[${tool}]}`
const openaiBody = (model: string) =>
  `{"model":${JSON.stringify(model)},"messages":[{"role":"user","content":"hi"}],"tools":[${openaiTool}]}`

let oai: FakeUpstream
let ant: FakeUpstream
let lmlb: RunningLmlb

beforeAll(async () => {
  oai = startUpstream('oai')
  ant = startUpstream('ant')
  lmlb = await startLmlb({
    env: {
      OPENAI_API_KEYS: 'sk-oai-deep-0001',
      ANTHROPIC_API_KEYS: 'sk-ant-deep-0001',
      GEMINI_API_KEYS: 'gm-deep-0001',
      SERVICE_ENDPOINTS: JSON.stringify({ openai: [oai.base], anthropic: [ant.base], gemini: [oai.base] }),
    },
  })
})
afterAll(async () => {
  await lmlb.stop()
  await Promise.all([oai.stop(), ant.stop()])
})

const cases: [string, string, () => string, 'anthropic' | 'openai'][] = [
  ['messages, passthrough', '/v1/messages', () => anthropicBody('anthropic/claude-sonnet-4-5'), 'anthropic'],
  ['messages → OpenAI', '/v1/messages', () => anthropicBody('openai/gpt-4o'), 'anthropic'],
  ['messages → Gemini (schema cleaning)', '/v1/messages', () => anthropicBody('gemini/gemini-2.5-flash'), 'anthropic'],
  ['messages, mock', '/v1/messages', () => anthropicBody('mock/echo'), 'anthropic'],
  ['count_tokens, passthrough', '/v1/messages/count_tokens', () => anthropicBody('anthropic/claude-sonnet-4-5', false), 'anthropic'],
  ['count_tokens, OpenAI-format estimate', '/v1/messages/count_tokens', () => anthropicBody('openai/gpt-4o', false), 'anthropic'],
  ['count_tokens, mock', '/v1/messages/count_tokens', () => anthropicBody('mock/echo', false), 'anthropic'],
  ['chat/completions, passthrough', '/v1/chat/completions', () => openaiBody('openai/gpt-4o'), 'openai'],
  ['chat/completions → Anthropic', '/v1/chat/completions', () => openaiBody('anthropic/claude-sonnet-4-5'), 'openai'],
  ['chat/completions, mock', '/v1/chat/completions', () => openaiBody('mock/echo'), 'openai'],
]

describe('a 100,000-deep tool schema', () => {
  for (const [name, path, body, api] of cases) {
    test(`${name}: 400 too_deeply_nested, others still served`, async () => {
      const sentUpstream = oai.received.length + ant.received.length
      const deep = post(lmlb.url, path, body())
      // Another client, during it.
      const other = post(lmlb.url, '/v1/chat/completions', '{"model":"mock/echo","messages":[{"role":"user","content":"still there?"}]}')
      const [res, otherRes] = await Promise.all([deep, other])
      expect(otherRes.status).toBe(200)
      expect((await otherRes.json()).choices[0].message.content).toBe('You said: still there?')
      expect(res.status).toBe(400)
      const json = await res.json()
      if (api === 'anthropic') {
        expect(json.type).toBe('error')
        expect(json.error.type).toBe('invalid_request_error')
        expect(json.error.message).toContain('512')
      } else {
        expect(json.error.code).toBe('too_deeply_nested')
        expect(json.error.type).toBe('invalid_request_error')
        expect(json.error.message).toContain('512')
      }
      expect(oai.received.length + ant.received.length).toBe(sentUpstream)
    })
  }

  test('nested JSON inside tool call arguments (a string) is refused too', async () => {
    const args = '{"a":'.repeat(N) + '1' + '}'.repeat(N)
    const body = JSON.stringify({
      model: 'anthropic/claude-sonnet-4-5',
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 't', arguments: args } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'ok' },
      ],
    })
    const res = await post(lmlb.url, '/v1/chat/completions', body)
    expect(res.status).toBe(400)
    expect((await res.json()).error.code).toBe('too_deeply_nested')
  })

  test('an upstream answer nesting as deep, translated: 502 upstream_unreadable', async () => {
    const input = '{"a":'.repeat(N) + '1' + '}'.repeat(N)
    ant.handle(
      () =>
        new Response(
          `{"id":"msg_d","type":"message","role":"assistant","model":"m","content":[{"type":"tool_use","id":"tu","name":"t","input":${input}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":1}}`,
          { headers: { 'content-type': 'application/json' } },
        ),
    )
    try {
      const res = await post(
        lmlb.url,
        '/v1/chat/completions',
        '{"model":"anthropic/claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}',
      )
      expect(res.status).toBe(502)
      expect((await res.json()).error.code).toBe('upstream_unreadable')
    } finally {
      ant.reset()
    }
  })

  test('hundreds of levels (401) still go through, translated', async () => {
    const schema = '{"type":"object","properties":{"a":'.repeat(200) + '{"type":"string"}' + '}}'.repeat(200) // 401 levels in the body
    const body = `{"model":"openai/gpt-4o","max_tokens":50,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"t","input_schema":${schema}}]}`
    const res = await post(lmlb.url, '/v1/messages', body)
    expect(res.status).toBe(200)
  })
})
