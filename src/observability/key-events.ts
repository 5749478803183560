/**
 * Per service: what happened to its keys in this process (kept across
 * reloads): disables by reason, enables by who or what brought the key
 * back, and background checks by outcome. /stats and /metrics show them;
 * with --workers they add up.
 */
export interface KeyEventFigures {
  disabled: Record<string, number>
  enabled: Record<string, number>
  checks: { passed: number; failed: number }
}

export class KeyEvents {
  private readonly disabled: Record<string, number> = {}
  private readonly enabled: Record<string, number> = {}
  private readonly checks = { passed: 0, failed: 0 }

  /** A key disabled for `reason`, or (no reason) enabled by `by`: a check, an operator, or lmlb finding the endpoint to blame. */
  record(change: { disabled?: { reason: string }; enabledBy?: string }): void {
    if (change.disabled) this.disabled[change.disabled.reason] = (this.disabled[change.disabled.reason] ?? 0) + 1
    else if (change.enabledBy) this.enabled[change.enabledBy] = (this.enabled[change.enabledBy] ?? 0) + 1
  }

  checked(passed: boolean): void {
    if (passed) this.checks.passed++
    else this.checks.failed++
  }

  toJSON(): KeyEventFigures {
    return { disabled: { ...this.disabled }, enabled: { ...this.enabled }, checks: { ...this.checks } }
  }
}

/** Several workers' figures, added up. */
export function mergeKeyEvents(all: readonly KeyEventFigures[]): KeyEventFigures {
  const add = (into: Record<string, number>, from: Record<string, number>) => {
    for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n
    return into
  }
  return {
    disabled: all.reduce((acc, f) => add(acc, f.disabled), {} as Record<string, number>),
    enabled: all.reduce((acc, f) => add(acc, f.enabled), {} as Record<string, number>),
    checks: { passed: all.reduce((n, f) => n + f.checks.passed, 0), failed: all.reduce((n, f) => n + f.checks.failed, 0) },
  }
}
