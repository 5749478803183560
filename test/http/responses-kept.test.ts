/**
 * Stored responses on services lmlb translates to, as the official OpenAI
 * SDK sees them: a three-turn chain with `previous_response_id` (whole and
 * streamed), then the last response retrieved, its input items listed and
 * it deleted; `store: false` keeps nothing; and what a chain whose earlier
 * response was pushed out gets. The stand-ins echo the last user text, so
 * what each turn's upstream request held shows in the answer and in what
 * the stand-in received.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { anthropicMessage, anthropicStream, openaiCompletion, openaiStream } from '../helpers/canned'
import { scriptedAnthropic, scriptedOpenAI } from '../helpers/scripted'
import { startUpstream, type FakeUpstream, type UpstreamHandler } from '../helpers/upstream'

const textOf = (content: unknown): string =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.map((p) => p?.text ?? '').join('') : ''

/** Answers `heard: <the last user text>`, in the stand-in's own format; with tools, plays a get_weather round trip. */
const echo: UpstreamHandler = (received) => {
  const { path, body } = received
  if (body.tools?.length) return path.endsWith('/messages') ? scriptedAnthropic(received) : scriptedOpenAI(received)
  const users = (body.messages as { role: string; content: unknown }[]).filter((m) => m.role === 'user')
  const text = `heard: ${textOf(users.at(-1)?.content)}`
  if (path.endsWith('/messages')) return body.stream ? anthropicStream(body.model, [text]) : anthropicMessage(body.model, text)
  return body.stream ? openaiStream(body.model, [text]) : openaiCompletion(body.model, text)
}

let chat: FakeUpstream
let ant: FakeUpstream
let lmlb: RunningLmlb
let small: RunningLmlb

beforeAll(async () => {
  chat = startUpstream('chat', echo)
  ant = startUpstream('ant', echo)
  const options = {
    env: { ANTHROPIC_API_KEYS: 'sk-ant-kept-0001', SERVICE_ENDPOINTS: JSON.stringify({ anthropic: [ant.base] }) },
    args: ['--config', 'lmlb.yaml'],
    files: { 'lmlb.yaml': `services:\n  chatonly:\n    endpoints: ["${chat.base}"]\n    keys: [sk-chat-kept-0001]\n` },
  }
  lmlb = await startLmlb(options)
  // Two responses at most: the third pushes the first out.
  small = await startLmlb({ ...options, env: { ...options.env, LMLB_RESPONSES_KEPT: '2' } })
})

afterAll(async () => {
  await Promise.all([lmlb.stop(), small.stop()])
  await Promise.all([chat.stop(), ant.stop()])
})

beforeEach(() => {
  chat.reset()
  ant.reset()
})

const client = (on = lmlb) => new OpenAI({ baseURL: `${on.url}/v1`, apiKey: 'client', maxRetries: 0 })

const KINDS = [
  { name: 'a Chat-Completions-only service', model: 'chatonly/gpt-test', up: () => chat },
  { name: 'Anthropic', model: 'anthropic/claude-test', up: () => ant },
]

/** Each upstream request's conversation as role: text lines. */
const conversation = (body: any): string[] =>
  (body.messages as { role: string; content: unknown }[]).filter((m) => m.role !== 'system').map((m) => `${m.role}: ${textOf(m.content)}`)

const THREE_TURNS = ['user: one', 'assistant: heard: one', 'user: two', 'assistant: heard: two', 'user: three']

for (const kind of KINDS) {
  describe(`kept responses on ${kind.name}`, () => {
    test('three turns chained by previous_response_id: each upstream request holds the turns before it', async () => {
      const first = await client().responses.create({ model: kind.model, input: 'one', instructions: 'Be brief.' })
      expect(first).toMatchObject({ store: true, previous_response_id: null, output_text: 'heard: one' })
      expect(first.id).toMatch(/^resp_[0-9a-f]{32}$/)
      const second = await client().responses.create({ model: kind.model, input: 'two', previous_response_id: first.id })
      expect(second).toMatchObject({ previous_response_id: first.id, output_text: 'heard: two' })
      const third = await client().responses.create({
        model: kind.model,
        input: [{ role: 'user', content: 'three' }],
        previous_response_id: second.id,
      })
      expect(third.output_text).toBe('heard: three')
      const sent = kind.up().received.map((r) => r.body)
      expect(sent.map(conversation)).toEqual([['user: one'], THREE_TURNS.slice(0, 3), THREE_TURNS])
      // Instructions belong to the request that gave them: not carried to the next turn.
      expect(JSON.stringify(sent[0])).toContain('Be brief.')
      expect(JSON.stringify(sent[1])).not.toContain('Be brief.')

      // Retrieved as it was answered; its input items (this turn's) listed; deleted, then gone.
      const got = await client().responses.retrieve(third.id)
      expect(got).toMatchObject({ id: third.id, status: 'completed', previous_response_id: second.id, output: third.output })
      const items = await client().responses.inputItems.list(third.id)
      expect(items.data as unknown[]).toEqual([
        { type: 'message', role: 'user', content: 'three', id: expect.stringMatching(/^msg_[0-9a-f]{32}_in0$/) },
      ])
      const firstItems = await client().responses.inputItems.list(first.id, { order: 'asc' })
      expect(firstItems.data).toMatchObject([{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'one' }] }])
      expect(await client().responses.delete(third.id)).toEqual({ id: third.id, object: 'response', deleted: true } as never)
      const gone = await client()
        .responses.retrieve(third.id)
        .catch((e: unknown) => e)
      expect(gone).toBeInstanceOf(OpenAI.NotFoundError)
      expect((gone as Error).message).toContain(third.id)
      const after = await client()
        .responses.create({ model: kind.model, input: 'four', previous_response_id: third.id })
        .catch((e: unknown) => e)
      expect(after).toBeInstanceOf(OpenAI.BadRequestError)
      expect(after).toMatchObject({ status: 400, code: 'previous_response_not_found' })
      expect((after as Error).message).toContain(third.id)
      expect(kind.up().received).toHaveLength(3)
    })

    test('a tool loop on server-side state (as the Agents SDK runs it): the call comes back, its output goes with previous_response_id alone', async () => {
      const tools = [{ type: 'function' as const, name: 'get_weather', parameters: { type: 'object', properties: {} }, strict: false }]
      const first = await client().responses.create({ model: kind.model, input: 'Weather in Paris?', tools })
      const call = first.output.find((i) => i.type === 'function_call')
      if (call?.type !== 'function_call') throw new Error('no call')
      const second = await client().responses.create({
        model: kind.model,
        tools,
        previous_response_id: first.id,
        input: [{ type: 'function_call_output', call_id: call.call_id, output: '18C and sunny' }],
      })
      expect(second.output_text).toBe('It is sunny.')
      // The upstream got the question, the call and its result, in that order.
      const sent = JSON.stringify(kind.up().received[1].body)
      const at = ['Weather in Paris?', 'get_weather', '18C and sunny'].map((s) => sent.indexOf(s))
      expect(at.every((i, n) => i >= 0 && (n === 0 || i > at[n - 1]))).toBe(true)
    })

    test('streamed: the chain goes on from a streamed response; response.created already says it is stored', async () => {
      const created: unknown[] = []
      const stream = client().responses.stream({ model: kind.model, input: 'one' })
      stream.on('response.created', (e) => created.push(e.response))
      const first = await stream.finalResponse()
      expect(created).toEqual([expect.objectContaining({ id: first.id, store: true, previous_response_id: null })])
      const second = client().responses.stream({ model: kind.model, input: 'two', previous_response_id: first.id })
      expect((await second.finalResponse()).output_text).toBe('heard: two')
      expect(conversation(kind.up().received[1].body)).toEqual(THREE_TURNS.slice(0, 3))
      expect((await client().responses.retrieve(first.id)).output_text).toBe('heard: one')
    })

    test('store: false keeps nothing: the response says so, and neither it nor its items can be named later', async () => {
      const res = await client().responses.create({ model: kind.model, input: 'one', store: false })
      expect(res).toMatchObject({ store: false, output_text: 'heard: one' })
      const gone = await client()
        .responses.retrieve(res.id)
        .catch((e: unknown) => e)
      expect(gone).toBeInstanceOf(OpenAI.NotFoundError)
      const chained = await client()
        .responses.create({ model: kind.model, input: 'two', previous_response_id: res.id })
        .catch((e: unknown) => e)
      expect(chained).toMatchObject({ status: 400, code: 'previous_response_not_found' })
      const item = res.output[0].id!
      const referenced = await client()
        .responses.create({ model: kind.model, input: [{ type: 'item_reference', id: item }] })
        .catch((e: unknown) => e)
      expect(referenced).toMatchObject({ status: 400, code: 'item_not_found' })
      expect((referenced as Error).message).toContain(item)
      expect(kind.up().received).toHaveLength(1)
    })
  })
}

describe('bounds', () => {
  test('LMLB_RESPONSES_KEPT=2: the third response pushes the first out; a chain through it is refused naming it', async () => {
    const model = 'chatonly/gpt-test'
    const first = await client(small).responses.create({ model, input: 'one' })
    const second = await client(small).responses.create({ model, input: 'two', previous_response_id: first.id })
    await client(small).responses.create({ model, input: 'other' })
    const broken = await client(small)
      .responses.create({ model, input: 'three', previous_response_id: second.id })
      .catch((e: unknown) => e)
    expect(broken).toMatchObject({ status: 400, code: 'previous_response_not_found' })
    expect((broken as Error).message).toContain(`response ${first.id}, earlier in the chain of ${second.id}`)
    expect((await client(small).responses.retrieve(second.id)).output_text).toBe('heard: two')
    expect(chat.received).toHaveLength(3)
  })

  test('an id of lmlb form never kept: 404 on GET, 400 previous_response_not_found on a chain; input_items paging refused when malformed', async () => {
    const id = `resp_${'a'.repeat(32)}`
    const got = await fetch(`${lmlb.url}/v1/responses/${id}`)
    expect(got.status).toBe(404)
    expect(await got.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'response_not_found' } })
    const kept = await client().responses.create({ model: 'chatonly/gpt-test', input: 'one' })
    const bad = await fetch(`${lmlb.url}/v1/responses/${kept.id}/input_items?limit=500`)
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('limit')
  })
})
