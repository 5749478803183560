/** What /stats and /metrics report for one key or endpoint. */
export class TargetCounters {
  requests = 0
  inFlight = 0
  /** Failed attempts by kind: `connect`, `status_4xx`, `status_5xx`... */
  errors: Record<string, number> = {}
  latencyMsTotal = 0
  latencyCount = 0
  tokensIn = 0
  tokensOut = 0

  start(): void {
    this.requests++
    this.inFlight++
  }

  /** Closes one attempt begun with start(), once its answer has been relayed or abandoned. */
  finish(durationMs: number): void {
    this.inFlight--
    this.latencyMsTotal += durationMs
    this.latencyCount++
  }

  /** Counts a failed attempt by kind: `status_500`, `timeout`, `connect`, `stream`... */
  fail(kind: string): void {
    this.errors[kind] = (this.errors[kind] ?? 0) + 1
  }

  addTokens(input: number, output: number): void {
    this.tokensIn += input
    this.tokensOut += output
  }

  toJSON() {
    return {
      requests: this.requests,
      in_flight: this.inFlight,
      errors: this.errors,
      avg_latency_ms: this.latencyCount === 0 ? 0 : Math.round((this.latencyMsTotal / this.latencyCount) * 100) / 100,
      tokens_in: this.tokensIn,
      tokens_out: this.tokensOut,
    }
  }
}
