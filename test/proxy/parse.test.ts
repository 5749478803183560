/**
 * The flow's first step (proxy/parse.ts): a body becomes what routing
 * reads (its model and whether it streams) with the client's text kept as
 * it came, or a 400 that says what is wrong with it; an upload yields only
 * its model field.
 */
import { expect, test } from 'bun:test'
import { endpointAt } from '../../src/apis/endpoints'
import { parse } from '../../src/proxy/parse'
import { MAX_JSON_DEPTH } from '../../src/util/json-depth'
import { refusal } from '../helpers/refusal'

const CHAT = endpointAt('/v1/chat/completions')!
const MESSAGES = endpointAt('/v1/messages')!

const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels)

test('a valid body: its model, its stream flag, and its text exactly as the client sent it', () => {
  const text = '{"model":"gpt-4.1",  "stream":true, "messages":[{"role":"user","content":"hé"}]}'
  const inbound = parse(CHAT, { text })
  expect(inbound.model).toBe('gpt-4.1')
  expect(inbound.stream).toBe(true)
  expect(inbound.text).toBe(text)
  expect(inbound.body.messages).toEqual([{ role: 'user', content: 'hé' }])
  // Only `stream: true` streams.
  expect(parse(CHAT, { text: '{"model":"m","messages":[{"role":"user"}],"stream":false}' }).stream).toBe(false)
})

test('an empty or blank body: 400 empty_body', () => {
  for (const text of ['', '  \n\t']) {
    const error = refusal(() => parse(CHAT, { text }))
    expect([error.status, error.code]).toEqual([400, 'empty_body'])
  }
})

test('text that is not JSON: 400 invalid_json quoting the parser', () => {
  const error = refusal(() => parse(CHAT, { text: '{"model": "gpt-4.1",' }))
  expect([error.status, error.code]).toEqual([400, 'invalid_json'])
  expect(error.message).toStartWith('request body is not valid JSON: ')
})

test(`nesting deeper than ${MAX_JSON_DEPTH} levels: 400 too_deeply_nested; at the limit it parses`, () => {
  const deep = `{"model":"m","messages":[{"role":"user"}],"x":${nested(MAX_JSON_DEPTH)}}`
  const error = refusal(() => parse(CHAT, { text: deep }))
  expect([error.status, error.code]).toEqual([400, 'too_deeply_nested'])
  expect(error.message).toContain(String(MAX_JSON_DEPTH))
  const atLimit = `{"model":"m","messages":[{"role":"user"}],"x":${nested(MAX_JSON_DEPTH - 1)}}`
  expect(parse(CHAT, { text: atLimit }).model).toBe('m')
})

test('a body its endpoint’s schema refuses: 400 invalid_request naming the field', () => {
  const noModel = refusal(() => parse(CHAT, { text: '{"messages":[]}' }))
  expect([noModel.status, noModel.code]).toEqual([400, 'invalid_request'])
  expect(noModel.message).toStartWith('model: ')
  const badTokens = refusal(() => parse(MESSAGES, { text: '{"model":"m","messages":[],"max_tokens":0}' }))
  expect(badTokens.message).toStartWith('max_tokens: ')
  const badRole = refusal(() => parse(MESSAGES, { text: '{"model":"m","max_tokens":5,"messages":[{"role":1,"content":"x"}]}' }))
  expect(badRole.message).toStartWith('messages[0].role: ')
  const notObject = refusal(() => parse(CHAT, { text: '[1,2]' }))
  expect(notObject.code).toBe('invalid_request')
})

test('an endpoint with a default model takes it when the client names none; others require one', () => {
  const moderation = parse(endpointAt('/v1/moderations')!, { text: '{"input":"is this fine?"}' })
  expect(moderation.model).toBe('omni-moderation-latest')
  expect(moderation.body.model).toBe('omni-moderation-latest')
  expect(refusal(() => parse(endpointAt('/v1/embeddings')!, { text: '{"input":"x"}' })).code).toBe('invalid_request')
})

async function upload(fields: Record<string, string>) {
  const form = new FormData()
  form.append('file', new Blob([new Uint8Array([0, 1, 2, 255])], { type: 'audio/wav' }), 'a.wav')
  for (const [name, value] of Object.entries(fields)) form.append(name, value)
  const request = new Request('http://localhost/', { method: 'POST', body: form })
  // Read before the body: Bun forgets the generated content type once the body is read.
  const contentType = request.headers.get('content-type')!
  return { upload: new Uint8Array(await request.arrayBuffer()), contentType }
}

test('an upload: its model field is read from the bytes, which are kept as they came', async () => {
  const raw = await upload({ model: 'whisper-1', language: 'fr' })
  const inbound = parse(endpointAt('/v1/audio/transcriptions')!, raw)
  expect(inbound.model).toBe('whisper-1')
  expect(inbound.upload!.bytes).toBe(raw.upload)
  const { start, end } = inbound.upload!.field
  expect(new TextDecoder().decode(raw.upload.subarray(start, end))).toBe('whisper-1')
  expect(inbound.text).toBe('')
  expect(inbound.stream).toBe(false)
})

test('an upload without a model field, or with an empty one: 400 naming the field', async () => {
  for (const fields of [{ language: 'fr' }, { model: '' }] as Record<string, string>[]) {
    const raw = await upload(fields)
    const error = refusal(() => parse(endpointAt('/v1/audio/transcriptions')!, raw))
    expect([error.status, error.message]).toEqual([400, 'model: the form has no model field'])
  }
})
