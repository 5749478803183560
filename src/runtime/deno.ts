/**
 * lmlb on Deno: the same app (`app.fetch`) behind Deno.serve. Everything
 * but this file and runtime/bun.ts is web-standard or node: API, so it runs
 * unchanged, file-change and SIGHUP reloads included. Not here: --workers.
 * Run: deno run -A --sloppy-imports src/runtime/deno.ts [--port P] [--host H] [--config F]
 */
import { createHandler } from '../app'
import { unhandledError } from '../server/errors'
import { parseCli } from '../cli'
import { readConfig } from '../config/sources'
import { createLogger } from '../observability/log'
import { reloadOnFileChanges } from '../server/file-reloads'
import { createRuntime } from '../server/reloader'
import { VERSION } from '../server/status'

// Deno's globals, as far as this file uses them (the project type-checks against Bun's types).
declare const Deno: {
  env: { toObject(): Record<string, string> }
  args: string[]
  serve(
    options: { hostname: string; port: number; onListen(addr: { hostname: string; port: number }): void; onError(error: unknown): Response },
    handler: (request: Request) => Response | Promise<Response>,
  ): { shutdown(): Promise<void> }
  addSignalListener(signal: 'SIGTERM' | 'SIGINT' | 'SIGHUP', handler: () => void): void
  exit(code: number): never
}

const cli = parseCli(Deno.args)
const sources = { envFile: cli.envFile ?? '.env', envFileRequired: cli.envFile !== undefined, configFile: cli.config, host: cli.host, port: cli.port }
const read = () => readConfig(sources, Deno.env.toObject())
const result = read()
if (!result.ok) {
  for (const line of result.errors) console.error(`lmlb: ${line}`)
  Deno.exit(2)
}
const logger = createLogger(result.config.logLevel)
for (const w of result.warnings) logger.warn(w)
const runtime = createRuntime(result.config, logger, read)
const server = Deno.serve(
  {
    hostname: result.config.host,
    port: result.config.port,
    onError: unhandledError,
    onListen: ({ hostname, port }) => logger.always(`lmlb ${VERSION} (Deno) listening on http://${hostname}:${port}`),
  },
  createHandler(runtime),
)
const stopWatching = reloadOnFileChanges(runtime, sources, Deno.env.toObject(), read)
const stop = () => {
  stopWatching()
  void server.shutdown().then(() => Deno.exit(0))
}
Deno.addSignalListener('SIGTERM', stop)
Deno.addSignalListener('SIGINT', stop)
// Without a listener SIGHUP would end the process; reloading is its job, as under Bun.
Deno.addSignalListener('SIGHUP', () => void runtime.reload('SIGHUP'))
