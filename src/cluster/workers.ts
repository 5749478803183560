/**
 * --workers N: N processes serve one port (SO_REUSEPORT, the kernel spreads
 * connections). The first is the primary: it starts the others, watches the
 * files, and is where /stats, /metrics and reloads meet, so every worker
 * answers for the whole. Each worker balances its own share in exact
 * round-robin; what one process learns reaches all, through the primary: a
 * key or endpoint it cools (a 429, a 5xx, a timeout) or sets aside
 * (401/403), a provider's quota report, a session's pin. Both sides exist
 * before their runtime (they are its group and a teller for its sharing
 * port); they take up their work once it is built.
 */
import type { Admission, Release } from '../balancer/client-budgets'
import { ProxyError } from '../errors'
import type { Logger } from '../observability/log'
import { mergeStats, type Stats } from '../observability/stats'
import type { ProcessGroup, ReloadOutcome } from '../state/ports'
import type { ResponseStore } from '../state/response-store'
import type { Runtime } from '../state/runtime'
import { hearerFor, type SharedEvent, type Teller } from './shared-events'

/** A worker process as the primary holds it (runtime/: the runtime starts it). */
export interface WorkerProcess {
  send(message: unknown): void
  kill(signal?: NodeJS.Signals): void
  exited: Promise<number>
}

/** Starts this program again as worker `index`, with a message channel to it. */
export type SpawnWorker = (index: number, env: Record<string, string>, onMessage: (message: unknown) => void) => WorkerProcess

type Message =
  | { type: 'snapshot'; id: number } // primary → worker: your figures, please
  | { type: 'snapshot-reply'; id: number; stats: Stats }
  | { type: 'collect'; id: number } // worker → primary: everyone's figures, please
  | { type: 'collect-reply'; id: number; stats: Stats }
  | { type: 'reload'; id: number; reason: string } // either way: reload (primary: everyone)
  | { type: 'reload-reply'; id: number; outcome: ReloadOutcome }
  | { type: 'event'; event: SharedEvent } // what one learned: worker → primary → the others; primary → every worker
  | { type: 'admit'; id: number; key: string; model: string } // worker → primary: may this limited key's request go?
  | { type: 'admit-reply'; id: number; refusal?: Refusal }
  | { type: 'release'; admitId: number; tokens: number } // worker → primary: that request is over
  | { type: 'kept'; id: number; op: 'get' | 'delete'; key: string } // worker → primary: a kept response
  | { type: 'kept-reply'; id: number; json?: string; deleted?: boolean }
  | { type: 'keep'; key: string; json: string } // worker → primary: keep this response

const REPLY_TIMEOUT_MS = 2_000
const RESTART_DELAY_MS = 1_000
/** How often the primary keeps a copy of each worker's figures: what a worker killed outright takes with it is at most this old. */
const SNAPSHOT_MS = 5_000

/** Requests awaiting a reply by id, given up after a while (a dead worker must not hang /stats). */
function replies<T>() {
  let next = 0
  const waiting = new Map<number, (value: T | undefined) => void>()
  return {
    ask(send: (id: number) => void): Promise<T | undefined> {
      const id = ++next
      return new Promise((resolve) => {
        const timer = setTimeout(() => (waiting.delete(id), resolve(undefined)), REPLY_TIMEOUT_MS)
        waiting.set(id, (v) => (clearTimeout(timer), resolve(v)))
        send(id)
      })
    },
    answer(id: number, value: T) {
      waiting.get(id)?.(value)
      waiting.delete(id)
    },
  }
}

export interface Primary {
  readonly group: ProcessGroup
  /** Tells every worker what this process learned. */
  readonly tell: Teller
  /** Starts workers 1..count-1 on `port`; their questions are answered from `runtime` (`localStats`: this process's figures). */
  start(runtime: Runtime, localStats: () => Stats, spawnWorker: SpawnWorker, count: number, port: number): void
  stop(): Promise<void>
}

/** In the primary: its workers, as one group with it. */
export function leadWorkers(logger: Logger): Primary {
  const snapshots = replies<Stats>()
  const reloads = replies<ReloadOutcome>()
  const workers: (WorkerProcess | undefined)[] = []
  const figures = keptFigures(workers, snapshots)
  const everyone = figures.everyone
  let stopping = false
  let keeping: ReturnType<typeof setInterval> | undefined
  const group: ProcessGroup = {
    collectStats: everyone,
    async reload(reason, local) {
      const mine = local(reason)
      // Workers read the same files: they take the new configuration, or refuse it, alike.
      if (mine.ok) await Promise.all(workers.map((w) => (w ? reloads.ask((id) => w.send({ type: 'reload', id, reason })) : undefined)))
      return mine
    },
  }
  const tell = (event: SharedEvent, except?: WorkerProcess) => {
    for (const w of workers) if (w && w !== except) w.send({ type: 'event', event })
    return true
  }

  return {
    group,
    tell: (event) => tell(event),
    start(runtime, localStats, spawnWorker, count, port) {
      const hearer = hearerFor(runtime, 'another worker')
      /** What each worker's admitted request releases when it is over, by worker and request. */
      const releases = new Map<string, Release>()
      const start = (index: number) => {
        const worker = spawnWorker(index, { LMLB_WORKER_PORT: String(port) }, async (raw) => {
          const m = raw as Message
          if (m.type === 'snapshot-reply') snapshots.answer(m.id, m.stats)
          else if (m.type === 'reload-reply') reloads.answer(m.id, m.outcome)
          else if (m.type === 'collect') worker.send({ type: 'collect-reply', id: m.id, stats: await everyone(localStats) })
          else if (m.type === 'reload') worker.send({ type: 'reload-reply', id: m.id, outcome: await runtime.reload(m.reason) })
          else if (m.type === 'event') {
            hearer.hear(m.event, true)
            tell(m.event, worker)
          } else if (m.type === 'admit') {
            const budget = runtime.current.budgets.get(m.key)
            const [release, refusal] = budget
              ? await admitted(() => runtime.admission.admit(m.key, budget, m.model))
              : [undefined, undefined]
            if (release) releases.set(`${index}:${m.id}`, release)
            worker.send({ type: 'admit-reply', id: m.id, refusal })
          } else if (m.type === 'release') {
            releases.get(`${index}:${m.admitId}`)?.(m.tokens)
            releases.delete(`${index}:${m.admitId}`)
          } else if (m.type === 'keep') runtime.responses.put(m.key, m.json)
          else if (m.type === 'kept') worker.send({ type: 'kept-reply', id: m.id, ...(await keptOp(runtime, m.op, m.key)) })
        })
        workers[index - 1] = worker
        void worker.exited.then((code) => {
          workers[index - 1] = undefined
          figures.departed(index - 1)
          if (stopping) return
          logger.error(`worker ${index} exited (code ${code}); starting it again in ${RESTART_DELAY_MS} ms`)
          setTimeout(() => stopping || start(index), RESTART_DELAY_MS)
        })
      }
      for (let i = 1; i < count; i++) start(i)
      keeping = setInterval(() => void figures.refresh(), SNAPSHOT_MS)
      ;(keeping as { unref?: () => void }).unref?.()
    },
    async stop() {
      stopping = true
      clearInterval(keeping)
      const running = workers.filter((w): w is WorkerProcess => w !== undefined)
      for (const w of running) w.kill('SIGTERM')
      await Promise.all(running.map((w) => w.exited))
    },
  }
}

/**
 * The workers' figures as the primary holds them: each one's latest (from
 * every /stats, and every SNAPSHOT_MS), and what workers that died had
 * counted, kept, so /stats never goes back.
 */
function keptFigures(workers: readonly (WorkerProcess | undefined)[], snapshots: ReturnType<typeof replies<Stats>>) {
  const latest: (Stats | undefined)[] = []
  let gone: Stats | undefined
  const refresh = () =>
    Promise.all(
      workers.map(async (w, i) => {
        const stats = w ? await snapshots.ask((id) => w.send({ type: 'snapshot', id })) : undefined
        if (stats && workers[i] === w) latest[i] = stats
        return stats
      }),
    )
  return {
    refresh,
    async everyone(local: () => Stats): Promise<Stats> {
      const live = (await refresh()).filter((s): s is Stats => s !== undefined)
      return mergeStats([local(), ...live, ...(gone ? [gone] : [])])
    },
    /** Worker `i` died: its counts stay in the figures; its state (in flight, cooldowns) went with it. */
    departed(i: number): void {
      const last = latest[i]
      latest[i] = undefined
      if (last) gone = mergeStats([countsOnly(last), ...(gone ? [gone] : [])])
    },
  }
}

export interface Follower {
  readonly group: ProcessGroup
  /** Tells the primary (which tells the other workers) what this worker learned. */
  readonly tell: Teller
  /** Limited keys counted in the primary, so a limit holds for all the workers together; here only while it does not answer. */
  admission(local: Admission): Admission
  /** Responses kept in the primary, so a chain goes on whichever worker its next turn reaches; here only while it does not answer. */
  responses(local: ResponseStore): ResponseStore
  /** Answers the primary from `runtime`; `onPrimaryGone` when the channel to it closes. */
  listen(runtime: Runtime, localStats: () => Stats, onPrimaryGone: () => void): void
}

/** In a worker: /stats, /metrics, reloads and limited keys go through the primary. */
export function followPrimary(logger: Logger): Follower {
  const collected = replies<Stats>()
  const reloaded = replies<ReloadOutcome>()
  const answers = replies<{ refusal?: Refusal }>()
  const kept = replies<{ json?: string; deleted?: boolean }>()
  // Once the primary is gone, nothing is sent to it: each question is answered here, at once.
  let alone = false
  const send = (m: Message) => void (alone || process.send!(m))
  const orLocal = <T>(ask: () => Promise<T | undefined>) => (alone ? Promise.resolve(undefined) : ask())
  return {
    group: {
      collectStats: async (local) => (await orLocal(() => collected.ask((id) => send({ type: 'collect', id })))) ?? local(),
      reload: async (reason) =>
        (await orLocal(() => reloaded.ask((id) => send({ type: 'reload', id, reason })))) ?? {
          ok: false,
          errors: ['the primary process did not answer'],
        },
    },
    tell: (event) => (send({ type: 'event', event }), !alone),
    admission: (local) => ({
      async admit(key, budget, model) {
        let admitId = 0
        const answer = await orLocal(() => answers.ask((id) => send({ type: 'admit', id: (admitId = id), key, model })))
        // No answer from the primary (it is restarting): counted here rather than refused.
        if (answer === undefined) return local.admit(key, budget, model)
        if (answer.refusal) throw new ProxyError(answer.refusal.status, answer.refusal.code, answer.refusal.message, answer.refusal.headers)
        return (tokens) => send({ type: 'release', admitId, tokens })
      },
    }),
    responses: (local) => ({
      async get(key) {
        const answer = await orLocal(() => kept.ask((id) => send({ type: 'kept', id, op: 'get', key })))
        return answer ? answer.json : local.get(key)
      },
      put(key, json) {
        if (alone) local.put(key, json)
        else send({ type: 'keep', key, json })
      },
      async delete(key) {
        const answer = await orLocal(() => kept.ask((id) => send({ type: 'kept', id, op: 'delete', key })))
        return answer ? answer.deleted === true : local.delete(key)
      },
    }),
    listen(runtime, localStats, onPrimaryGone) {
      const hearer = hearerFor(runtime, 'another worker')
      process.on('message', (raw) => {
        const m = raw as Message
        if (m.type === 'snapshot') send({ type: 'snapshot-reply', id: m.id, stats: localStats() })
        else if (m.type === 'reload') send({ type: 'reload-reply', id: m.id, outcome: runtime.reloadHere(m.reason) })
        else if (m.type === 'collect-reply') collected.answer(m.id, m.stats)
        else if (m.type === 'reload-reply') reloaded.answer(m.id, m.outcome)
        else if (m.type === 'event') hearer.hear(m.event, true)
        else if (m.type === 'admit-reply') answers.answer(m.id, { refusal: m.refusal })
        else if (m.type === 'kept-reply') kept.answer(m.id, { json: m.json, deleted: m.deleted })
      })
      process.on('disconnect', () => {
        alone = true
        onPrimaryGone()
      })
    },
  }
}

type Refusal = { status: number; code: string; message: string; headers: Record<string, string> }

/** A kept response read or deleted in the primary's store, for a worker. */
async function keptOp(runtime: Runtime, op: 'get' | 'delete', key: string): Promise<{ json?: string; deleted?: boolean }> {
  return op === 'get' ? { json: await runtime.responses.get(key) } : { deleted: await runtime.responses.delete(key) }
}

/** A dead worker's figures as they still count: its counts; nothing in flight, no state of targets, no process. */
function countsOnly(stats: Stats): Stats {
  const calm = { state: 'healthy' as const, consecutive_failures: 0, cooldown_remaining_ms: 0 }
  const services = Object.fromEntries(
    Object.entries(stats.load_balancer_stats).map(([name, s]) => [
      name,
      {
        ...s,
        keys: s.keys.map((k) => ({ ...k, in_flight: 0, health: calm })),
        endpoint_stats: s.endpoint_stats.map((e) => ({ ...e, in_flight: 0, health: calm })),
        affinity: { ...s.affinity, pinned_sessions: 0 },
      },
    ]),
  )
  return { ...stats, workers: 0, shared: undefined, load_balancer_stats: services }
}

/** An admission's release, or its refusal as it crosses the IPC channel (a ProxyError does not). */
async function admitted(admit: () => Release | Promise<Release>): Promise<[Release | undefined, Refusal | undefined]> {
  try {
    return [await admit(), undefined]
  } catch (error) {
    if (!(error instanceof ProxyError)) throw error
    return [undefined, { status: error.status, code: error.code, message: error.message, headers: error.headers }]
  }
}
