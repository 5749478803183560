/**
 * Anthropic as data: the rate-limit header names upstream/rate-limits.ts
 * reads (four limits, each limit/remaining/reset), its key header and the
 * API version a call needs when the client sent none.
 */
import { describe, expect, test } from 'bun:test'
import { ANTHROPIC_RATE_LIMITS, anthropic } from '../../src/providers/anthropic'
import { readRateLimits } from '../../src/upstream/rate-limits'

const NOW = Date.parse('2026-03-01T00:00:00Z')

describe('ANTHROPIC_RATE_LIMITS', () => {
  test('requests, tokens, input and output tokens: each with limit, remaining and reset, as Anthropic names them', () => {
    const parts = { requests: 'requests', tokens: 'tokens', inputTokens: 'input-tokens', outputTokens: 'output-tokens' }
    expect(Object.keys(ANTHROPIC_RATE_LIMITS).sort()).toEqual(Object.keys(parts).sort())
    for (const [key, what] of Object.entries(parts)) {
      expect(ANTHROPIC_RATE_LIMITS[key as keyof typeof parts]).toEqual({
        limit: `anthropic-ratelimit-${what}-limit`,
        remaining: `anthropic-ratelimit-${what}-remaining`,
        reset: `anthropic-ratelimit-${what}-reset`,
      })
    }
  })

  test('headers named by the table are what the reader reads: RFC 3339 resets, the tighter of tokens and input tokens', () => {
    const { requests, tokens, inputTokens, outputTokens } = ANTHROPIC_RATE_LIMITS
    const inAMinute = new Date(NOW + 60_000).toISOString()
    const headers = new Headers({
      [requests.limit]: '50',
      [requests.remaining]: '10',
      [requests.reset]: inAMinute,
      [tokens.limit]: '100000',
      [tokens.remaining]: '90000',
      [tokens.reset]: inAMinute,
      [inputTokens.limit]: '80000',
      [inputTokens.remaining]: '500',
      [inputTokens.reset]: inAMinute,
      [outputTokens.remaining]: '7000',
      [outputTokens.reset]: inAMinute,
    })
    expect(readRateLimits(headers, NOW)).toEqual({
      requests: { limit: 50, remaining: 10, resetAt: NOW + 60_000 },
      tokens: { limit: 80_000, remaining: 500, resetAt: NOW + 60_000 },
      outputTokens: { remaining: 7000, resetAt: NOW + 60_000 },
    })
  })
})

test('anthropic: Messages only, the key in x-api-key, an anthropic-version by default and passed on when the client sends one', () => {
  expect(anthropic.apis).toEqual(['messages'])
  expect(anthropic.auth).toEqual({ header: 'x-api-key', prefix: '' })
  expect(anthropic.defaults).toEqual({ 'anthropic-version': '2023-06-01' })
  expect(anthropic.forwarded).toEqual(expect.arrayContaining(['anthropic-version', 'anthropic-beta']))
  expect(anthropic.forwarded).not.toContain('x-api-key')
  expect(anthropic.family!.test('claude-sonnet-4-5')).toBe(true)
  expect(anthropic.family!.test('my-claude-clone')).toBe(false)
})
