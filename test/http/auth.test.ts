/** PROXY_API_KEYS: who may spend the keys, and what stays open. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { runLmlb, startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { chat } from '../helpers/requests'

const PROXY_KEYS = ['lmlb-client-key-one-1111', 'lmlb-client-key-two-2222']
let lmlb: RunningLmlb
beforeAll(async () => {
  lmlb = await startLmlb({ env: { PROXY_API_KEYS: PROXY_KEYS.join(',') } })
})
afterAll(() => lmlb.stop())

const mockChat = (headers: Record<string, string>) => chat(lmlb.url, 'mock/echo', { content: 'x', headers })

describe('client auth', () => {
  test('a proxy key in x-api-key or Authorization: Bearer is accepted', async () => {
    expect((await mockChat({ 'x-api-key': PROXY_KEYS[0] })).status).toBe(200)
    expect((await mockChat({ authorization: `Bearer ${PROXY_KEYS[1]}` })).status).toBe(200)
  })

  test('a missing or wrong key gets 401 in the inbound API shape', async () => {
    const none = await mockChat({})
    expect(none.status).toBe(401)
    expect((await none.json()).error).toMatchObject({ type: 'authentication_error', code: 'invalid_proxy_key' })
    const wrong = await fetch(`${lmlb.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': `${PROXY_KEYS[0]}x` },
      body: JSON.stringify({ model: 'mock/echo', max_tokens: 5, messages: [] }),
    })
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toMatchObject({ type: 'error', error: { type: 'authentication_error' } })
  })

  test('the official SDKs authenticate with their usual key setting', async () => {
    const openai = new OpenAI({ baseURL: `${lmlb.url}/v1`, apiKey: PROXY_KEYS[0], maxRetries: 0 })
    expect(
      (await openai.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'a' }] })).choices[0].message.content,
    ).toBe('You said: a')
    const anthropic = new Anthropic({ baseURL: lmlb.url, apiKey: PROXY_KEYS[1], maxRetries: 0 })
    expect(
      (await anthropic.messages.create({ model: 'mock/echo', max_tokens: 5, messages: [{ role: 'user', content: 'b' }] })).content[0],
    ).toMatchObject({ text: 'You said: b' })
    const stranger = new OpenAI({ baseURL: `${lmlb.url}/v1`, apiKey: 'nope', maxRetries: 0 })
    const refused = await stranger.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'a' }] }).then(
      () => 'served',
      (error: { status: number }) => error.status,
    )
    expect(refused).toBe(401)
  })

  test('only /health (status alone) and HEAD / stay open', async () => {
    const open = await fetch(`${lmlb.url}/health`)
    expect(open.status).toBe(200)
    expect(await open.json()).toEqual({ status: 'healthy' })
    const full = await fetch(`${lmlb.url}/health`, { headers: { 'x-api-key': PROXY_KEYS[0] } })
    expect((await full.json()).load_balancer).toBeDefined()
    expect((await fetch(`${lmlb.url}/`, { method: 'HEAD' })).status).toBe(200)
    for (const path of ['/', '/stats', '/metrics', '/admin/reload']) {
      const res = await fetch(`${lmlb.url}${path}`)
      expect([path, res.status]).toEqual([path, 401])
    }
    expect((await fetch(`${lmlb.url}/stats`, { headers: { authorization: `Bearer ${PROXY_KEYS[0]}` } })).status).toBe(200)
  })

  test('proxy keys never appear in logs or --check output', async () => {
    for (const key of PROXY_KEYS) expect(lmlb.log()).not.toContain(key)
    const { stdout } = await runLmlb({ args: ['--check'], env: { PROXY_API_KEYS: PROXY_KEYS.join(',') } })
    expect(stdout).toContain('client auth: 2 proxy key(s)')
    for (const key of PROXY_KEYS) expect(stdout).not.toContain(key)
  })

  test('unset and bound beyond loopback: a warning at start-up', async () => {
    const open = await startLmlb({ args: ['--host', '0.0.0.0'] })
    try {
      expect(open.log()).toContain('with no PROXY_API_KEYS')
    } finally {
      await open.stop()
    }
  })

  test('a proxy key under 12 characters: a warning at start-up (masking it would change ordinary text), and the key is not in it', async () => {
    const short = await startLmlb({ env: { PROXY_API_KEYS: 'tiny-key' } })
    try {
      expect(short.log()).toContain('PROXY_API_KEYS: a key shorter than 12 characters')
      expect(short.log()).not.toContain('tiny-key')
    } finally {
      await short.stop()
    }
  })
})
