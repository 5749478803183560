/**
 * What one client key may spend: requests in any 60-second window (`rpm`:
 * all usable at once), tokens in any 60-second window (`tpm`: input +
 * output as the upstreams report them, charged when each answer ends; new
 * requests wait while the window is over budget), requests at once
 * (`max_concurrent`), and which models (`models`: others are 403). Over a
 * limit: 429 with Retry-After and OpenAI's rate-limit header names
 * describing the client's own budget; nothing goes upstream. Per instance.
 */
import type { ClientLimits } from '../config/schema'
import { ProxyError } from '../errors'

const WINDOW_MS = 60_000

export class ClientBudget {
  /** When each request in the window started (oldest first). */
  private readonly starts: number[] = []
  /** Tokens charged in the window, oldest first. */
  private readonly spent: { at: number; tokens: number }[] = []
  private inFlight = 0

  constructor(public limits: ClientLimits) {}

  /** Counts the request in, or refuses it (a ProxyError the client gets as it is). */
  admit(model: string, now: number): void {
    const { rpm, tpm, maxConcurrent } = this.limits
    checkModel(this.limits, model)
    this.prune(now)
    if (maxConcurrent !== undefined && this.inFlight >= maxConcurrent) {
      throw this.refusal(now, ...LIMIT_MESSAGES.concurrency(this.limits), 1)
    }
    if (rpm !== undefined && this.starts.length >= rpm) {
      throw this.refusal(now, ...LIMIT_MESSAGES.requests(this.limits), this.starts[0] + WINDOW_MS - now)
    }
    const used = this.tokensUsed()
    if (tpm !== undefined && used >= tpm) {
      // Over budget until enough of the window's charges have left it.
      let free = used
      const until = this.spent.find((s) => (free -= s.tokens) < tpm)?.at ?? now
      throw this.refusal(now, ...LIMIT_MESSAGES.tokens(this.limits), until + WINDOW_MS - now)
    }
    this.starts.push(now)
    this.inFlight++
  }

  /** The request admitted is over: its tokens are charged. */
  release(tokens: number, now: number): void {
    this.inFlight--
    if (tokens > 0) this.spent.push({ at: now, tokens })
  }

  private tokensUsed(): number {
    return this.spent.reduce((n, s) => n + s.tokens, 0)
  }

  private prune(now: number): void {
    while (this.starts.length > 0 && this.starts[0] <= now - WINDOW_MS) this.starts.shift()
    while (this.spent.length > 0 && this.spent[0].at <= now - WINDOW_MS) this.spent.shift()
  }

  private refusal(now: number, code: string, message: string, waitMs: number): ProxyError {
    return limitRefusal(this.limits, code, message, waitMs, {
      requests: this.starts.length,
      requestsResetMs: this.starts.length === 0 ? 0 : this.starts[0] + WINDOW_MS - now,
      tokens: this.tokensUsed(),
      tokensResetMs: this.spent.length === 0 ? 0 : this.spent[0].at + WINDOW_MS - now,
    })
  }
}

export const LIMIT_WINDOW_MS = WINDOW_MS

/** A model the key may not ask for: 403. */
export function checkModel(limits: ClientLimits, model: string): void {
  if (limits.models && !limits.models.includes(model)) {
    throw new ProxyError(403, 'model_not_allowed', `this key may not use model "${model}"; it may use: ${limits.models.join(', ')}`)
  }
}

/** The 429 a client gets over one of its limits, with its own budget in OpenAI's header names. */
export function limitRefusal(
  limits: ClientLimits,
  code: string,
  message: string,
  waitMs: number,
  window: { requests: number; requestsResetMs: number; tokens: number; tokensResetMs: number },
): ProxyError {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000))
  const headers: Record<string, string> = { 'retry-after': String(seconds) }
  const inSeconds = (ms: number) => `${Math.max(0, Math.ceil(ms / 1000))}s`
  if (limits.rpm !== undefined) {
    headers['x-ratelimit-limit-requests'] = String(limits.rpm)
    headers['x-ratelimit-remaining-requests'] = String(Math.max(0, limits.rpm - window.requests))
    headers['x-ratelimit-reset-requests'] = inSeconds(window.requestsResetMs)
  }
  if (limits.tpm !== undefined) {
    headers['x-ratelimit-limit-tokens'] = String(limits.tpm)
    headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, limits.tpm - window.tokens))
    headers['x-ratelimit-reset-tokens'] = inSeconds(window.tokensResetMs)
  }
  return new ProxyError(429, code, `${message}; retry in ${seconds} s`, headers)
}

/** The messages each limit refuses with. */
export const LIMIT_MESSAGES: Record<'concurrency' | 'requests' | 'tokens', (l: ClientLimits) => [code: string, message: string]> = {
  concurrency: (l) => ['concurrency_limit_exceeded', `this key may have ${l.maxConcurrent} requests under way at once`],
  requests: (l) => ['rate_limit_exceeded', `this key may make ${l.rpm} requests a minute`],
  tokens: (l) => ['token_limit_exceeded', `this key may spend ${l.tpm} tokens a minute`],
}

/** Budgets by client key, for a configuration's keys with a window or a model list; those of `previous` keep what they counted. */
export function createBudgets(limits: readonly ClientLimits[], previous?: ReadonlyMap<string, ClientBudget>): Map<string, ClientBudget> {
  const windowed = limits.filter((l) => (l.rpm ?? l.tpm ?? l.maxConcurrent ?? l.models) !== undefined)
  return new Map(
    windowed.map((l) => {
      const kept = previous?.get(l.key)
      if (kept) kept.limits = l
      return [l.key, kept ?? new ClientBudget(l)]
    }),
  )
}

/**
 * Where a limited key's requests are counted: in this process, in Redis
 * (every instance together), or with --workers in the primary's (a worker
 * asks it, one round trip, only for keys that carry limits).
 */
export interface Admission {
  /**
   * Counts the request of `key` (its `budget` here) in, or throws the
   * ProxyError the client gets; what it returns is called once with its
   * tokens when it is over.
   */
  admit(key: string, budget: ClientBudget, model: string): Release | Promise<Release>
}

export type Release = (tokens: number) => void

/** Counted in this process. */
export const localAdmission: Admission = {
  admit(_key, budget, model) {
    budget.admit(model, Date.now())
    return (tokens) => budget.release(tokens, Date.now())
  },
}
