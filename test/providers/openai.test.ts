/**
 * OpenAI as data: the rate-limit header names upstream/rate-limits.ts
 * reads (a misspelt name is a quota never seen), the headers passed on, and
 * the model names its built-in service claims.
 */
import { describe, expect, test } from 'bun:test'
import { BEARER, OPENAI_FORWARDED, OPENAI_RATE_LIMITS, openai } from '../../src/providers/openai'
import { readRateLimits } from '../../src/upstream/rate-limits'

const NOW = 1_800_000_000_000

describe('OPENAI_RATE_LIMITS', () => {
  test('requests and tokens, each with its limit, remaining and reset header, as OpenAI names them', () => {
    expect(OPENAI_RATE_LIMITS).toEqual({
      requests: { limit: 'x-ratelimit-limit-requests', remaining: 'x-ratelimit-remaining-requests', reset: 'x-ratelimit-reset-requests' },
      tokens: { limit: 'x-ratelimit-limit-tokens', remaining: 'x-ratelimit-remaining-tokens', reset: 'x-ratelimit-reset-tokens' },
    })
  })

  test('headers named by the table are what the reader reads: limit, remaining and a duration reset', () => {
    const { requests, tokens } = OPENAI_RATE_LIMITS
    const headers = new Headers({
      [requests.limit]: '500',
      [requests.remaining]: '499',
      [requests.reset]: '120ms',
      [tokens.limit]: '30000',
      [tokens.remaining]: '29000',
      [tokens.reset]: '6m0s',
    })
    expect(readRateLimits(headers, NOW)).toEqual({
      requests: { limit: 500, remaining: 499, resetAt: NOW + 120 },
      tokens: { limit: 30_000, remaining: 29_000, resetAt: NOW + 360_000 },
    })
  })
})

describe('openai', () => {
  test('a bearer key; the client headers passed on name the call, never its credentials', () => {
    expect(openai.auth).toBe(BEARER)
    expect(BEARER).toEqual({ header: 'authorization', prefix: 'Bearer ' })
    const forwarded: readonly string[] = OPENAI_FORWARDED
    expect(forwarded).toContain('openai-beta')
    expect(forwarded).toContain('idempotency-key')
    for (const h of forwarded) expect(h).toBe(h.toLowerCase())
    for (const credential of ['authorization', 'x-api-key', 'cookie']) expect(forwarded).not.toContain(credential)
  })

  test('its family: chat, reasoning, embedding, moderation, audio and image models; not other vendors’', () => {
    for (const m of [
      'gpt-4o',
      'o1-mini',
      'o3',
      'o4-mini',
      'chatgpt-4o-latest',
      'text-embedding-3-large',
      'omni-moderation-latest',
      'whisper-1',
      'tts-1',
      'dall-e-3',
    ])
      expect(openai.family!.test(m)).toBe(true)
    for (const m of ['claude-3-5-haiku', 'gemini-2.5-pro', 'llama-3-gpt-', 'mistral-large', 'o2-model'])
      expect(openai.family!.test(m)).toBe(false)
  })

  test('Chat Completions and Responses, at /v1', () => {
    expect(openai.apis).toEqual(['chat', 'responses'])
    expect(openai.baseUrl).toBe('https://api.openai.com/v1')
  })
})
