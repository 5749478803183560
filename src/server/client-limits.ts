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
import { ProxyError } from './errors'

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
    const { rpm, tpm, maxConcurrent, models } = this.limits
    if (models && !models.includes(model)) {
      throw new ProxyError(403, 'model_not_allowed', `this key may not use model "${model}"; it may use: ${models.join(', ')}`)
    }
    this.prune(now)
    if (maxConcurrent !== undefined && this.inFlight >= maxConcurrent) {
      throw this.refusal(now, 'concurrency_limit_exceeded', `this key may have ${maxConcurrent} requests under way at once`, 1)
    }
    if (rpm !== undefined && this.starts.length >= rpm) {
      throw this.refusal(now, 'rate_limit_exceeded', `this key may make ${rpm} requests a minute`, this.starts[0] + WINDOW_MS - now)
    }
    const used = this.tokensUsed()
    if (tpm !== undefined && used >= tpm) {
      // Over budget until enough of the window's charges have left it.
      let free = used
      const until = this.spent.find((s) => (free -= s.tokens) < tpm)?.at ?? now
      throw this.refusal(now, 'token_limit_exceeded', `this key may spend ${tpm} tokens a minute`, until + WINDOW_MS - now)
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
    const seconds = Math.max(1, Math.ceil(waitMs / 1000))
    const headers: Record<string, string> = { 'retry-after': String(seconds) }
    const { rpm, tpm } = this.limits
    const oldest = this.starts[0]
    if (rpm !== undefined) {
      headers['x-ratelimit-limit-requests'] = String(rpm)
      headers['x-ratelimit-remaining-requests'] = String(Math.max(0, rpm - this.starts.length))
      headers['x-ratelimit-reset-requests'] = `${oldest === undefined ? 0 : Math.max(0, Math.ceil((oldest + WINDOW_MS - now) / 1000))}s`
    }
    if (tpm !== undefined) {
      headers['x-ratelimit-limit-tokens'] = String(tpm)
      headers['x-ratelimit-remaining-tokens'] = String(Math.max(0, tpm - this.tokensUsed()))
      headers['x-ratelimit-reset-tokens'] = `${this.spent.length === 0 ? 0 : Math.max(0, Math.ceil((this.spent[0].at + WINDOW_MS - now) / 1000))}s`
    }
    return new ProxyError(429, code, `${message}; retry in ${seconds} s`, headers)
  }
}

/** Budgets by client key, for a configuration; those of `previous` keep what they counted. */
export function createBudgets(limits: readonly ClientLimits[], previous?: ReadonlyMap<string, ClientBudget>): Map<string, ClientBudget> {
  return new Map(
    limits.map((l) => {
      const kept = previous?.get(l.key)
      if (kept) kept.limits = l
      return [l.key, kept ?? new ClientBudget(l)]
    }),
  )
}

/**
 * Where a limited key's requests are counted: in this process, or with
 * --workers in the primary's (a worker asks it, one round trip, only for
 * keys that carry limits).
 */
export interface Admission {
  /** Counts the request in, or throws the ProxyError the client gets. */
  admit(key: string, model: string): void | Promise<void>
  release(key: string, tokens: number): void
}

export function localAdmission(budgets: () => ReadonlyMap<string, ClientBudget>): Admission {
  return {
    admit: (key, model) => budgets().get(key)?.admit(model, Date.now()),
    release: (key, tokens) => budgets().get(key)?.release(tokens, Date.now()),
  }
}
