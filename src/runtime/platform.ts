/**
 * The one boundary between lmlb and the runtime it runs on: what start.ts
 * needs that web standards and node: APIs do not give on both Bun and Deno.
 * runtime/bun.ts and runtime/deno.ts each fill it in.
 */
import type { StreamFactory } from '../upstream/byte-stream'

export interface Listening {
  port: number
  hostname: string
  /** Stops accepting; resolves when in-flight requests have finished (at once with `force`). */
  stop(force?: boolean): Promise<void>
}

export interface WorkerProcess {
  send(message: unknown): void
  kill(signal?: NodeJS.Signals): void
  exited: Promise<number>
}

export interface Platform {
  /** Said after the version in the "listening" line, e.g. " (Deno)". */
  label: string
  listen(
    handler: (request: Request) => Response | Promise<Response>,
    hostname: string,
    port: number,
    options: { shared: boolean },
  ): Listening
  /** Where the process must start again before serving (Bun's fetch limit): true once it has handed over. */
  restartIfNeeded(): boolean
  /** A faster way to stream bodies than the web-standard pull stream, where the runtime has one. */
  streamFactory?: StreamFactory
  /** How many upstream calls one process can hold at once, and what bounds it. */
  callBound(): { bound: number; openFiles: number | undefined; fetchLimit: number | undefined }
  /** Starts this program again as worker `index` (--workers); absent where the runtime cannot. */
  spawnWorker?(index: number, env: Record<string, string>, onMessage: (message: unknown) => void): WorkerProcess
}
