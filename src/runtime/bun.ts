/** The only module that touches Bun's own APIs: binding the app to a port, streaming bodies, starting worker processes. */
import type { StreamFactory } from '../upstream/byte-stream'
import { callsForOpenFiles, openFilesLimit } from './open-files'
import type { WorkerProcess } from '../cluster/workers'
import type { Listening, Platform } from './platform'
import { Database } from 'bun:sqlite'
import { cachedStatements, type SqlDatabase, type SqlValue } from '../util/sql-database'

/**
 * Bun's direct streams: each chunk is written to the socket and flushed as
 * it comes, with no queue and no promise per chunk (the web-standard pull
 * stream costs about 15% of a streaming proxy's throughput).
 * Backpressure: in Bun 1.4.5 `write` returns the byte count while the socket
 * keeps up, and a promise once a few MiB wait unsent (a slow reader); lmlb
 * awaits it before reading more from the upstream.
 */
const directStream: StreamFactory = (source) =>
  new ReadableStream({
    type: 'direct',
    async pull(controller: { write(b: Uint8Array): number | Promise<number>; flush(): void; close(): void }) {
      for (;;) {
        const bytes = await source.next()
        if (bytes === null) return controller.close()
        const written = controller.write(bytes)
        controller.flush()
        if (typeof written !== 'number') await written
      }
    },
    cancel: (reason: unknown) => source.cancel(reason),
  } as unknown as UnderlyingDefaultSource<Uint8Array>)
function listen(
  fetchHandler: (request: Request) => Response | Promise<Response>,
  hostname: string,
  port: number,
  options: { shared: boolean; onError: (error: unknown) => Response },
): Listening {
  const server = Bun.serve({
    hostname,
    port,
    // Shared only between lmlb's own workers; otherwise a second instance on a busy port must fail.
    reusePort: options.shared,
    // lmlb sets the limit itself (read-body.ts), in the client's error shape; Bun's own refusal is a bare 413 and a reset.
    maxRequestBodySize: Number.MAX_SAFE_INTEGER,
    // Idle client connections close after a while; proxied calls opt out below.
    idleTimeout: 120,
    // Never Bun's development error page (stack, working directory, source) to a client, however lmlb is started.
    development: false,
    error: options.onError,
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

/** Starts this same program again as worker `index`, with a message channel to it. */
function spawnWorker(index: number, env: Record<string, string>, onMessage: (message: unknown) => void): WorkerProcess {
  // The primary's environment carries BUN_CONFIG_MAX_HTTP_REQUESTS on to the workers.
  const child = Bun.spawn(selfCommand(), {
    env: { ...process.env, ...env, LMLB_WORKER: String(index) },
    stdio: ['ignore', 'inherit', 'inherit'],
    ipc: (message) => onMessage(message),
  })
  return { send: (m) => child.send(m), kill: (s) => child.kill(s), exited: child.exited }
}

/**
 * Bun's fetch runs at most BUN_CONFIG_MAX_HTTP_REQUESTS calls at once (256
 * unless set; 65535 at most); the rest wait inside fetch. Bun 1.4.5 reads
 * the variable only as the process starts: set later, even before the first
 * fetch, it has no effect.
 */
const FETCH_LIMIT = 'BUN_CONFIG_MAX_HTTP_REQUESTS'
const FETCH_LIMIT_MAX = 65_535

function fetchLimit(): number {
  const n = Number(process.env[FETCH_LIMIT])
  return Number.isInteger(n) && n > 0 ? Math.min(n, FETCH_LIMIT_MAX) : 256
}

/** This same program again: the binary, or bun with its flags and the script. */
function selfCommand(): string[] {
  // Compiled, argv[1] is the binary's own entry inside it; under bun, the script to run.
  const compiled = process.argv[1]?.startsWith('/$bunfs/')
  // Under bun, the runtime's own flags (--no-env-file, --smol) go along.
  return compiled
    ? [process.execPath, ...process.argv.slice(2)]
    : [process.execPath, ...process.execArgv, process.argv[1], ...process.argv.slice(2)]
}

/**
 * Replaces this process by `command` with `env` through libc's execve (bun:ffi):
 * same pid, so a supervisor's signals, pid file and RSS reading stay right.
 * Returns only if that could not be done: 'no libc' (none by these names, or no
 * bun:ffi), or 'refused' (execve ran and failed: the kernel will not run this
 * file again, as under user-mode emulation without binfmt).
 */
function execve(command: string[], env: Record<string, string>): 'no libc' | 'refused' {
  try {
    const { dlopen, FFIType, ptr, suffix } = require('bun:ffi') as typeof import('bun:ffi')
    // glibc's soname first; `libc.so` is musl's, `libc.dylib` macOS's.
    for (const name of process.platform === 'linux' ? ['libc.so.6', `libc.${suffix}`] : [`libc.${suffix}`]) {
      let libc
      try {
        libc = dlopen(name, { execve: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 } })
      } catch {
        continue
      }
      // NUL-terminated strings and NULL-terminated pointer arrays, all kept referenced through the call.
      const strings = [...command, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].map((text) => Buffer.from(`${text}\0`))
      const pointers = (from: number, to: number) => BigUint64Array.from([...strings.slice(from, to).map((b) => BigInt(ptr(b))), 0n])
      const argv = pointers(0, command.length)
      const envp = pointers(command.length, strings.length)
      libc.symbols.execve(ptr(strings[0]), ptr(argv), ptr(envp))
      return 'refused' // still here: execve failed
    }
  } catch {}
  return 'no libc'
}

/**
 * Started without BUN_CONFIG_MAX_HTTP_REQUESTS (the binary, plain `bun
 * src/main.ts`): starts itself again with it set to the maximum, in place
 * (execve, same pid) where libc allows; without libc, as a child, passing
 * signals on and exiting as it does (returns true then). Where the kernel
 * refuses to run it again it goes on with Bun's default limit, and says so.
 * The npm scripts set the variable, so they start once.
 */
function restartWithFetchLimit(): boolean {
  if (process.env[FETCH_LIMIT] !== undefined) {
    // Started so by a parent that may die without a word (SIGKILL): go too.
    const parent = Number(process.env.LMLB_PARENT_PID)
    // Not for --workers children, whose parent is this process.
    delete process.env.LMLB_PARENT_PID
    if (parent > 0) setInterval(() => process.ppid !== parent && process.kill(process.pid, 'SIGTERM'), 1000).unref()
    return false
  }
  const env = { ...process.env, [FETCH_LIMIT]: String(FETCH_LIMIT_MAX) } as Record<string, string>
  if (execve(selfCommand(), env) === 'refused') {
    // A child would be refused just the same: serve with Bun's default, and say so.
    console.error(
      `lmlb: could not start again with ${FETCH_LIMIT} set (execve failed); set it before starting lmlb for more than ${fetchLimit()} upstream calls at once`,
    )
    return false
  }
  const child = Bun.spawn(selfCommand(), {
    env: { ...env, LMLB_PARENT_PID: String(process.pid) },
    stdio: ['inherit', 'inherit', 'inherit'],
  })
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal))
  void child.exited.then((code) => process.exit(code))
  return true
}

/** How many upstream calls this process can hold at once: Bun's fetch limit, and two sockets per proxied call with room for the rest. */
function processCallBound(): { bound: number; openFiles: number | undefined; fetchLimit: number } {
  const openFiles = openFilesLimit()
  return { bound: Math.min(fetchLimit(), callsForOpenFiles(openFiles)), openFiles, fetchLimit: fetchLimit() }
}

/** bun:sqlite, as the usage store uses it. */
function openDatabase(path: string): SqlDatabase {
  const db = new Database(path, { create: true })
  const statement = cachedStatements((sql) => db.query(sql))
  return {
    exec: (sql) => void db.exec(sql),
    run: (sql, ...params) => void statement(sql).run(...params),
    all: (sql, ...params) => statement(sql).all(...params) as Record<string, SqlValue>[],
    close: () => db.close(),
  }
}

export const bunPlatform: Platform = {
  label: '',
  listen,
  // Bun's fetch limit is read only at process start: without it, start again with it.
  restartIfNeeded: restartWithFetchLimit,
  streamFactory: directStream,
  callBound: processCallBound,
  spawnWorker,
  openDatabase,
}
