/**
 * A reload for a changed file waits until the file has settled: an editor
 * or script that truncates `.env` and writes it a moment later must not get
 * the empty file applied as a configuration with no keys.
 *
 * - "Settled": the watched files read the same twice, `stableMs` apart, and
 *   once more right after they are parsed.
 * - A settled configuration that would leave a service which has keys with
 *   none is held back (a warning says so) and applied only if the files read
 *   the same again `confirmMs` later; otherwise everything starts over.
 * - A settled file that does not parse is handed to the reload all the same,
 *   which refuses it (the running configuration stays); while the file keeps
 *   changing nothing is refused.
 *
 * SIGHUP and POST /admin/reload do not come through here: they apply at once.
 */
import { readFileSync } from 'node:fs'
import type { LoadResult } from './load'
import type { Config } from './schema'

export const SETTLE_STABLE_MS = 250
export const SETTLE_CONFIRM_MS = 1000

export interface SettleDeps {
  /** What the watched files hold now, as one comparable string. */
  snapshot(): string
  /** Reads and validates the configuration, as a reload would. */
  read(): LoadResult
  /** The configuration being served. */
  running(): Config
  /** Applies (or refuses) the configuration: the runtime's reload. */
  apply(): unknown
  sleep(ms: number): Promise<void>
  warn(message: string): void
  info(message: string): void
  stableMs?: number
  confirmMs?: number
}

/** Services that have keys now and would have none with `next`. */
export function servicesLosingAllKeys(running: Config, next: Config): string[] {
  return Object.values(running.services)
    .filter((s) => s.keys.length > 0 && (Object.hasOwn(next.services, s.name) ? next.services[s.name].keys.length : 0) === 0)
    .map((s) => s.name)
}

/** Waits for the files to settle, then applies them (see the top of this file). Resolves once done. */
export async function settleAndApply(deps: SettleDeps, reason = 'file changed'): Promise<void> {
  const stableMs = deps.stableMs ?? SETTLE_STABLE_MS
  const confirmMs = deps.confirmMs ?? SETTLE_CONFIRM_MS
  for (;;) {
    const first = deps.snapshot()
    await deps.sleep(stableMs)
    if (deps.snapshot() !== first) continue // still being written
    const next = deps.read()
    if (deps.snapshot() !== first) continue // changed while being read
    if (next.ok) {
      const losing = servicesLosingAllKeys(deps.running(), next.config)
      if (losing.length > 0) {
        const which = losing.join(', ')
        deps.warn(`reload (${reason}) held back: it would leave ${which} with no API keys; reading the files again in ${confirmMs} ms`)
        await deps.sleep(confirmMs)
        if (deps.snapshot() !== first) {
          deps.info(`reload (${reason}): the files changed again ${confirmMs} ms later; waiting for them to settle`)
          continue
        }
        deps.warn(`reload (${reason}): the files read the same ${confirmMs} ms later: applying it, ${which} left with no API keys`)
      }
    }
    deps.apply()
    return
  }
}

/**
 * One settle at a time for a set of files: a change noticed while one runs
 * starts another once it is done (the running one may have read too early).
 */
export function createSettler(
  deps: Omit<SettleDeps, 'snapshot' | 'sleep'> & Partial<Pick<SettleDeps, 'snapshot' | 'sleep'>>,
  paths: string[],
): () => Promise<void> {
  const full: SettleDeps = {
    snapshot: () => snapshotFiles(paths),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    ...deps,
  }
  let running: Promise<void> | undefined
  let again = false
  const run = async () => {
    try {
      do {
        again = false
        await settleAndApply(full)
      } while (again)
    } finally {
      running = undefined
    }
  }
  return () => {
    if (running) again = true
    else running = run()
    return running
  }
}

/** The files' contents (or their absence), in order. */
export function snapshotFiles(paths: string[]): string {
  return JSON.stringify(
    paths.map((path) => {
      try {
        return readFileSync(path, 'utf8')
      } catch {
        return null
      }
    }),
  )
}
