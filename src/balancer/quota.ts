/**
 * What a key's provider last said is left of its rate limits (from the
 * headers of any answer, not only a 429). A key reported spent is skipped
 * until the reset, as if cooling, without spending a request on the 429;
 * `share` ranks keys for the `most-remaining` strategy.
 *
 * Requests and tokens are independent limits: a key serves only while
 * neither is spent, it recovers when every spent one has reset, and its
 * share is the smaller of the two. A report whose reset has passed no longer
 * says anything (the window has refilled; the next answer will tell).
 */
import type { RateLimit, RateLimits } from '../upstream/rate-limits'

type Kind = 'requests' | 'tokens' | 'outputTokens'
const KINDS: readonly Kind[] = ['requests', 'tokens', 'outputTokens']

export interface QuotaJSON {
  remaining_requests: number | null
  remaining_tokens: number | null
  requests_reset_at: string | null
  tokens_reset_at: string | null
}

export class Quota {
  private report: RateLimits = {}
  /** When the report was made (here or in another instance): a later one replaces it, an earlier one does not. */
  private reportedAt = 0
  /** The largest remaining seen per kind: the scale of `share` when no limit header is sent. */
  private readonly mostSeen: Record<Kind, number> = { requests: 0, tokens: 0, outputTokens: 0 }

  /** Keeps the latest report; an answer that reports nothing (undefined) leaves the previous one. */
  observe(limits: RateLimits | undefined, now: number): void {
    if (!limits || now < this.reportedAt) return
    this.report = limits
    this.reportedAt = now
    for (const kind of KINDS) {
      const remaining = limits[kind]?.remaining
      if (remaining !== undefined && remaining > this.mostSeen[kind]) this.mostSeen[kind] = remaining
    }
  }

  /** The latest report and when it was made, to share with other instances. */
  latest(): { limits: RateLimits; at: number } {
    return { limits: this.report, at: this.reportedAt }
  }

  /** May this key send a request needing `tokensNeeded` tokens at `now`? True when nothing is known. */
  allows(now: number, tokensNeeded = 0): boolean {
    // Most keys, most of the time: nothing reported, nothing to weigh (this runs for every candidate key of every request).
    const r = this.report
    if (r.requests === undefined && r.tokens === undefined && r.outputTokens === undefined) return true
    return this.blocking(now, tokensNeeded).length === 0
  }

  /** 0 when allowed now, else when every limit that forbids it will have reset. */
  recoversAt(now: number, tokensNeeded = 0): number {
    const blocking = this.blocking(now, tokensNeeded)
    return blocking.length === 0 ? 0 : Math.max(...blocking.map((l) => l.resetAt))
  }

  /** The reported share left (0..1): the smallest over the limits in force; 1 when unknown or after the reset. */
  share(now: number): number {
    let share = 1
    for (const kind of KINDS) {
      const l = this.current(kind, now)
      if (!l) continue
      const of = l.limit ?? this.mostSeen[kind]
      const s = of > 0 ? l.remaining / of : l.remaining > 0 ? 1 : 0
      share = Math.min(share, Math.max(0, Math.min(1, s)))
    }
    return share
  }

  toJSON(now = Date.now()): QuotaJSON {
    const requests = this.current('requests', now)
    const tokens = this.current('tokens', now)
    return {
      remaining_requests: requests?.remaining ?? null,
      remaining_tokens: tokens?.remaining ?? null,
      requests_reset_at: requests ? new Date(requests.resetAt).toISOString() : null,
      tokens_reset_at: tokens ? new Date(tokens.resetAt).toISOString() : null,
    }
  }

  /** The report of one kind while its window lasts. */
  private current(kind: Kind, now: number): RateLimit | undefined {
    const l = this.report[kind]
    return l && now < l.resetAt ? l : undefined
  }

  /** The limits in force that forbid a request needing `tokensNeeded` tokens (any request needs some: 0 left forbids). */
  private blocking(now: number, tokensNeeded: number): RateLimit[] {
    const out: RateLimit[] = []
    for (const kind of KINDS) {
      const l = this.current(kind, now)
      if (!l) continue
      const needed = kind === 'tokens' ? Math.max(1, tokensNeeded) : 1
      if (l.remaining < needed) out.push(l)
    }
    return out
  }
}
