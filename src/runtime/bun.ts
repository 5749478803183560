/** The only module that touches Bun's own APIs: binding the app to a port, streaming bodies, starting worker processes. */
import { unhandledError } from '../server/errors'
import type { StreamFactory } from '../upstream/byte-stream'

/**
 * Bun's direct streams: each chunk is written to the socket and flushed as
 * it comes, with no queue and no promise per chunk (the web-standard pull
 * stream costs about 15% of a streaming proxy's throughput).
 */
export const directStream: StreamFactory = (source) =>
  new ReadableStream({
    type: 'direct',
    async pull(controller: { write(b: Uint8Array): void; flush(): void; close(): void }) {
      for (;;) {
        const bytes = await source.next()
        if (bytes === null) return controller.close()
        controller.write(bytes)
        controller.flush()
      }
    },
    cancel: (reason: unknown) => source.cancel(reason),
  } as unknown as UnderlyingDefaultSource<Uint8Array>)
export interface Listening {
  port: number
  hostname: string
  /** Stops accepting; resolves when in-flight requests have finished. */
  stop(force?: boolean): Promise<void>
}

export function listen(
  fetchHandler: (request: Request) => Response | Promise<Response>,
  hostname: string,
  port: number,
  options: { shared?: boolean; maxBodyBytes?: number } = {},
): Listening {
  const server = Bun.serve({
    hostname,
    port,
    // Shared only between lmlb's own workers; otherwise a second instance on a busy port must fail.
    reusePort: options.shared ?? false,
    // Past lmlb's own limit, Bun refuses the body before lmlb sees it.
    maxRequestBodySize: (options.maxBodyBytes ?? 32 * 1024 * 1024) + 1024 * 1024,
    // Idle client connections close after a while; proxied calls opt out below.
    idleTimeout: 120,
    // Never Bun's development error page (stack, working directory, source) to a client, however lmlb is started.
    development: false,
    error: unhandledError,
    fetch(request, server) {
      // A model may think for minutes before its first byte: lmlb's own timeouts govern proxied calls.
      if (request.method === 'POST') server.timeout(request, 0)
      return fetchHandler(request)
    },
  })
  return {
    port: server.port!,
    hostname: server.hostname!,
    stop: (force = false) => server.stop(force),
  }
}

export interface WorkerProcess {
  send(message: unknown): void
  kill(signal?: NodeJS.Signals): void
  exited: Promise<number>
}

/** Starts this same program again as worker `index`, with a message channel to it. */
export function spawnWorker(index: number, env: Record<string, string>, onMessage: (message: unknown) => void): WorkerProcess {
  // Compiled, argv[1] is the binary's own entry inside it; under bun, the script to run.
  const compiled = process.argv[1]?.startsWith('/$bunfs/')
  // Under bun, the runtime's own flags (--no-env-file, --smol) go along.
  const command = compiled ? [process.execPath, ...process.argv.slice(2)] : [process.execPath, ...process.execArgv, process.argv[1], ...process.argv.slice(2)]
  const child = Bun.spawn(command, {
    env: { ...process.env, ...env, LMLB_WORKER: String(index) },
    stdio: ['ignore', 'inherit', 'inherit'],
    ipc: (message) => onMessage(message),
  })
  return { send: (m) => child.send(m), kill: (s) => child.kill(s), exited: child.exited }
}
