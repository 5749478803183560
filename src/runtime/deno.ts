/**
 * lmlb on Deno: the same start-up as on Bun (start.ts: options, --check,
 * signals, graceful shutdown, file-change and SIGHUP reloads) behind
 * Deno.serve. Everything but this file and runtime/bun.ts is web-standard
 * or node: API, so it runs unchanged. Not here: --workers (refused).
 * Run: deno run -A src/runtime/deno.ts [--port P] [--host H] [--config F]
 */
import { start } from '../start'
import { callsForOpenFiles, openFilesLimit } from './open-files'
import type { Platform } from './platform'
import { DatabaseSync } from 'node:sqlite'
import { cachedStatements, type SqlValue } from '../util/sql-database'

// Deno's globals, as far as this file uses them (the project type-checks against Bun's types).
declare const Deno: {
  serve(
    options: { hostname: string; port: number; onListen(): void; onError(error: unknown): Response },
    handler: (request: Request) => Response | Promise<Response>,
  ): { addr: { hostname: string; port: number }; shutdown(): Promise<void> }
}

const denoPlatform: Platform = {
  label: ' (Deno)',
  listen(handler, hostname, port, { onError }) {
    // onListen: start.ts says where it listens; Deno's own line would go to stdout.
    const server = Deno.serve({ hostname, port, onListen: () => {}, onError }, handler)
    return {
      hostname: server.addr.hostname,
      port: server.addr.port,
      // Forced (the grace is over), the process exits next, closing what is left.
      stop: (force = false) => (force ? Promise.resolve() : server.shutdown()),
    }
  },
  // Deno's fetch has no per-process limit to raise.
  restartIfNeeded: () => false,
  callBound() {
    const openFiles = openFilesLimit()
    return { bound: callsForOpenFiles(openFiles), openFiles, fetchLimit: undefined }
  },
  openDatabase(path) {
    const db = new DatabaseSync(path)
    const statement = cachedStatements((sql) => db.prepare(sql))
    return {
      exec: (sql) => db.exec(sql),
      run: (sql, ...params) => void statement(sql).run(...params),
      all: (sql, ...params) => statement(sql).all(...params) as Record<string, SqlValue>[],
      close: () => db.close(),
    }
  },
}

start(denoPlatform)
