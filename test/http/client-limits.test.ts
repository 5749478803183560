/**
 * Limits per client key (the config file's proxy_api_keys entries): rpm,
 * tpm, max_concurrent and models. Over a limit: 429 in the inbound API's
 * shape with Retry-After and OpenAI's rate-limit headers for the client's
 * own budget, and nothing upstream; a model not allowed: 403.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { chat } from '../helpers/requests'
import { openaiCompletion } from '../helpers/canned'
import { startUpstream, type FakeUpstream } from '../helpers/upstream'

let up: FakeUpstream
let lmlb: RunningLmlb
let release: () => void = () => {}
let holding: () => void = () => {}

beforeAll(async () => {
  // Answers at once (usage 5 + 3 tokens), except a request saying "hold": it waits for release().
  up = startUpstream('up', (r) => {
    if (r.body.messages.at(-1).content !== 'hold') return openaiCompletion(r.body.model, 'ok')
    holding()
    return new Promise((resolve) => (release = () => resolve(openaiCompletion(r.body.model, 'held'))))
  })
  const yaml = `proxy_api_keys:
  - { value: team-rpm-key-0001, rpm: 3 }
  - { value: team-one-key-0001, max_concurrent: 1 }
  - { value: team-tpm-key-0001, tpm: 10 }
  - { value: team-mock-key-001, models: [mock/echo] }
  - open-team-key-0001
`
  lmlb = await startLmlb({
    args: ['--config', 'lmlb.yaml'],
    files: { 'lmlb.yaml': yaml },
    env: { OPENAI_API_KEYS: 'sk-limits-upstream-0001', SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }) },
  })
})

afterAll(async () => {
  await lmlb.stop()
  await up.stop()
})

test('rpm: 3 at once, the 4th refused with the client budget in OpenAI header names; another key unaffected', async () => {
  const statuses = await Promise.all([1, 2, 3].map(() => chat(lmlb.url, 'mock/echo', { key: 'team-rpm-key-0001' }).then((r) => r.status)))
  expect(statuses).toEqual([200, 200, 200])
  const refused = await chat(lmlb.url, 'mock/echo', { key: 'team-rpm-key-0001' })
  expect(refused.status).toBe(429)
  expect(await refused.json()).toMatchObject({
    error: { code: 'rate_limit_exceeded', type: 'rate_limit_error', message: expect.stringContaining('3 requests a minute') },
  })
  expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(59)
  expect([
    refused.headers.get('x-ratelimit-limit-requests'),
    refused.headers.get('x-ratelimit-remaining-requests'),
    refused.headers.get('x-ratelimit-reset-requests'),
  ]).toEqual(['3', '0', expect.stringMatching(/^(59|60)s$/)])
  // The Anthropic API says it in its own shape.
  const anthropic = await fetch(`${lmlb.url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': 'team-rpm-key-0001' },
    body: JSON.stringify({ model: 'mock/echo', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
  })
  expect([anthropic.status, (await anthropic.json()).error.type]).toEqual([429, 'rate_limit_error'])
  expect((await chat(lmlb.url, 'mock/echo', { key: 'open-team-key-0001' })).status).toBe(200)
})

test('max_concurrent: 1 under way, a second refused until it ends; the refused one never reaches the upstream', async () => {
  up.reset()
  const arrived = new Promise<void>((resolve) => (holding = resolve))
  const held = chat(lmlb.url, 'gpt-4o', { content: 'hold', key: 'team-one-key-0001' })
  await arrived
  const second = await chat(lmlb.url, 'gpt-4o', { key: 'team-one-key-0001' })
  expect([second.status, (await second.json()).error.code]).toEqual([429, 'concurrency_limit_exceeded'])
  expect(up.received).toHaveLength(1)
  release()
  expect((await held).status).toBe(200)
  expect((await chat(lmlb.url, 'gpt-4o', { key: 'team-one-key-0001' })).status).toBe(200)
})

test('tpm: tokens charged when each answer ends (5 + 3 a call); past 10, refused with the token headers', async () => {
  expect((await chat(lmlb.url, 'gpt-4o', { key: 'team-tpm-key-0001' })).status).toBe(200)
  expect((await chat(lmlb.url, 'gpt-4o', { key: 'team-tpm-key-0001' })).status).toBe(200)
  const refused = await chat(lmlb.url, 'gpt-4o', { key: 'team-tpm-key-0001' })
  expect([refused.status, (await refused.json()).error.code]).toEqual([429, 'token_limit_exceeded'])
  expect([refused.headers.get('x-ratelimit-limit-tokens'), refused.headers.get('x-ratelimit-remaining-tokens')]).toEqual(['10', '0'])
})

test('models: another model is 403 in the API’s shape', async () => {
  expect((await chat(lmlb.url, 'mock/echo', { key: 'team-mock-key-001' })).status).toBe(200)
  const refused = await chat(lmlb.url, 'gpt-4o', { key: 'team-mock-key-001' })
  expect([refused.status, (await refused.json()).error]).toEqual([
    403,
    expect.objectContaining({ code: 'model_not_allowed', type: 'permission_error' }),
  ])
})
