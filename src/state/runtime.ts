/**
 * The live state holder, built once before the server listens: the
 * current state (each request takes it at its start and keeps it to its
 * end; a reload swaps it whole), and everything a request uses besides,
 * handed in: how bodies stream, the bound on upstream calls, this
 * instance's hop, the tracer, the sharing and admission ports, the group
 * of worker processes. Nothing is assigned to it afterwards but a reload's
 * new state.
 */
import { localAdmission, type Admission } from '../balancer/client-budgets'
import type { LoadResult } from '../config/load'
import type { Config } from '../config/schema'
import type { Logger } from '../observability/log'
import type { RequestTracer } from '../observability/tracing'
import { webStream, type StreamFactory } from '../upstream/byte-stream'
import { CallSlots } from '../upstream/call-slots'
import { Hop } from '../upstream/via'
import type { KeyChecks } from './key-checks'
import { KeyStore } from './key-store'
import type { ModelRefresh } from './model-refresh'
import { NOT_SHARED, type ProcessGroup, type ReloadOutcome, type Sharing } from './ports'
import { createState, type ProxyState } from './proxy-state'
import { keptBounds, MemoryResponseStore, type ResponseStore } from './response-store'
import { UsageLedger } from './usage-ledger'
import type { SharedUsage } from './usage-rows'
import type { UsageStore } from './usage-store'

export interface Runtime {
  current: ProxyState
  /** The last refused reload, shown in /health until a reload succeeds. */
  lastError?: { at: number; errors: string[] }
  readonly logger: Logger
  readonly startedAt: number
  /** How a response body is made of a byte source (the runtime's fastest way). */
  readonly streams: StreamFactory
  /** This process's bound on upstream calls in flight. */
  readonly calls: CallSlots
  /** This instance's `Via` hop (its workers share it). */
  readonly hop: Hop
  /** With OTEL_EXPORTER_OTLP_ENDPOINT: traces (OpenTelemetry loads behind it). */
  readonly tracer?: RequestTracer
  readonly sharing: Sharing
  /** Where limited client keys are counted: here, in Redis, or (a worker) in the primary. */
  readonly admission: Admission
  /** With --workers: figures and reloads for the whole group. */
  readonly group?: ProcessGroup
  /** Background checks of disabled keys, and a check on demand (the admin API). */
  readonly keyChecks?: KeyChecks
  /** The keys added through the admin API, and what is kept of key states across restarts. */
  readonly keyStore: KeyStore
  /** The upstreams' model lists, kept fresh in the background once a client asked for them. */
  readonly modelRefresh?: ModelRefresh
  /** What each request spent: counted for /stats, and kept where a usage store is open (state/usage-ledger.ts). */
  readonly usage: UsageLedger
  /** The usage store, where one is open (LMLB_DATA_DIR/usage.sqlite). */
  readonly usageStore?: UsageStore
  /** The Responses API's stored responses (proxy/kept-responses.ts): here, in Redis, or (a worker) in the primary. */
  readonly responses: ResponseStore
  /** Reads the configuration again and swaps it in whole, or refuses it: everywhere, with --workers. */
  reload(reason: string): ReloadOutcome | Promise<ReloadOutcome>
  /** The same in this process alone (with --workers, the primary asks each worker for it). */
  reloadHere(reason: string): ReloadOutcome
}

export interface RuntimeParts {
  config: Config
  logger: Logger
  /** Reads the configuration anew, for a reload. */
  read: () => LoadResult
  streams?: StreamFactory
  calls?: CallSlots
  hop?: Hop
  tracer?: RequestTracer
  sharing?: Sharing
  admission?: Admission
  group?: ProcessGroup
  keyChecks?: KeyChecks
  keyStore?: KeyStore
  modelRefresh?: ModelRefresh
  responses?: ResponseStore
  usageStore?: UsageStore
  /** The clock usage and spend budgets count by (a test's own; Date.now otherwise). */
  usageClock?: () => number
  /** Usage shared with other instances (Redis). */
  sharedUsage?: SharedUsage
}

export function createRuntime(parts: RuntimeParts): Runtime {
  const { group } = parts
  const keyStore = parts.keyStore ?? new KeyStore(undefined, parts.logger)
  const runtime: Runtime = {
    current: createState(keyStore.withAdded(parts.config)),
    logger: parts.logger,
    startedAt: Date.now(),
    streams: parts.streams ?? webStream,
    calls: parts.calls ?? new CallSlots(),
    hop: parts.hop ?? new Hop(crypto.randomUUID()),
    tracer: parts.tracer,
    sharing: countingKeyChanges(parts.sharing ?? NOT_SHARED, () => runtime.current),
    admission: parts.admission ?? localAdmission,
    group,
    keyChecks: parts.keyChecks,
    keyStore,
    modelRefresh: parts.modelRefresh,
    usage: new UsageLedger(() => runtime.current, {
      store: parts.usageStore,
      shared: parts.sharedUsage,
      logger: parts.logger,
      now: parts.usageClock,
    }),
    usageStore: parts.usageStore,
    responses: parts.responses ?? new MemoryResponseStore(() => keptBounds(runtime.current.config)),
    reload: (reason) => (group ? group.reload(reason, runtime.reloadHere) : runtime.reloadHere(reason)),
    reloadHere: (reason) => reloadLocally(runtime, parts.read, reason),
  }
  keyStore.restoreDisabled(runtime.current)
  return runtime
}

/** The sharing port, each key disabled or enabled here counted in its service's figures first. */
function countingKeyChanges(sharing: Sharing, current: () => ProxyState): Sharing {
  return {
    ...sharing,
    keyChanged: (change) => {
      current().keyEvents.get(change.service)?.record(change)
      sharing.keyChanged({ ...change, enabledBy: undefined })
    },
  }
}

/**
 * A reload in this process: the configuration read again and swapped in
 * whole, or refused. The new one is fully validated first; requests in
 * flight finish on the state they started with; counters and cooldowns of
 * keys and endpoints that remain carry over.
 */
function reloadLocally(runtime: Runtime, read: () => LoadResult, reason: string): ReloadOutcome {
  const { logger } = runtime
  const next = read()
  if (!next.ok) {
    runtime.lastError = { at: Date.now(), errors: next.errors }
    logger.error(`reload (${reason}) refused, the running configuration stays:\n  ${next.errors.join('\n  ')}`)
    return { ok: false, errors: next.errors }
  }
  const before = runtime.current.config
  if (next.config.host !== before.host || next.config.port !== before.port) {
    logger.warn(`reload (${reason}): a new host or port takes a restart; still listening on ${before.host}:${before.port}`)
  }
  runtime.current = createState(runtime.keyStore.withAdded(next.config), runtime.current)
  runtime.lastError = undefined
  logger.level = next.config.logLevel
  logger.format = next.config.logFormat
  for (const w of next.warnings) logger.warn(w)
  logger.always(`configuration reloaded (${reason})`)
  return { ok: true, loadedAt: runtime.current.loadedAt }
}
