/** argv and environment → configuration → app → port; signals. */
import { existsSync, readFileSync } from 'node:fs'
import { createApp } from './app'
import { HELP, parseCli, type CliOptions } from './cli'
import { loadConfig, type LoadResult } from './config/load'
import { describeConfig } from './config/describe'
import { createLogger } from './observability/log'
import { listen, type Listening } from './runtime/bun'
import { createState, type Runtime } from './server/state'
import { VERSION } from './server/status'

const EXIT_USAGE = 2

function fail(lines: string[]): never {
  for (const line of lines) console.error(`lmlb: ${line}`)
  process.exit(EXIT_USAGE)
}

function load(cli: CliOptions): LoadResult {
  const path = cli.envFile ?? '.env'
  if (cli.envFile !== undefined && !existsSync(path)) fail([`--env-file: ${path} does not exist`])
  const dotenv = existsSync(path) ? { path, text: readFileSync(path, 'utf8') } : undefined
  return loadConfig({ env: process.env, dotenv, host: cli.host, port: cli.port })
}

function main() {
  let cli: CliOptions
  try {
    cli = parseCli(process.argv.slice(2))
  } catch (error) {
    fail([`${(error as Error).message} (see --help)`])
  }
  if (cli.help) return void process.stdout.write(HELP)
  if (cli.version) return void console.log(VERSION)

  const result = load(cli)
  if (!result.ok) fail(result.errors)
  const { config, warnings } = result
  if (cli.check) {
    console.log(describeConfig(config))
    for (const w of warnings) console.log(`warning: ${w}`)
    return
  }

  const logger = createLogger(config.logLevel)
  for (const w of warnings) logger.warn(w)
  const runtime: Runtime = { current: createState(config), logger, startedAt: Date.now() }
  let server: Listening | undefined
  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    const grace = config.limits.shutdownGraceMs
    logger.always(`${signal}: no new connections; finishing in-flight requests (up to ${grace} ms)`)
    const graceOver = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), grace).unref())
    if ((await Promise.race([server?.stop() ?? Promise.resolve(), graceOver])) === 'late') {
      logger.warn(`grace of ${grace} ms over: closing the remaining connections`)
      await server?.stop(true)
    }
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
  // Without a handler SIGHUP would kill the process; reloading is its job.
  process.on('SIGHUP', () => {
    const next = load(cli)
    if (!next.ok) return logger.error(`reload refused, old configuration kept:\n  ${next.errors.join('\n  ')}`)
    runtime.current = createState(next.config)
    logger.info('configuration reloaded')
  })

  const app = createApp(runtime)
  try {
    server = listen(app.fetch, config.host, config.port)
  } catch (error) {
    fail([`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`])
  }
  logger.always(`lmlb ${VERSION} listening on http://${server.hostname}:${server.port}`)
}

main()
