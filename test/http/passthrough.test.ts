/** Same-format traffic through lmlb: keys, endpoints, headers, bodies, streams. */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { chat, messages } from '../helpers/requests'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'
import { anthropicStreamEvents, openaiStreamEvents, pacedStream } from '../helpers/canned'

const OPENAI_KEYS = ['sk-openai-key-aaaa1111', 'sk-openai-key-bbbb2222', 'sk-openai-key-cccc3333']
const ANTHROPIC_KEYS = ['sk-ant-key-aaaa1111', 'sk-ant-key-bbbb2222']

let openaiUps: FakeUpstream[]
let anthropicUp: FakeUpstream
let lmlb: RunningLmlb

beforeAll(async () => {
  openaiUps = ['oai-a', 'oai-b', 'oai-c'].map((n) => startUpstream(n))
  anthropicUp = startUpstream('ant')
  lmlb = await startLmlb({
    env: {
      OPENAI_API_KEYS: OPENAI_KEYS.join(','),
      ANTHROPIC_API_KEYS: ANTHROPIC_KEYS.join(','),
      SERVICE_ENDPOINTS: JSON.stringify({ openai: openaiUps.map((u) => u.base), anthropic: [anthropicUp.base] }),
      PREFERRED_PROVIDER: 'anthropic',
    },
  })
})

afterAll(async () => {
  await lmlb.stop()
  await Promise.all([...openaiUps, anthropicUp].map((u) => u.stop()))
})

beforeEach(() => {
  for (const u of [...openaiUps, anthropicUp]) u.reset()
})

const hi = [{ role: 'user', content: 'hi' }]

describe('round-robin', () => {
  test('60 parallel requests over 3 keys and 3 endpoints: each used exactly 20 times', async () => {
    const responses = await Promise.all(Array.from({ length: 60 }, () => chat(lmlb.url, { model: 'gpt-4o-mini', messages: hi })))
    expect(responses.map((r) => r.status)).toEqual(Array(60).fill(200))
    await Promise.all(responses.map((r) => r.json()))
    expect(openaiUps.map((u) => u.received.length)).toEqual([20, 20, 20])
    const keys = openaiUps.flatMap((u) => u.received.map((r) => r.headers.authorization))
    for (const key of OPENAI_KEYS) expect(keys.filter((k) => k === `Bearer ${key}`).length).toBe(20)
  })

  test('keys and endpoints rotate independently, in order', async () => {
    for (let i = 0; i < 6; i++) await (await messages(lmlb.url, { model: 'claude-test-sonnet', max_tokens: 5, messages: hi })).json()
    expect(anthropicUp.received.map((r) => r.headers['x-api-key'])).toEqual([...ANTHROPIC_KEYS, ...ANTHROPIC_KEYS, ...ANTHROPIC_KEYS])
  })
})

describe('OpenAI passthrough', () => {
  test('sends the chosen key, base URL and unprefixed model; the client key never goes upstream', async () => {
    const res = await chat(
      lmlb.url,
      { model: 'openai/gpt-4o', messages: hi, temperature: 0.3, custom_field: [1, 2] },
      {
        headers: {
          authorization: 'Bearer client-secret',
          'x-api-key': 'client-secret-2',
          'x-title': 'my-app',
          'x-custom': 'not for upstream',
          'openai-organization': 'org-client',
          connection: 'keep-alive',
        },
      },
    )
    expect(res.status).toBe(200)
    const body = await res.json()
    const received = openaiUps.flatMap((u) => u.received)
    expect(received).toHaveLength(1)
    const [r] = received
    expect(body.choices[0].message.content).toMatch(/^reply from oai-/)
    expect(r.path).toBe('/v1/chat/completions')
    expect(r.body).toEqual({ model: 'gpt-4o', messages: hi, temperature: 0.3, custom_field: [1, 2] })
    expect(r.headers.authorization).toMatch(/^Bearer sk-openai-key-/)
    expect(r.headers['x-api-key']).toBeUndefined()
    expect(r.headers['x-title']).toBe('my-app')
    // Headers outside the allow-list (or tied to the client's own account) stay behind.
    expect(r.headers['x-custom']).toBeUndefined()
    expect(r.headers['openai-organization']).toBeUndefined()
    expect(JSON.stringify(r.headers)).not.toContain('client-secret')
  })

  test('an unprefixed model goes on byte for byte', async () => {
    const raw = '{"model":"gpt-4o",  "messages":[{"role":"user","content":"spaced  out"}]}'
    const res = await fetch(`${lmlb.url}/v1/chat/completions`, {
      method: 'POST',
      body: raw,
      headers: { 'content-type': 'application/json' },
    })
    await res.json()
    const up = openaiUps.find((u) => u.received.length > 0)!
    expect(up.received[0].raw).toBe(raw)
  })

  test("a prefixed model is renamed in the client's own text; the rest goes on byte for byte", async () => {
    const raw =
      '{\n  "messages": [{"role": "user", "content": "caf\u00e9 \\"model\\": \\"openai/gpt-4o\\""}],\n  "model": "openai/gpt-4o",\n  "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {"model": {"type": "string"}}}}}]\n}'
    const res = await fetch(`${lmlb.url}/v1/chat/completions`, {
      method: 'POST',
      body: raw,
      headers: { 'content-type': 'application/json' },
    })
    expect(res.status).toBe(200)
    const sent = openaiUps.flatMap((u) => u.received)
    expect(sent).toHaveLength(1)
    expect(sent[0].raw).toBe(raw.replace('"model": "openai/gpt-4o"', '"model": "gpt-4o"'))
  })

  test('upstream errors come back as they came', async () => {
    for (const u of openaiUps)
      u.handle(() =>
        Response.json(
          { error: { message: 'bad thing', type: 'invalid_request_error', code: 'x' } },
          { status: 400, headers: { 'x-request-id': 'req_1' } },
        ),
      )
    const res = await chat(lmlb.url, { model: 'gpt-4o', messages: hi })
    expect(res.status).toBe(400)
    // lmlb names the request by its own id; the upstream's is kept beside it.
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/)
    expect(res.headers.get('x-upstream-request-id')).toBe('req_1')
    expect(await res.json()).toEqual({ error: { message: 'bad thing', type: 'invalid_request_error', code: 'x' } })
  })

  test('official OpenAI SDK: create and stream', async () => {
    const client = new OpenAI({ baseURL: `${lmlb.url}/v1`, apiKey: 'client-key', maxRetries: 0 })
    const completion = await client.chat.completions.create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] })
    expect(completion.choices[0].message.content).toMatch(/^reply from oai-/)
    expect(completion.model).toBe('gpt-4o-mini')
    const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true })
    let text = ''
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? ''
    expect(text).toMatch(/^reply from oai-/)
  })
})

describe('Anthropic passthrough', () => {
  test('x-api-key, anthropic-version, anthropic-beta and the query string reach the upstream', async () => {
    const res = await messages(
      lmlb.url,
      { model: 'anthropic/claude-opus-4-1', max_tokens: 5, messages: hi },
      {
        headers: { 'anthropic-beta': 'prompt-caching-2024-07-31,tools-2024-05-16', authorization: 'Bearer client-secret' },
        search: '?beta=true',
      },
    )
    expect(res.status).toBe(200)
    expect((await res.json()).content[0].text).toBe('reply from ant')
    const [r] = anthropicUp.received
    expect(r.path).toBe('/v1/messages')
    expect(r.search).toBe('?beta=true')
    expect(r.body.model).toBe('claude-opus-4-1')
    expect(ANTHROPIC_KEYS).toContain(r.headers['x-api-key'])
    expect(r.headers['anthropic-version']).toBe('2023-06-01')
    expect(r.headers['anthropic-beta']).toBe('prompt-caching-2024-07-31,tools-2024-05-16')
    expect(r.headers.authorization).toBeUndefined()
  })

  test('count_tokens goes to the Anthropic upstream', async () => {
    anthropicUp.handle(() => Response.json({ input_tokens: 42 }))
    const res = await fetch(`${lmlb.url}/v1/messages/count_tokens`, {
      method: 'POST',
      body: JSON.stringify({ model: 'anthropic/claude-x', messages: hi }),
    })
    expect(await res.json()).toEqual({ input_tokens: 42 })
    expect(anthropicUp.received[0].path).toBe('/v1/messages/count_tokens')
    expect(anthropicUp.received[0].body).toEqual({ model: 'claude-x', messages: hi })
  })

  test('official Anthropic SDK: create and stream().finalMessage()', async () => {
    const client = new Anthropic({ baseURL: lmlb.url, apiKey: 'client-key', maxRetries: 0 })
    const message = await client.messages.create({
      model: 'claude-test-sonnet',
      max_tokens: 10,
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(message.content).toMatchObject([{ type: 'text', text: 'reply from ant' }])
    const final = await client.messages
      .stream({ model: 'claude-test-sonnet', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage()
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'reply from ant' })
    expect(final.stop_reason).toBe('end_turn')
  })
})

describe('streaming is not buffered', () => {
  test('each event reaches the client before the upstream sends the next', async () => {
    const events = anthropicStreamEvents('claude-x', ['one ', 'two ', 'three'])
    // The upstream sends event i only once the client has read event i-1: a buffering proxy deadlocks here.
    const seen: ((v: void) => void)[] = []
    const gates = events.map((_, i) => (i === 0 ? Promise.resolve() : new Promise<void>((r) => (seen[i - 1] = r))))
    anthropicUp.handle(() => pacedStream(events, (i) => gates[i]))
    const res = await messages(lmlb.url, { model: 'anthropic/claude-x', max_tokens: 5, stream: true, messages: hi })
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
    let text = ''
    let released = 0
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      text += value
      const complete = text.split('\n\n').length - 1
      while (released < complete) seen[released++]?.()
    }
    expect(text).toBe(events.join(''))
  })

  test('an upstream sending one event every 200 ms reaches the client at that pace', async () => {
    const events = openaiStreamEvents('gpt-x', ['a', 'b', 'c'])
    for (const u of openaiUps) u.handle(() => pacedStream(events, (i) => (i === 0 ? Promise.resolve() : Bun.sleep(200))))
    const res = await chat(lmlb.url, { model: 'gpt-x', messages: hi, stream: true })
    const arrivals: number[] = []
    const reader = res.body!.getReader()
    const start = performance.now()
    for (;;) {
      const { done } = await reader.read()
      if (done) break
      arrivals.push(performance.now() - start)
    }
    // One read per event, spread over the upstream's pace, not one lump at the end.
    expect(arrivals.length).toBe(events.length)
    expect(arrivals[arrivals.length - 1] - arrivals[0]).toBeGreaterThanOrEqual(150 * (events.length - 1))
  })
})
