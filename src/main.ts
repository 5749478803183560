/** argv and environment → configuration → app → port; signals and reloads. */
import { createApp } from './app'
import { HELP, parseCli, type CliOptions } from './cli'
import { describeConfig } from './config/describe'
import { readConfig, watchedFiles, type Sources } from './config/sources'
import { watchFiles } from './config/watch'
import { createLogger } from './observability/log'
import { listen, type Listening } from './runtime/bun'
import { createRuntime } from './server/reloader'
import { VERSION } from './server/status'

const EXIT_USAGE = 2

function fail(lines: string[]): never {
  for (const line of lines) console.error(`lmlb: ${line}`)
  process.exit(EXIT_USAGE)
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

  const sources: Sources = { envFile: cli.envFile ?? '.env', envFileRequired: cli.envFile !== undefined, configFile: cli.config, host: cli.host, port: cli.port }
  const read = () => readConfig(sources, process.env)
  const result = read()
  if (!result.ok) fail(result.errors)
  const { config, warnings } = result
  if (cli.check) {
    console.log(describeConfig(config))
    for (const w of warnings) console.log(`warning: ${w}`)
    return
  }

  const logger = createLogger(config.logLevel)
  for (const w of warnings) logger.warn(w)
  const runtime = createRuntime(config, logger, read)
  let server: Listening | undefined

  let stopWatching = () => {}
  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    stopWatching()
    const grace = runtime.current.config.limits.shutdownGraceMs
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
  process.on('SIGHUP', () => void runtime.reload('SIGHUP'))
  stopWatching = watchFiles(watchedFiles(sources, process.env), () => void runtime.reload('file changed'))

  const app = createApp(runtime)
  try {
    server = listen(app.fetch, config.host, config.port)
  } catch (error) {
    fail([`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`])
  }
  logger.always(`lmlb ${VERSION} listening on http://${server.hostname}:${server.port}`)
}

main()
