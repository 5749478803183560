/**
 * The Responses API (`POST /v1/responses`) through lmlb, to services that
 * have it: the body byte for byte but for key, base URL and model; events
 * relayed as they come; keys and endpoints in rotation; failover before the
 * first byte; a broken stream ends with `response.failed`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { responses } from '../helpers/requests'
import { pacedStream, responsesObject, responsesStreamEvents } from '../helpers/canned'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

const KEYS = ['sk-responses-key-aaaa1111', 'sk-responses-key-bbbb2222']

let ups: FakeUpstream[]
let local: FakeUpstream
let lmlb: RunningLmlb

beforeAll(async () => {
  ups = ['oai-a', 'oai-b'].map((n) => startUpstream(n))
  local = startUpstream('local')
  lmlb = await startLmlb({
    env: { OPENAI_API_KEYS: KEYS.join(','), SERVICE_ENDPOINTS: JSON.stringify({ openai: ups.map((u) => u.base) }) },
    args: ['--config', 'lmlb.yaml'],
    files: { 'lmlb.yaml': `services:\n  local:\n    endpoints: ["${local.base}"]\n    apis: [chat, responses]\n` },
  })
})

afterAll(async () => {
  await lmlb.stop()
  await Promise.all([...ups, local].map((u) => u.stop()))
})

beforeEach(() => {
  for (const u of [...ups, local]) u.reset()
})

const client = () => new OpenAI({ baseURL: `${lmlb.url}/v1`, apiKey: 'client-key', maxRetries: 0 })
const received = () => ups.flatMap((u) => u.received.map((r) => ({ upstream: u.name, ...r })))

describe('passed through to a service with the Responses API', () => {
  test('responses.create: the upstream answer as it came; keys and endpoints in round-robin; the body byte for byte', async () => {
    const body = '{"model":"gpt-5-test",  "input":"Say hi", "store":false, "reasoning":{"effort":"low"}}'
    for (let i = 0; i < 4; i++) {
      const res = await responses(lmlb.url, body)
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({
        object: 'response',
        status: 'completed',
        output: [{ type: 'message', content: [{ type: 'output_text', text: expect.stringMatching(/^reply from oai-[ab]$/) }] }],
      })
    }
    const seen = received()
    expect(seen.map((r) => [r.path, r.raw])).toEqual(Array(4).fill(['/v1/responses', body]))
    expect(ups.map((u) => u.received.length)).toEqual([2, 2])
    expect(new Set(seen.map((r) => r.headers.authorization))).toEqual(new Set(KEYS.map((k) => `Bearer ${k}`)))
    for (const r of seen) expect(r.headers.authorization).not.toBe('Bearer client-key')

    const sdk = await client().responses.create({ model: 'gpt-5-test', input: 'Say hi' })
    expect(sdk.output_text).toMatch(/^reply from oai-[ab]$/)
  })

  test('previous_response_id and item_reference go through untouched: the service keeps its own responses', async () => {
    const body = '{"model":"gpt-5-test","previous_response_id":"resp_1","input":[{"type":"item_reference","id":"fc_1"}]}'
    expect((await responses(lmlb.url, body)).status).toBe(200)
    expect(received()[0].raw).toBe(body)
    // References to items no response of lmlb's made (the SDK's, OpenAI's): byte for byte, spaces and all.
    const spaced = (model: string) =>
      `{"model": "${model}", "input": [{"type": "item_reference", "id": "msg_67ccd3acc8d48190a77525dc6de64b41"}]}`
    expect((await responses(lmlb.url, spaced('local/gpt-5-test'))).status).toBe(200)
    expect(local.received[0].raw).toBe(spaced('gpt-5-test'))
  })

  test('a function tool round trip through the SDK, create and stream, as the upstream wrote it', async () => {
    // The stand-in plays OpenAI: a function_call until the call's output comes back, then text.
    const call = {
      id: 'fc_1',
      type: 'function_call',
      status: 'completed',
      call_id: 'call_1',
      name: 'get_weather',
      arguments: '{"city":"Paris"}',
    }
    for (const u of ups)
      u.handle((r) => {
        const answered = JSON.stringify(r.body.input).includes('function_call_output')
        const response = answered ? responsesObject(r.body.model, 'It is sunny.') : { ...responsesObject(r.body.model, ''), output: [call] }
        if (!r.body.stream) return Response.json(response)
        const events = [
          { type: 'response.created', response: { ...response, status: 'in_progress', output: [] } },
          { type: 'response.completed', response },
        ]
        return new Response(events.map((e, i) => `event: ${e.type}\ndata: ${JSON.stringify({ ...e, sequence_number: i })}\n\n`).join(''), {
          headers: { 'content-type': 'text/event-stream' },
        })
      })
    const tools = [
      {
        type: 'function' as const,
        name: 'get_weather',
        parameters: { type: 'object', properties: { city: { type: 'string' } } },
        strict: false,
      },
    ]
    const first = await client().responses.create({ model: 'gpt-5-test', input: 'Weather?', tools })
    expect(first.output).toEqual([call] as never)
    const second = await client()
      .responses.stream({
        model: 'gpt-5-test',
        tools,
        input: [{ role: 'user', content: 'Weather?' }, call as never, { type: 'function_call_output', call_id: 'call_1', output: '18°C' }],
      })
      .finalResponse()
    expect(second.output_text).toBe('It is sunny.')
    expect(received().map((r) => r.body.input.at?.(-1)?.type ?? 'text')).toEqual(['text', 'function_call_output'])
  })

  test('a service/ prefix: only the model is rewritten', async () => {
    const res = await responses(lmlb.url, '{"model":"openai/gpt-5-test","input":[{"role":"user","content":"hi"}]}')
    expect(res.status).toBe(200)
    expect(received()[0].raw).toBe('{"model":"gpt-5-test","input":[{"role":"user","content":"hi"}]}')
  })

  test('responses.stream: every event relayed in order; the final response; tokens counted in /stats', async () => {
    const before = await tokens()
    const stream = client().responses.stream({ model: 'gpt-5-test', input: 'Say hi' })
    const types: string[] = []
    for await (const event of stream) types.push(event.type)
    const final = await stream.finalResponse()
    expect(final.output_text).toMatch(/^reply from oai-[ab]$/)
    expect(types).toEqual(responsesStreamEvents('m', ['x']).map((e) => /^event: (\S+)/.exec(e)![1]))
    expect(received()[0].body.stream).toBe(true)
    // The stand-in reports 11 in (4 of them cached) and 6 out.
    expect(await tokens()).toEqual({ in: before.in + 11, out: before.out + 6 })
  })

  test('a configured OpenAI-format service that says apis: [chat, responses] gets the call, keyless', async () => {
    const res = await client().responses.create({ model: 'local/qwen3', input: 'hi' })
    expect(res.output_text).toBe('reply from local')
    expect(local.received.map((r) => [r.path, r.body.model, r.headers.authorization])).toEqual([['/v1/responses', 'qwen3', undefined]])
  })

  test('a 500 before the first byte: retried on the other endpoint, unseen by the client', async () => {
    ups[0].handle(() => Response.json({ error: { message: 'boom', type: 'server_error' } }, { status: 500 }))
    ups[1].handle(() => Response.json({ id: 'resp_b', object: 'response', status: 'completed', output: [] }))
    const statuses = []
    for (let i = 0; i < 2; i++) statuses.push((await responses(lmlb.url, '{"model":"gpt-5-test","input":"x"}')).status)
    expect(statuses).toEqual([200, 200])
    expect(ups[1].received.length).toBe(2)
  })

  test('a stream that breaks after its first events ends with response.failed, not a silent cut', async () => {
    const events = responsesStreamEvents('gpt-5-test', ['Hel', 'lo'])
    let holdsFour!: () => void
    const arrived = new Promise<void>((r) => (holdsFour = r))
    for (const u of ups)
      u.handle(() =>
        pacedStream(events, async (i) => {
          if (i < 4) return
          await arrived // broken only once the client holds the first events: lmlb has committed to this upstream
          throw new Error('upstream connection reset')
        }),
      )
    const res = await responses(lmlb.url, '{"model":"gpt-5-test","input":"x","stream":true}')
    expect(res.status).toBe(200)
    let text = ''
    for await (const piece of res.body!.pipeThrough(new TextDecoderStream()) as unknown as AsyncIterable<string>) {
      text += piece
      if (text.length >= events.slice(0, 4).join('').length) holdsFour()
    }
    expect(text.startsWith(events.slice(0, 4).join(''))).toBe(true)
    const last = text.trimEnd().split('\n\n').at(-1)!
    expect(last.split('\n')[0]).toBe('event: response.failed')
    const failed = JSON.parse(last.split('\n')[1].slice('data: '.length))
    expect(failed).toMatchObject({ type: 'response.failed', response: { status: 'failed', error: { code: 'upstream_stream_error' } } })
    // Numbered as every event before it: the next number.
    const numbers = text
      .trimEnd()
      .split('\n\n')
      .map((e) => JSON.parse(e.split('\n')[1].slice('data: '.length)).sequence_number)
    expect(numbers).toEqual(numbers.map((_, i) => numbers[0] + i))
    expect(failed.sequence_number).toBe(JSON.parse(events[3].split('\n')[1].slice('data: '.length)).sequence_number + 1)
  })
})

describe('errors lmlb raises on /v1/responses are in the OpenAI shape', () => {
  test.each([
    ['not JSON', '{"model":', 'invalid_json'],
    ['no model', '{"input":"hi"}', 'invalid_request'],
    ['an unknown service', '{"model":"nope/x","input":"hi"}', 'model_not_found'],
  ])('%s', async (_, body, code) => {
    const res = await responses(lmlb.url, body)
    expect(res.status).toBeGreaterThanOrEqual(400)
    expect(res.status).toBeLessThan(500)
    expect(await res.json()).toMatchObject({ error: { code, type: 'invalid_request_error', param: null } })
    expect(received()).toEqual([])
  })
})

async function tokens(): Promise<{ in: number; out: number }> {
  const stats = (await (await fetch(`${lmlb.url}/stats`)).json()) as any
  const endpoints = stats.load_balancer_stats.openai.endpoint_stats as { tokens_in: number; tokens_out: number }[]
  return { in: endpoints.reduce((n, e) => n + e.tokens_in, 0), out: endpoints.reduce((n, e) => n + e.tokens_out, 0) }
}
