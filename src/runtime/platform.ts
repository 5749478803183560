/**
 * The one boundary between lmlb and the runtime it runs on: what start.ts
 * needs that web standards and node: APIs do not give on both Bun and Deno.
 * runtime/bun.ts and runtime/deno.ts each fill it in.
 */
import type { SpawnWorker } from '../cluster/workers'
import type { StreamFactory } from '../upstream/byte-stream'
import type { SqlDatabase } from '../util/sql-database'

export interface Listening {
  port: number
  hostname: string
  /** Stops accepting; resolves when in-flight requests have finished (at once with `force`). */
  stop(force?: boolean): Promise<void>
}

export interface Platform {
  /** Said after the version in the "listening" line, e.g. " (Deno)". */
  label: string
  /**
   * Serves `handler` on a port. `shared`: with lmlb's own workers only
   * (SO_REUSEPORT). `onError`: the last resort when the handler throws past
   * lmlb's own error mapping.
   */
  listen(
    handler: (request: Request) => Response | Promise<Response>,
    hostname: string,
    port: number,
    options: { shared: boolean; onError: (error: unknown) => Response },
  ): Listening
  /** Where the process must start again before serving (Bun's fetch limit): true once it has handed over. */
  restartIfNeeded(): boolean
  /** A faster way to stream bodies than the web-standard pull stream, where the runtime has one. */
  streamFactory?: StreamFactory
  /** How many upstream calls one process can hold at once, and what bounds it. */
  callBound(): { bound: number; openFiles: number | undefined; fetchLimit: number | undefined }
  /** Starts this program again as worker `index` (--workers); absent where the runtime cannot. */
  spawnWorker?: SpawnWorker
  /** Opens (or makes) an SQLite database file: the usage store's. */
  openDatabase(path: string): SqlDatabase
}
