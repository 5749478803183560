/**
 * What one client key may spend. Over a limit the client gets a 429 it can
 * act on: its code, a Retry-After that is when the window lets it in again,
 * and its own budget in OpenAI's rate-limit header names; a model it may not
 * use is a 403. A refused request must not count against the budget.
 */
import { describe, expect, test } from 'bun:test'
import { ClientBudget, createBudgets, LIMIT_WINDOW_MS, limitRefusal, localAdmission } from '../../src/balancer/client-budgets'
import type { ClientLimits } from '../../src/config/schema'
import { ProxyError } from '../../src/errors'
import { refusal } from '../helpers/refusal'

const t0 = Date.parse('2026-01-01T00:00:00Z')

describe('ClientBudget', () => {
  test('rpm: the request over the limit is a 429 until the oldest leaves the window, with the request headers', () => {
    const budget = new ClientBudget({ key: 'k', rpm: 2 })
    budget.admit('m', t0)
    budget.admit('m', t0 + 10_000)
    const e = refusal(() => budget.admit('m', t0 + 20_000))
    expect([e.status, e.code]).toEqual([429, 'rate_limit_exceeded'])
    expect(e.message).toBe('this key may make 2 requests a minute; retry in 40 s')
    expect(e.headers).toEqual({
      'retry-after': '40',
      'x-ratelimit-limit-requests': '2',
      'x-ratelimit-remaining-requests': '0',
      'x-ratelimit-reset-requests': '40s',
    })
    expect(() => budget.admit('m', t0 + LIMIT_WINDOW_MS - 1)).toThrow(ProxyError)
    budget.admit('m', t0 + LIMIT_WINDOW_MS)
  })

  test('tpm: tokens are charged when a request ends; over budget, new requests wait until enough charges leave the window', () => {
    const budget = new ClientBudget({ key: 'k', tpm: 1000 })
    budget.admit('m', t0)
    budget.release(600, t0)
    budget.admit('m', t0 + 10_000)
    budget.release(500, t0 + 10_000)
    const e = refusal(() => budget.admit('m', t0 + 20_000))
    expect([e.status, e.code]).toEqual([429, 'token_limit_exceeded'])
    expect(e.headers).toEqual({
      'retry-after': '40',
      'x-ratelimit-limit-tokens': '1000',
      'x-ratelimit-remaining-tokens': '0',
      'x-ratelimit-reset-tokens': '40s',
    })
    // The first charge (600) gone, 500 is under budget.
    budget.admit('m', t0 + LIMIT_WINDOW_MS)
  })

  test('max_concurrent: one more than allowed waits a second; a release lets the next in', () => {
    const budget = new ClientBudget({ key: 'k', maxConcurrent: 1 })
    budget.admit('m', t0)
    const e = refusal(() => budget.admit('m', t0))
    expect([e.status, e.code, e.headers['retry-after']]).toEqual([429, 'concurrency_limit_exceeded', '1'])
    expect(e.message).toStartWith('this key may have 1 requests under way at once')
    budget.release(0, t0)
    budget.admit('m', t0)
  })

  test('models: another model is a 403 naming the allowed ones, checked before any limit and not counted', () => {
    const budget = new ClientBudget({ key: 'k', rpm: 1, models: ['gpt-4o', 'gpt-4o-mini'] })
    const e = refusal(() => budget.admit('o3', t0))
    expect([e.status, e.code]).toEqual([403, 'model_not_allowed'])
    expect(e.message).toBe('this key may not use model "o3"; it may use: gpt-4o, gpt-4o-mini')
    budget.admit('gpt-4o', t0)
    expect(refusal(() => budget.admit('o3', t0)).status).toBe(403)
  })

  test('refused requests do not count: after a refusal, the window frees on the admitted ones’ schedule', () => {
    const budget = new ClientBudget({ key: 'k', rpm: 1 })
    budget.admit('m', t0)
    for (let s = 1; s < 60; s += 10) expect(() => budget.admit('m', t0 + s * 1000)).toThrow(ProxyError)
    budget.admit('m', t0 + LIMIT_WINDOW_MS)
  })
})

test('limitRefusal: Retry-After at least 1 s; only the limits the key has get headers; resets never negative', () => {
  const limits: ClientLimits = { key: 'k', rpm: 10 }
  const e = limitRefusal(limits, 'rate_limit_exceeded', 'over', 1, { requests: 12, requestsResetMs: -5, tokens: 99, tokensResetMs: 0 })
  expect(e.headers).toEqual({
    'retry-after': '1',
    'x-ratelimit-limit-requests': '10',
    'x-ratelimit-remaining-requests': '0',
    'x-ratelimit-reset-requests': '0s',
  })
  expect(e.message).toBe('over; retry in 1 s')
})

test('createBudgets: a reload keeps what a key has counted under its new limits; keys gone are dropped', () => {
  const first = createBudgets([
    { key: 'a', rpm: 5 },
    { key: 'b', rpm: 5 },
  ])
  first.get('a')!.admit('m', t0)
  first.get('a')!.admit('m', t0)
  const next = createBudgets(
    [
      { key: 'a', rpm: 2 },
      { key: 'c', rpm: 1 },
    ],
    first,
  )
  expect(next.get('a')).toBe(first.get('a'))
  expect(next.get('a')!.limits.rpm).toBe(2)
  expect(() => next.get('a')!.admit('m', t0)).toThrow(ProxyError)
  expect([...next.keys()]).toEqual(['a', 'c'])
})

test('localAdmission: counts in this process; what it returns ends the request and charges its tokens', () => {
  const budget = new ClientBudget({ key: 'k', maxConcurrent: 1, tpm: 100 })
  const release = localAdmission.admit('k', budget, 'm') as (tokens: number) => void
  expect(() => localAdmission.admit('k', budget, 'm')).toThrow(ProxyError)
  release(100)
  const e = refusal(() => localAdmission.admit('k', budget, 'm'))
  expect(e.code).toBe('token_limit_exceeded')
})
