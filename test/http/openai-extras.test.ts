/**
 * OpenAI's other stateless endpoints through lmlb with the same pools:
 * embeddings, moderations, legacy completions, images, speech, and the
 * multipart audio uploads, whose model is a form field.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import OpenAI, { toFile } from 'openai'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { post } from '../helpers/requests'
import { startUpstream, type FakeUpstream, type Received } from '../helpers/upstream'

const KEYS = ['sk-extras-key-aaaa1111', 'sk-extras-key-bbbb2222']
const AUDIO = new Uint8Array([0x49, 0x44, 0x33, 0xff, 0xfe, 0x00, 0x0d, 0x0a, 0x2d, 0x2d, 0x80, 0x81])

/** The stand-in: each endpoint's minimal answer, naming the model it got. */
function reply(r: Received): Response {
  const usage = { prompt_tokens: 3, total_tokens: 3 }
  switch (r.path) {
    case '/v1/embeddings':
      return Response.json({ object: 'list', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }], model: r.body.model, usage })
    case '/v1/moderations':
      return Response.json({ id: 'modr-1', model: r.body.model, results: [{ flagged: false }] })
    case '/v1/completions':
      return Response.json({
        id: 'cmpl-1',
        object: 'text_completion',
        model: r.body.model,
        choices: [{ index: 0, text: 'done', finish_reason: 'stop' }],
      })
    case '/v1/images/generations':
      return Response.json({ created: 1, data: [{ b64_json: 'aGk=' }] })
    case '/v1/audio/speech':
      return new Response(AUDIO, { headers: { 'content-type': 'audio/mpeg' } })
    case '/v1/audio/transcriptions':
    case '/v1/audio/translations':
      return Response.json({ text: 'transcribed' })
  }
  return Response.json({ error: { message: `no route ${r.path}` } }, { status: 404 })
}

let ups: FakeUpstream[]
let lmlb: RunningLmlb

beforeAll(async () => {
  ups = ['oai-a', 'oai-b'].map((n) => startUpstream(n, reply))
  lmlb = await startLmlb({
    env: {
      OPENAI_API_KEYS: KEYS.join(','),
      ANTHROPIC_API_KEYS: 'sk-ant-extras-0001',
      SERVICE_ENDPOINTS: JSON.stringify({ openai: ups.map((u) => u.base) }),
    },
  })
})

afterAll(async () => {
  await lmlb.stop()
  await Promise.all(ups.map((u) => u.stop()))
})

beforeEach(() => {
  for (const u of ups) u.reset()
})

const client = () => new OpenAI({ baseURL: `${lmlb.url}/v1`, apiKey: 'client', maxRetries: 0 })
const received = () => ups.flatMap((u) => u.received)
const keysSeen = () => received().map((r) => r.headers.authorization)

describe('JSON endpoints', () => {
  test('embeddings.create over two keys and two endpoints: round-robin, counted at the upstreams; tokens in /stats', async () => {
    for (let i = 0; i < 4; i++) {
      const res = await client().embeddings.create({ model: 'text-embedding-3-small', input: `text ${i}` })
      expect(res.data[0].embedding).toEqual([0.1, 0.2])
    }
    expect(ups.map((u) => u.received.length)).toEqual([2, 2])
    expect(keysSeen().sort()).toEqual([...KEYS, ...KEYS].map((k) => `Bearer ${k}`).sort())
    expect(received().every((r) => r.path === '/v1/embeddings' && r.body.model === 'text-embedding-3-small')).toBe(true)
  })

  test('a service/ prefix is taken off the model, the rest byte for byte', async () => {
    const res = await post(lmlb.url, '/v1/embeddings', { model: 'openai/text-embedding-3-large', input: 'x', dimensions: 8 })
    expect(res.status).toBe(200)
    expect(received()[0].raw).toBe('{"model":"text-embedding-3-large","input":"x","dimensions":8}')
  })

  test('moderations with no model go to openai, which picks its own default', async () => {
    const res = await client().moderations.create({ input: 'hello' })
    expect(res.results[0].flagged).toBe(false)
    expect(received()[0].path).toBe('/v1/moderations')
  })

  test('legacy completions and image generation', async () => {
    const done = await client().completions.create({ model: 'gpt-3.5-turbo-instruct', prompt: 'Say done' })
    expect(done.choices[0].text).toBe('done')
    const image = await client().images.generate({ model: 'gpt-image-1', prompt: 'a cat' })
    expect(image.data?.[0].b64_json).toBe('aGk=')
    expect(received().map((r) => r.path)).toEqual(['/v1/completions', '/v1/images/generations'])
  })

  test('speech: the binary answer comes back byte for byte', async () => {
    const res = await client().audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'hi' })
    expect(res.headers.get('content-type')).toBe('audio/mpeg')
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(AUDIO)
  })

  test('an Anthropic model on an OpenAI-only endpoint, and the mock: 400 naming why', async () => {
    const ant = await post(lmlb.url, '/v1/embeddings', { model: 'anthropic/claude-x', input: 'x' })
    expect([ant.status, (await ant.json()).error.code]).toEqual([400, 'unsupported_endpoint'])
    const mock = await post(lmlb.url, '/v1/embeddings', { model: 'mock/echo', input: 'x' })
    expect([mock.status, (await mock.json()).error.code]).toEqual([400, 'unsupported_endpoint'])
    expect(received()).toEqual([])
  })
})

describe('multipart uploads (audio)', () => {
  test('transcriptions over two keys: the upload reaches the upstream intact, its boundary kept', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await client().audio.transcriptions.create({
        model: 'whisper-1',
        file: await toFile(AUDIO, 'a.mp3', { type: 'audio/mpeg' }),
      })
      expect(res.text).toBe('transcribed')
    }
    expect(ups.map((u) => u.received.length)).toEqual([1, 1])
    expect(keysSeen().sort()).toEqual(KEYS.map((k) => `Bearer ${k}`).sort())
    for (const r of received()) expect(r.headers['content-type']).toStartWith('multipart/form-data; boundary=')
  })

  test('a service/ prefix rewrites the model form field; the file bytes are untouched', async () => {
    const form = new FormData()
    form.set('file', new File([AUDIO], 'a.mp3', { type: 'audio/mpeg' }))
    form.set('model', 'openai/whisper-1')
    form.set('language', 'en')
    const res = await fetch(`${lmlb.url}/v1/audio/translations`, { method: 'POST', body: form })
    expect(res.status).toBe(200)
    const [r] = received()
    const parsed = await new Request('http://x', {
      method: 'POST',
      headers: { 'content-type': r.headers['content-type'] },
      body: r.bytes as Uint8Array<ArrayBuffer>,
    }).formData()
    expect(parsed.get('model')).toBe('whisper-1')
    expect(parsed.get('language')).toBe('en')
    expect(new Uint8Array(await (parsed.get('file') as File).arrayBuffer())).toEqual(AUDIO)
  })

  test('no model field: 400; not multipart: 415; nothing sent upstream', async () => {
    const form = new FormData()
    form.set('file', new File([AUDIO], 'a.mp3'))
    const none = await fetch(`${lmlb.url}/v1/audio/transcriptions`, { method: 'POST', body: form })
    expect([none.status, (await none.json()).error.message]).toEqual([400, 'model: the form has no model field'])
    const json = await post(lmlb.url, '/v1/audio/transcriptions', { model: 'whisper-1' })
    expect(json.status).toBe(415)
    expect(received()).toEqual([])
  })
})
