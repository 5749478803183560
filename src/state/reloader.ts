/**
 * Replaces the configuration in one step, or refuses it. The new one is
 * fully validated first; requests in flight finish on the state they
 * started with; counters and cooldowns of keys and endpoints that remain
 * carry over.
 */
import type { LoadResult } from '../config/load'
import type { Config } from '../config/schema'
import type { Logger } from '../observability/log'
import { webStream, type StreamFactory } from '../upstream/byte-stream'
import { createState, type ReloadOutcome, type Runtime } from './state'
import { stats } from '../status/status'
import { localAdmission } from '../balancer/client-budgets'

export function createRuntime(config: Config, logger: Logger, read: () => LoadResult, streams: StreamFactory = webStream): Runtime {
  const runtime: Runtime = {
    current: createState(config),
    logger,
    startedAt: Date.now(),
    streams,
    reload(reason: string): ReloadOutcome {
      const next = read()
      if (!next.ok) {
        runtime.lastError = { at: Date.now(), errors: next.errors }
        logger.error(`reload (${reason}) refused, the running configuration stays:\n  ${next.errors.join('\n  ')}`)
        return { ok: false, errors: next.errors }
      }
      const before = runtime.current.config
      if (next.config.host !== before.host || next.config.port !== before.port) {
        logger.warn(`reload (${reason}): a new host or port takes a restart; still listening on ${before.host}:${before.port}`)
      }
      runtime.current = createState(next.config, runtime.current)
      runtime.lastError = undefined
      logger.level = next.config.logLevel
      logger.format = next.config.logFormat
      for (const w of next.warnings) logger.warn(w)
      logger.always(`configuration reloaded (${reason})`)
      return { ok: true, loadedAt: runtime.current.loadedAt }
    },
    collectStats: async () => stats(runtime),
    admission: localAdmission(() => runtime.current.budgets),
  }
  return runtime
}
