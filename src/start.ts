/** argv and environment → configuration → app → port; signals, reloads, workers. The same on every runtime: what differs comes in as a Platform. */
import { createApp } from './app'
import { HELP, parseCli, type CliOptions } from './cli'
import { describeConfig } from './config/describe'
import { readConfig, type Sources } from './config/sources'
import { createLogger } from './observability/log'
import type { Listening, Platform } from './runtime/platform'
import { joinCluster, startCluster } from './cluster/workers'
import { reloadOnFileChanges } from './state/file-reloads'
import { shareThrough } from './cluster/shared-events'
import { createRuntime } from './state/reloader'
import type { Runtime } from './state/state'
import type { Config } from './config/schema'
import type { Logger } from './observability/log'
import { BUILD_COMMIT, VERSION } from './status/status'
import { setProcessCallBound } from './upstream/call-slots'
import { nameInstance } from './upstream/via'

const EXIT_USAGE = 2

function fail(lines: string[]): never {
  for (const line of lines) console.error(`lmlb: ${line}`)
  process.exit(EXIT_USAGE)
}

export function start(platform: Platform) {
  let cli: CliOptions
  try {
    cli = parseCli(process.argv.slice(2))
  } catch (error) {
    fail([`${(error as Error).message} (see --help)`])
  }
  if (cli.help) return void process.stdout.write(HELP)
  if (cli.workers > 1 && !platform.spawnWorker)
    fail([`--workers: not available on this runtime${platform.label}; run one process per port, or lmlb on Bun (the binary)`])
  if (cli.version) return void console.log(BUILD_COMMIT ? `${VERSION} (commit ${BUILD_COMMIT})` : `${VERSION} (from source)`)

  // A worker started by the primary (--workers): same arguments, the primary's port.
  const workerIndex = Number(process.env.LMLB_WORKER ?? 0)
  // Workers are part of their primary's instance (its Via hop, its count in Redis): they inherit its id.
  const instance = (process.env.LMLB_INSTANCE_ID ??= crypto.randomUUID())
  nameInstance(instance)
  const sources: Sources = {
    envFile: cli.envFile ?? '.env',
    envFileRequired: cli.envFile !== undefined,
    configFile: cli.config,
    host: cli.host,
    port: process.env.LMLB_WORKER_PORT ?? cli.port,
  }
  const read = () => readConfig(sources, process.env)
  const result = read()
  if (!result.ok) fail(result.errors)
  const { config, warnings } = result
  if (cli.check) {
    console.log(describeConfig(config))
    for (const w of warnings) console.log(`warning: ${w}`)
    return
  }

  if (platform.restartIfNeeded()) return
  const calls = platform.callBound()
  setProcessCallBound(calls.bound)
  const logger = createLogger(config.logLevel, workerIndex > 0 ? `[worker ${workerIndex}] ` : '', undefined, config.logFormat)
  if (workerIndex === 0) for (const w of warnings) logger.warn(w)
  if (workerIndex === 0) {
    const bound = Math.min(calls.bound, config.limits.maxUpstreamCalls)
    const bounds = [
      calls.fetchLimit !== undefined && `fetch limit ${calls.fetchLimit}`,
      bound === config.limits.maxUpstreamCalls && 'LMLB_MAX_UPSTREAM_CALLS',
    ].filter(Boolean)
    logger.info(
      `open files: ${calls.openFiles ?? 'unknown'} → up to ${bound} concurrent streams per process${bounds.length ? ` (${bounds.join(', ')})` : ''}`,
    )
  }
  const runtime = createRuntime(config, logger, read, platform.streamFactory)
  // Loaded only when asked for: with tracing off, none of OpenTelemetry is in memory or on a request's path.
  if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT || process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    void import('./observability/otel').then(
      ({ createTracer, tracesUrl }) => {
        runtime.tracer = createTracer(process.env, VERSION, logger)
        logger.info(`tracing: spans go to ${tracesUrl(process.env)} (OTLP/HTTP)`)
      },
      (error: Error) => logger.error(`tracing: OpenTelemetry could not start: ${error.message}`),
    )
  }
  let server: Listening | undefined
  let cluster: { stop(): Promise<void> } | undefined

  let stopWatching = () => {}
  let stopping = false
  const shutdown = async (why: string) => {
    if (stopping) return
    stopping = true
    stopWatching()
    const grace = runtime.current.config.limits.shutdownGraceMs
    logger.always(`${why}: no new connections; finishing in-flight requests (up to ${grace} ms)`)
    const graceOver = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), grace).unref())
    const drained = Promise.all([server?.stop(), cluster?.stop()])
    if ((await Promise.race([drained, graceOver])) === 'late') {
      logger.warn(`grace of ${grace} ms over: closing the remaining connections`)
      await server?.stop(true)
    }
    await runtime.tracer?.flush().catch(() => {})
    await runtime.shared?.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
  // Without a handler SIGHUP would kill the process; reloading is its job (the primary's, with workers).
  process.on('SIGHUP', () => void (workerIndex === 0 && runtime.reload('SIGHUP')))
  if (workerIndex === 0) {
    stopWatching = reloadOnFileChanges(runtime, sources, process.env, read)
  } else joinCluster(runtime, () => void shutdown('primary gone'))

  const handler = createApp(runtime).fetch
  try {
    server = platform.listen(handler, config.host, config.port, { shared: cli.workers > 1 || workerIndex > 0 })
  } catch (error) {
    fail([`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`])
  }
  if (workerIndex > 0) {
    shareThroughRedis(runtime, config, instance, logger)
    return logger.info('ready')
  }
  if (cli.workers > 1 && platform.spawnWorker) cluster = startCluster(runtime, platform.spawnWorker, cli.workers, server.port, logger)
  shareThroughRedis(runtime, config, instance, logger)
  logger.always(
    `lmlb ${VERSION}${platform.label} listening on http://${server.hostname}:${server.port}${cli.workers > 1 ? ` (${cli.workers} workers)` : ''}`,
  )
}

/** With LMLB_REDIS_URL: what this process learns, every instance learns (beside the workers of this one). Loaded only then. */
function shareThroughRedis(runtime: Runtime, config: Config, instance: string, logger: Logger): void {
  const redis = config.redis
  if (!redis) return
  void Promise.all([import('./cluster/redis'), import('./cluster/redis-limits')]).then(
    ([{ connectShared }, { redisAdmission }]) => {
      const shared = connectShared(redis.url, redis.prefix, instance, runtime, logger)
      shareThrough(runtime, shared.tell)
      runtime.shared = shared
      // Client-key limits hold across instances: counted in Redis while it answers, here when it does not.
      const limitsOf = (key: string) => runtime.current.config.clientLimits.find((l) => l.key === key)
      runtime.admission = redisAdmission(shared.client, shared.prefix, limitsOf, runtime.admission, () => shared.status() === 'connected')
    },
    (error: Error) => logger.error(`shared state: the Redis client could not load: ${error.message}`),
  )
}
