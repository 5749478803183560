/**
 * The Responses API's kept responses across processes, over HTTP, with
 * lmlb running as processes of its own:
 * - two instances sharing a real Redis (Debian's `redis-server` on a free
 *   127.0.0.1 port; those tests skip without it) in front of a
 *   Chat-Completions-only stand-in: a `previous_response_id` chain made
 *   through the official `openai` SDK goes on whichever instance a turn
 *   reaches, and retrieve, input_items and delete answer on either;
 * - the same two instances in front of a stand-in that speaks the Responses
 *   API itself with two keys: a turn continuing an upstream's response goes
 *   to the key that made it, whichever instance it reaches, and so does
 *   `GET /v1/responses/{id}`;
 * - `--workers 2` without Redis: a chain whose every turn comes on a new
 *   connection goes on whichever worker takes it.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import OpenAI from 'openai'
import { openaiCompletion, responsesObject, responsesStreamEvents } from '../helpers/canned'
import { startLmlb, UNDER_DENO, type RunningLmlb } from '../helpers/lmlb'
import { freePort, REDIS_SERVER, startRedisServer, type RedisServer } from '../helpers/redis'
import { sseResponse } from '../helpers/requests'
import { startUpstream, type FakeUpstream, type Received } from '../helpers/upstream'

if (!REDIS_SERVER)
  console.warn('shared-redis-responses.test.ts: Redis tests skipped, no redis-server (Debian: apt-get install redis-server)')
const withRedis = test.skipIf(!REDIS_SERVER)
// Workers are Bun's (runtime/bun.ts spawns them); on Deno, --workers is refused.
const withWorkers = test.skipIf(UNDER_DENO)

const CHAT_MODEL = 'chatonly/gpt-test'
const CHAT_ONLY = (up: FakeUpstream) => `services:\n  chatonly:\n    endpoints: ["${up.base}"]\n    keys: [sk-chat-only-kept-0001]\n`
const KEYS = ['sk-responses-kept-aaaa01', 'sk-responses-kept-bbbb02']

let port: number
let redis: RedisServer | undefined
const running: { stop(): Promise<void> }[] = []

beforeAll(async () => {
  if (!REDIS_SERVER) return
  port = await freePort()
  redis = await startRedisServer(port)
})

afterAll(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()))
  await redis?.stop()
})

// -- Stand-ins

/** A message's text, whether its content is a string or a list of parts. */
const textOf = (content: string | { text?: string }[]) =>
  typeof content === 'string' ? content : content.map((part) => part.text ?? '').join('')

/** A Chat Completions request's conversation, one `role: text` a message. */
const conversation = (r: Received) => (r.body.messages as { role: string; content: any }[]).map((m) => `${m.role}: ${textOf(m.content)}`)

/** A Chat-Completions-only upstream: it answers `answer to <the last user text>`. */
function chatOnlyUpstream(): FakeUpstream {
  const up = startUpstream('chat-only', ({ path, body }) => {
    if (!path.endsWith('/chat/completions')) return Response.json({ error: { message: `no route ${path}` } }, { status: 404 })
    const last = body.messages.findLast((m: { role: string }) => m.role === 'user')
    return openaiCompletion(body.model, `answer to ${textOf(last.content)}`)
  })
  running.push(up)
  return up
}

const notFound = (message: string, code: string, status: number) =>
  Response.json({ error: { message, type: 'invalid_request_error', param: null, code } }, { status })

/**
 * An upstream speaking the Responses API, as OpenAI does: each response it
 * makes (`resp_up_<n>`) is known only to the key that made it; a
 * `previous_response_id` or a GET with another key is not found.
 */
function responsesUpstream(): FakeUpstream {
  const made = new Map<string, { key: string; response: object }>()
  const up = startUpstream('responses', ({ method, path, headers, body }) => {
    const key = headers.authorization
    const id = /^\/v1\/responses\/([^/]+)$/.exec(path)?.[1]
    if (method === 'GET' && id !== undefined) {
      const found = made.get(id)
      return found?.key === key ? Response.json(found.response) : notFound(`Response with id '${id}' not found.`, 'not_found', 404)
    }
    if (method !== 'POST' || path !== '/v1/responses') return notFound(`no route ${path}`, 'not_found', 404)
    const previous = body.previous_response_id
    if (previous !== undefined && made.get(previous)?.key !== key)
      return notFound(`Previous response with id '${previous}' not found.`, 'previous_response_not_found', 400)
    // The key named by its place (lmlb hides a key's value in what it passes back).
    const text = `made with key ${KEYS.findIndex((k) => `Bearer ${k}` === key)}`
    const response = { ...responsesObject(body.model, text), id: `resp_up_${made.size + 1}`, previous_response_id: previous ?? null }
    made.set(response.id, { key, response })
    if (!body.stream) return Response.json(response)
    return sseResponse(responsesStreamEvents(body.model, [text]).join('').replaceAll('"resp_test"', `"${response.id}"`))
  })
  running.push(up)
  return up
}

// -- lmlb

/** One instance sharing the test's Redis under `prefix`, once it says Redis is connected. */
async function sharingInstance(prefix: string, env: Record<string, string>, files: Record<string, string> = {}): Promise<RunningLmlb> {
  const lmlb = await startLmlb({
    process: true,
    env: { ...env, LMLB_REDIS_URL: `redis://127.0.0.1:${port}`, LMLB_REDIS_PREFIX: prefix },
    args: Object.keys(files).length ? ['--config', 'lmlb.yaml'] : [],
    files,
  })
  running.push(lmlb)
  await lmlb.waitForLog(`shared state: Redis at 127.0.0.1:${port} connected`)
  return lmlb
}

const sdk = (lmlb: RunningLmlb) => new OpenAI({ baseURL: `${lmlb.url}/v1`, apiKey: 'x', maxRetries: 0 })

/** What the SDK threw (its status and error body), or a failure if it did not throw. */
async function refusal(call: Promise<unknown>): Promise<{ status?: number; code?: string | null; message: string }> {
  try {
    await call
  } catch (error) {
    if (error instanceof OpenAI.APIError) return { status: error.status, code: error.code, message: error.message }
    throw error
  }
  throw new Error('expected the call to be refused, it succeeded')
}

/** One Responses request on a connection of its own (so several processes on a port may each take one): status and body. */
async function respond(lmlb: RunningLmlb, body: object): Promise<{ status: number; body: any }> {
  const res = await fetch(`${lmlb.url}/v1/responses`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', connection: 'close' },
    body: JSON.stringify(body),
  })
  const text = await res.text()
  try {
    return { status: res.status, body: JSON.parse(text) }
  } catch {
    return { status: res.status, body: text }
  }
}

/** The output text of a streamed Responses answer (its `response.output_text.delta` events), and the response id it gave. */
function streamedText(sse: string): { id: string; text: string } {
  const events = sse
    .split('\n')
    .filter((line) => line.startsWith('data: '))
    .map((line) => JSON.parse(line.slice('data: '.length)))
  const created = events.find((e) => e.type === 'response.created')
  const text = events
    .filter((e) => e.type === 'response.output_text.delta')
    .map((e) => e.delta)
    .join('')
  return { id: created?.response?.id, text }
}

// -- Tests

withRedis(
  'a chain translated for a Chat-only service goes on across two instances sharing Redis; retrieve, input_items and delete on either',
  async () => {
    const up = chatOnlyUpstream()
    const files = { 'lmlb.yaml': CHAT_ONLY(up) }
    const [a, b] = [await sharingInstance('kept-chat', {}, files), await sharingInstance('kept-chat', {}, files)]
    const [onA, onB] = [sdk(a), sdk(b)]

    const r1 = await onA.responses.create({ model: CHAT_MODEL, input: 'turn one' })
    expect(r1.id).toMatch(/^resp_[0-9a-f]{32}$/)
    expect(r1.output_text).toBe('answer to turn one')
    const r2 = await onB.responses.create({ model: CHAT_MODEL, input: 'turn two', previous_response_id: r1.id })
    expect([r2.output_text, r2.previous_response_id]).toEqual(['answer to turn two', r1.id])
    const r3 = await onA.responses.create({ model: CHAT_MODEL, input: 'turn three', previous_response_id: r2.id })
    expect([r3.output_text, r3.previous_response_id]).toEqual(['answer to turn three', r2.id])

    // The upstream saw the whole conversation at each turn, in order.
    expect(up.received.map(conversation)).toEqual([
      ['user: turn one'],
      ['user: turn one', 'assistant: answer to turn one', 'user: turn two'],
      ['user: turn one', 'assistant: answer to turn one', 'user: turn two', 'assistant: answer to turn two', 'user: turn three'],
    ])

    // Made on A, retrieved on B; made on B, its input listed on A (only that turn's, not the chain's).
    const got = await onB.responses.retrieve(r3.id)
    expect([got.id, got.output, got.output_text]).toEqual([r3.id, r3.output, 'answer to turn three'])
    const items = await onA.responses.inputItems.list(r2.id)
    expect(items.data).toHaveLength(1)
    expect(items.data[0]).toMatchObject({ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'turn two' }] })

    // Deleted on B: gone on A too, for a GET and for a turn continuing it.
    await onB.responses.delete(r3.id)
    expect(await refusal(onA.responses.retrieve(r3.id))).toMatchObject({ status: 404, code: 'response_not_found' })
    const continued = await refusal(onA.responses.create({ model: CHAT_MODEL, input: 'turn four', previous_response_id: r3.id }))
    expect(continued).toMatchObject({ status: 400, code: 'previous_response_not_found' })
    expect(continued.message).toContain(r3.id)
    expect(up.received).toHaveLength(3)
    // The rest of the chain is still kept: r2 goes on from B.
    const r3b = await onB.responses.create({ model: CHAT_MODEL, input: 'turn three again', previous_response_id: r2.id })
    expect(r3b.output_text).toBe('answer to turn three again')
  },
  30_000,
)

withRedis(
  "passed through to a Responses upstream with two keys: a turn continuing an upstream's response goes to the key that made it, on either instance",
  async () => {
    const up = responsesUpstream()
    const env = { OPENAI_API_KEYS: KEYS.join(','), SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }) }
    const [a, b] = [await sharingInstance('kept-pass', env), await sharingInstance('kept-pass', env)]
    const keyOf = (n: number) => up.received[n].headers.authorization

    // Without a previous response, requests spread over both keys (else what follows could not fail).
    for (let n = 0; n < 2; n++) expect((await respond(a, { model: 'gpt-4o', input: 'spread' })).status).toBe(200)
    expect(new Set([keyOf(0), keyOf(1)])).toEqual(new Set(KEYS.map((k) => `Bearer ${k}`)))
    up.received.length = 0

    const first = await respond(a, { model: 'gpt-4o', input: 'turn 1' })
    expect(first.status).toBe(200)
    const maker = keyOf(0)
    let previous: string = first.body.id
    // Four more turns, on B then A alternately; the fourth streamed (its id read from `response.created`).
    for (let turn = 2; turn <= 5; turn++) {
      const lmlb = turn % 2 === 0 ? b : a
      const stream = turn === 4
      const answer = await respond(lmlb, { model: 'gpt-4o', input: `turn ${turn}`, previous_response_id: previous, stream })
      expect({ turn, status: answer.status }).toEqual({ turn, status: 200 })
      const made = stream ? streamedText(answer.body) : { id: answer.body.id, text: answer.body.output[0].content[0].text }
      expect({ turn, key: keyOf(turn - 1), previous: up.received[turn - 1].body.previous_response_id }).toEqual({
        turn,
        key: maker,
        previous,
      })
      expect(made).toEqual({ id: `resp_up_${turn + 2}`, text: `made with key ${KEYS.findIndex((k) => `Bearer ${k}` === maker)}` })
      previous = made.id
    }

    // Retrieved through B: sent to the key that made it (before: 501, with two keys).
    const got = await fetch(`${b.url}/v1/responses/${previous}`)
    expect(got.status).toBe(200)
    expect((await got.json()).id).toBe(previous)
    expect(up.received.at(-1)).toMatchObject({ method: 'GET', path: `/v1/responses/${previous}`, headers: { authorization: maker } })
  },
  30_000,
)

withWorkers(
  '--workers 2 without Redis: a chain whose every turn comes on a new connection goes on whichever worker takes it',
  async () => {
    const up = chatOnlyUpstream()
    const lmlb = await startLmlb({
      process: true,
      args: ['--workers', '2', '--config', 'lmlb.yaml'],
      files: { 'lmlb.yaml': CHAT_ONLY(up) },
    })
    running.push(lmlb)
    await lmlb.waitForLog('[worker 1] ready')

    // At least 8 turns, and on until both processes have taken one (the kernel spreads new connections; bounded).
    const workerOf: boolean[] = []
    let previous: string | undefined
    for (let turn = 1; turn <= 8 || (new Set(workerOf).size < 2 && turn <= 40); turn++) {
      const answer = await respond(lmlb, { model: CHAT_MODEL, input: `turn ${turn}`, ...(previous && { previous_response_id: previous }) })
      expect({ turn, status: answer.status, body: answer.status === 200 ? 'ok' : answer.body }).toEqual({ turn, status: 200, body: 'ok' })
      expect(answer.body.output_text ?? answer.body.output[0].content[0].text).toBe(`answer to turn ${turn}`)
      previous = answer.body.id
      // Which process answered: a worker's request lines carry `[worker 1]` (the primary's none).
      const line = ' POST /v1/responses chatonly/gpt-test'
      await lmlb.waitForLog(line, turn)
      workerOf.push(
        lmlb
          .log()
          .split('\n')
          .filter((l) => l.includes(line))
          .at(-1)!
          .includes('[worker 1]'),
      )
    }
    const turns = workerOf.length
    expect(new Set(workerOf)).toEqual(new Set([true, false]))

    // The last turn's upstream request holds every earlier turn, in order.
    const last = conversation(up.received.at(-1)!)
    const expected = Array.from({ length: turns }, (_, n) => [`user: turn ${n + 1}`, `assistant: answer to turn ${n + 1}`]).flat()
    expect(last).toEqual(expected.slice(0, -1))
  },
  30_000,
)
