/**
 * argv and environment → configuration → the runtime, every part of it
 * built and handed in before the server listens → app → port; signals,
 * reloads, workers. The same on every runtime: what differs comes in as a
 * Platform.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { createApp } from './app'
import { localAdmission } from './balancer/client-budgets'
import { HELP, parseCli, type CliOptions } from './cli'
import { redisAdmission } from './cluster/redis-limits'
import { redisLink, type RedisLink } from './cluster/redis-link'
import { redisResponses } from './cluster/redis-responses'
import { redisUsage } from './cluster/redis-usage'
import { hearerFor, sharingThrough, type Teller } from './cluster/shared-events'
import { claimPort, formerOwner, watchOwner } from './cluster/port-owner'
import { followPrimary, leadWorkers, type Follower, type Primary } from './cluster/workers'
import { describeConfig } from './config/describe'
import type { Env, LoadResult } from './config/load'
import type { Config, Limits } from './config/schema'
import { readConfig, type Sources } from './config/sources'
import { unhandledError } from './http/errors'
import { createLogger, type Logger } from './observability/log'
import { tracerLoadedBy, type RequestTracer } from './observability/tracing'
import type { Listening, Platform } from './runtime/platform'
import { reloadOnFileChanges } from './state/file-reloads'
import { createKeyChecks } from './state/key-checks'
import { KeyStore } from './state/key-store'
import { createModelRefresh } from './state/model-refresh'
import { NOT_SHARED, type KeyChange } from './state/ports'
import { keptBounds, MemoryResponseStore, type ResponseStore } from './state/response-store'
import { HOURLY_DAYS, USAGE_FILE, UsageStore } from './state/usage-store'
import { createRuntime, type Runtime } from './state/runtime'
import { BUILD_COMMIT, stats, VERSION } from './status/status'
import { CallSlots } from './upstream/call-slots'
import { Hop } from './upstream/via'

const EXIT_USAGE = 2

function fail(lines: string[]): never {
  for (const line of lines) console.error(`lmlb: ${line}`)
  process.exit(EXIT_USAGE)
}

export function start(platform: Platform) {
  const cli = options(platform)
  if (!cli) return
  // A worker started by the primary (--workers): same arguments, the primary's port.
  const workerIndex = Number(process.env.LMLB_WORKER ?? 0)
  const { sources, read } = configuration(cli, process.env, process.env.LMLB_WORKER_PORT)
  const result = read()
  if (!result.ok) fail(result.errors)
  if (cli.check) {
    // The keys added through the admin API, shown apart from the configured ones.
    const store = new KeyStore(
      result.config.dataDir,
      createLogger('error', '', (line) => console.error(line)),
    )
    console.log(describeConfig(store.withAdded(result.config)))
    for (const w of result.warnings) console.log(`warning: ${w}`)
    return
  }
  if (platform.restartIfNeeded()) return
  // Workers are part of their primary's instance (its Via hop, its count in Redis): they inherit its id.
  process.env.LMLB_INSTANCE_ID ??= crypto.randomUUID()
  // The port may still be held by the workers of an lmlb whose primary died: this one shares it, and they drain.
  const former = workerIndex === 0 && result.config.port > 0 ? formerOwner(result.config.dataDir, result.config.port) : undefined
  const shared = former !== undefined
  const launched = launch(platform, { loaded: result, read, sources, env: process.env, workers: cli.workers, workerIndex, shared })
  if (shared)
    launched.runtime.logger.info(
      `port ${result.config.port} was lmlb process ${former}'s: shared with its workers, if any, until they drain`,
    )
  const { runtime, server, primary, follower } = launched
  const shutdown = onSignals(runtime, server, primary, launched.stopBackground, workerIndex === 0)
  // A worker outlives its primary: it serves on alone until a new lmlb takes the port, then drains (cluster/port-owner.ts).
  const primaryPid = process.ppid
  follower?.listen(
    runtime,
    () => stats(runtime),
    () => {
      runtime.logger.warn(
        'the primary process is gone: serving on alone (no reloads, figures of this process only) until a new lmlb takes the port',
      )
      watchOwner(runtime.current.config.dataDir, server.port, primaryPid, () => void shutdown('a new lmlb took the port'))
    },
  )
  if (workerIndex > 0) return runtime.logger.info('ready')
  // A primary leaves workers behind when it dies; one that took their port over tells them to go.
  if (cli.workers > 1 || shared) claimPort(runtime.current.config.dataDir, server.port)
  if (primary && platform.spawnWorker) primary.start(runtime, () => stats(runtime), platform.spawnWorker, cli.workers, server.port)
  const workers = cli.workers > 1 ? ` (${cli.workers} workers)` : ''
  runtime.logger.always(`lmlb ${VERSION}${platform.label} listening on http://${server.hostname}:${server.port}${workers}`)
}

/** Where the configuration comes from, and how to read it (again, on a reload). `dir`: where relative paths start. */
export function configuration(cli: CliOptions, env: Env, workerPort?: string, dir?: string): { sources: Sources; read: () => LoadResult } {
  const sources: Sources = {
    envFile: cli.envFile ?? '.env',
    envFileRequired: cli.envFile !== undefined,
    configFile: cli.config,
    host: cli.host,
    port: workerPort ?? cli.port,
    dir,
  }
  return { sources, read: () => readConfig(sources, env) }
}

export interface LaunchOptions {
  loaded: Extract<LoadResult, { ok: true }>
  read: () => LoadResult
  sources: Sources
  env: Env
  workers: number
  workerIndex: number
  /** Listen beside another process on the port (SO_REUSEPORT) even with no workers of its own. */
  shared?: boolean
  /** Where log lines go (default: stderr). */
  write?: (line: string) => void
}

/**
 * lmlb serving: its runtime, every part of it built and handed in before the
 * server listens, then the port and the watch on its files. What a process
 * does around it (signals, workers, exit) is start's; a test launches it in
 * its own process.
 */
export function launch(platform: Platform, o: LaunchOptions) {
  const { config, warnings } = o.loaded
  const { env, workerIndex } = o
  const logger = createLogger(config.logLevel, workerIndex > 0 ? `[worker ${workerIndex}] ` : '', o.write, config.logFormat)
  if (workerIndex === 0) for (const w of warnings) logger.warn(w)
  const calls = callSlots(platform, config, logger, workerIndex === 0)
  const instance = env.LMLB_INSTANCE_ID ?? crypto.randomUUID()
  const primary = workerIndex === 0 && o.workers > 1 ? leadWorkers(logger) : undefined
  const follower = workerIndex > 0 ? followPrimary(logger) : undefined
  const redis = config.redis && redisLink(config.redis, instance, logger)
  const tellers = [primary?.tell ?? follower?.tell, redis?.tell].filter((t): t is Teller => t !== undefined)
  // Client-key limits hold across workers (counted in the primary) and instances (in Redis, while it answers).
  const here = redis ? redisAdmission(redis, localAdmission) : localAdmission
  const hop = new Hop(instance)
  const sharing = tellers.length > 0 ? sharingThrough(tellers, redis) : NOT_SHARED
  // The runtime's own port, which counts each key's change in its figures before telling the others.
  const counted = { keyChanged: (c: KeyChange) => runtime.sharing.keyChanged(c), claimCheck: sharing.claimCheck }
  const keyChecks = createKeyChecks({ current: () => runtime.current, logger, sharing: counted, hop })
  // Every process keeps the upstreams' model lists its own GET /v1/models reads.
  const modelRefresh = createModelRefresh(() => runtime.current, hop)
  const runtime = createRuntime({
    config,
    logger,
    read: o.read,
    streams: platform.streamFactory,
    calls,
    hop,
    tracer: tracer(env, logger),
    sharing,
    admission: follower ? follower.admission(here) : here,
    group: (primary ?? follower)?.group,
    keyChecks,
    modelRefresh,
    keyStore: new KeyStore(config.dataDir, logger),
    responses: keptResponses(redis, follower, () => runtime.current.config),
    usageStore: config.keepUsage ? openUsageStore(platform, config.dataDir, () => runtime.current.config.limits, logger) : undefined,
    // Every instance's usage, budgets and key caps, where they share a Redis.
    sharedUsage: redis
      ? redisUsage(
          redis,
          () => ({ hourly: HOURLY_DAYS, daily: runtime.current.config.limits.usageDays }),
          () => runtime.current.config.limits.requestsShared,
        )
      : undefined,
  })
  redis?.connect(hearerFor(runtime))
  const server = serve(platform, runtime, config, o.workers > 1 || workerIndex > 0 || o.shared === true)
  // The first process of an instance watches its files and checks its keys; its workers hear what it finds.
  const stopWatching = workerIndex === 0 ? reloadOnFileChanges(runtime, o.sources, env, o.read) : () => {}
  if (workerIndex === 0) keyChecks.start()
  const stopSaving = workerIndex === 0 ? saveKeyStates(runtime) : () => {}
  const stopFlushing = flushUsage(runtime)
  const stopBackground = () => (stopWatching(), keyChecks.stop(), stopSaving(), modelRefresh.stop(), stopFlushing())
  return { runtime, server, primary, follower, stopBackground }
}

/** Where Responses are kept: a worker's in its primary; an instance's in its memory, and in Redis when it shares one. */
function keptResponses(redis: RedisLink | undefined, follower: Follower | undefined, config: () => Config): ResponseStore {
  const here = new MemoryResponseStore(() => keptBounds(config()))
  if (follower) return follower.responses(here)
  return redis ? redisResponses(redis, here, () => keptBounds(config()).ttlMs) : here
}

/** The usage store in LMLB_DATA_DIR; none (said once) where the file cannot be opened: usage is then counted for /stats only. */
function openUsageStore(platform: Platform, dataDir: string, limits: () => Limits, logger: Logger): UsageStore | undefined {
  const path = join(dataDir, USAGE_FILE)
  try {
    mkdirSync(dataDir, { recursive: true })
    return new UsageStore(
      platform.openDatabase(path),
      () => limits().usageDays,
      () => limits().requestsDays,
    )
  } catch (error) {
    logger.error(`usage: cannot open ${path} (${(error as Error).message}); usage is counted in /stats only, not kept`)
    return undefined
  }
}

/** Usage held in memory written every LMLB_USAGE_FLUSH_S (and at the end: closeUsage). */
function flushUsage(runtime: Runtime): () => void {
  let timer: ReturnType<typeof setTimeout>
  const next = () => {
    timer = setTimeout(() => (runtime.usage.flushLogged(), next()), runtime.current.config.limits.usageFlushS * 1000)
    ;(timer as { unref?: () => void }).unref?.()
  }
  next()
  return () => clearTimeout(timer)
}

/** What the requests that ended since the last flush spent, written (and shared), then the store closed: once requests are drained. */
export async function closeUsage(runtime: Runtime): Promise<void> {
  try {
    await runtime.usage.settled()
  } catch (error) {
    runtime.logger.error(`usage: could not write to the usage store: ${(error as Error).message}`)
  }
  runtime.usageStore?.close()
}

/** Key states written to LMLB_DATA_DIR when they change (looked at every second), and once more at the end. */
function saveKeyStates(runtime: Runtime): () => void {
  const save = () => runtime.keyStore.save(runtime.current)
  const timer = setInterval(save, 1_000)
  ;(timer as { unref?: () => void }).unref?.()
  return () => (clearInterval(timer), save())
}

/** The command line: --help and --version answered here (undefined: nothing more to do). */
function options(platform: Platform): CliOptions | undefined {
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
  return cli
}

/** This process's bound on upstream calls, and (said once, by the primary) what sets it. */
function callSlots(platform: Platform, config: Config, logger: Logger, say: boolean): CallSlots {
  const calls = platform.callBound()
  if (say) {
    const bound = Math.min(calls.bound, config.limits.maxUpstreamCalls)
    const bounds = [
      calls.fetchLimit !== undefined && `fetch limit ${calls.fetchLimit}`,
      bound === config.limits.maxUpstreamCalls && 'LMLB_MAX_UPSTREAM_CALLS',
    ].filter(Boolean)
    const why = bounds.length ? ` (${bounds.join(', ')})` : ''
    logger.info(`open files: ${calls.openFiles ?? 'unknown'} → up to ${bound} concurrent streams per process${why}`)
  }
  return new CallSlots(calls.bound)
}

/** Traces when OTEL_EXPORTER_OTLP_ENDPOINT asks for them; with tracing off, none of OpenTelemetry is in memory or on a request's path. */
function tracer(env: Env, logger: Logger): RequestTracer | undefined {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined
  return tracerLoadedBy(
    async () => {
      const { createTracer, tracesUrl } = await import('./observability/otel')
      const created = createTracer(env, VERSION, logger)
      logger.info(`tracing: spans go to ${tracesUrl(env)} (OTLP/HTTP)`)
      return created
    },
    (error) => logger.error(`tracing: OpenTelemetry could not start: ${error.message}`),
  )
}

function serve(platform: Platform, runtime: Runtime, config: Config, shared: boolean): Listening {
  try {
    return platform.listen(createApp(runtime).fetch, config.host, config.port, { shared, onError: unhandledError })
  } catch (error) {
    fail([`cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`])
  }
}

/**
 * SIGTERM and SIGINT stop accepting and let what is in flight finish, within
 * the grace; SIGHUP reloads (the primary's job, with workers). Returns the
 * shutdown, for a worker whose primary is gone.
 */
function onSignals(runtime: Runtime, server: Listening, primary: Primary | undefined, stopBackground: () => void, reloads: boolean) {
  const { logger } = runtime
  let stopping = false
  const shutdown = async (why: string) => {
    if (stopping) return
    stopping = true
    stopBackground()
    const grace = runtime.current.config.limits.shutdownGraceMs
    logger.always(`${why}: no new connections; finishing in-flight requests (up to ${grace} ms)`)
    const graceOver = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), grace).unref())
    const drained = Promise.all([server.stop(), primary?.stop()])
    if ((await Promise.race([drained, graceOver])) === 'late') {
      logger.warn(`grace of ${grace} ms over: closing the remaining connections`)
      await server.stop(true)
    }
    await closeUsage(runtime)
    await runtime.tracer?.flush().catch(() => {})
    await runtime.sharing.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
  // Without a handler SIGHUP would kill the process.
  process.on('SIGHUP', () => void (reloads && runtime.reload('SIGHUP')))
  return shutdown
}
