/**
 * Reloads on a change to the configuration's files, once they have settled
 * (config/settle.ts: a half-written .env is not a configuration). The same
 * for every runtime: main.ts (Bun) and runtime/deno.ts.
 */
import type { LoadResult } from '../config/load'
import { createSettler } from '../config/settle'
import { watchedFiles, type Sources } from '../config/sources'
import { watchFiles } from '../config/watch'
import type { Runtime } from './runtime'

/** Starts watching; returns the function that stops it. */
export function reloadOnFileChanges(
  runtime: Runtime,
  sources: Sources,
  env: Record<string, string | undefined>,
  read: () => LoadResult,
): () => void {
  const paths = watchedFiles(sources, env)
  const { logger } = runtime
  const settle = createSettler(
    {
      read,
      running: () => runtime.current.config,
      apply: () => runtime.reload('file changed'),
      warn: (m) => logger.warn(m),
      info: (m) => logger.info(m),
    },
    paths,
  )
  return watchFiles(paths, () => void settle())
}
