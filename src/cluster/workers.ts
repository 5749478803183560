/**
 * --workers N: N processes serve one port (SO_REUSEPORT, the kernel spreads
 * connections). The first is the primary: it starts the others, watches the
 * files, and is where /stats, /metrics and reloads meet, so every worker
 * answers for the whole. Each worker balances its own share in exact
 * round-robin; what one process learns reaches all, through the primary: a
 * key or endpoint it cools (a 429, a 5xx, a timeout) or sets aside
 * (401/403), a provider's quota report, a session's pin.
 */
import type { Stats } from '../observability/stats'
import { mergeStats } from '../observability/stats'
import type { Logger } from '../observability/log'
import type { Platform, WorkerProcess } from '../runtime/platform'
import { adoptEvent, shareThrough, type SharedEvent } from './shared-events'
import type { Release } from '../balancer/client-budgets'
import { ProxyError } from '../errors'
import type { ReloadOutcome, Runtime } from '../state/state'

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

const REPLY_TIMEOUT_MS = 2_000
const RESTART_DELAY_MS = 1_000

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

/** In the primary: starts workers 1..count-1 and makes `runtime` speak for all of them. */
export function startCluster(
  runtime: Runtime,
  spawnWorker: NonNullable<Platform['spawnWorker']>,
  count: number,
  port: number,
  logger: Logger,
): { stop(): Promise<void> } {
  const localReload = runtime.reload.bind(runtime)
  const localStats = runtime.collectStats.bind(runtime)
  const snapshots = replies<Stats>()
  const reloads = replies<ReloadOutcome>()
  const workers: (WorkerProcess | undefined)[] = []
  let stopping = false

  const everyone = async (): Promise<Stats> => {
    const theirs = await Promise.all(workers.map((w) => (w ? snapshots.ask((id) => w.send({ type: 'snapshot', id })) : undefined)))
    return mergeStats([await localStats(), ...theirs.filter((s): s is Stats => s !== undefined)])
  }
  const reloadAll = async (reason: string): Promise<ReloadOutcome> => {
    const mine = await localReload(reason)
    // Workers read the same files: they take the new configuration, or refuse it, alike.
    if (mine.ok) await Promise.all(workers.map((w) => (w ? reloads.ask((id) => w.send({ type: 'reload', id, reason })) : undefined)))
    return mine
  }
  runtime.collectStats = everyone
  runtime.reload = reloadAll
  const tell = (event: SharedEvent, except?: WorkerProcess) => {
    for (const w of workers) if (w && w !== except) w.send({ type: 'event', event })
    return true
  }
  shareThrough(runtime, (event) => tell(event))
  /** What each worker's admitted request releases when it is over, by worker and request. */
  const releases = new Map<string, Release>()

  const start = (index: number) => {
    const worker = spawnWorker(index, { LMLB_WORKER_PORT: String(port) }, async (raw) => {
      const m = raw as Message
      if (m.type === 'snapshot-reply') snapshots.answer(m.id, m.stats)
      else if (m.type === 'reload-reply') reloads.answer(m.id, m.outcome)
      else if (m.type === 'collect') worker.send({ type: 'collect-reply', id: m.id, stats: await everyone() })
      else if (m.type === 'reload') worker.send({ type: 'reload-reply', id: m.id, outcome: await reloadAll(m.reason) })
      else if (m.type === 'event') {
        adoptEvent(runtime, m.event, logger, Date.now(), true, 'another worker')
        tell(m.event, worker)
      } else if (m.type === 'admit') {
        const [release, refusal] = await admitted(() => runtime.admission.admit(m.key, m.model))
        if (release) releases.set(`${index}:${m.id}`, release)
        worker.send({ type: 'admit-reply', id: m.id, refusal })
      } else if (m.type === 'release') {
        releases.get(`${index}:${m.admitId}`)?.(m.tokens)
        releases.delete(`${index}:${m.admitId}`)
      }
    })
    workers[index - 1] = worker
    void worker.exited.then((code) => {
      workers[index - 1] = undefined
      if (stopping) return
      logger.error(`worker ${index} exited (code ${code}); starting it again in ${RESTART_DELAY_MS} ms`)
      setTimeout(() => stopping || start(index), RESTART_DELAY_MS)
    })
  }
  for (let i = 1; i < count; i++) start(i)

  return {
    async stop() {
      stopping = true
      const running = workers.filter((w): w is WorkerProcess => w !== undefined)
      for (const w of running) w.kill('SIGTERM')
      await Promise.all(running.map((w) => w.exited))
    },
  }
}

/** In a worker: /stats, /metrics and reloads go through the primary. */
export function joinCluster(runtime: Runtime, onPrimaryGone: () => void): void {
  const localReload = runtime.reload.bind(runtime)
  const localStats = runtime.collectStats.bind(runtime)
  const collected = replies<Stats>()
  const reloaded = replies<ReloadOutcome>()
  const send = (m: Message) => process.send!(m)
  process.on('message', async (raw) => {
    const m = raw as Message
    if (m.type === 'snapshot') send({ type: 'snapshot-reply', id: m.id, stats: await localStats() })
    else if (m.type === 'reload') send({ type: 'reload-reply', id: m.id, outcome: await localReload(m.reason) })
    else if (m.type === 'collect-reply') collected.answer(m.id, m.stats)
    else if (m.type === 'reload-reply') reloaded.answer(m.id, m.outcome)
    else if (m.type === 'event') adoptEvent(runtime, m.event, runtime.logger, Date.now(), true, 'another worker')
    else if (m.type === 'admit-reply') answers.answer(m.id, { refusal: m.refusal })
  })
  shareThrough(runtime, (event) => (send({ type: 'event', event }), true))
  // Limited keys are counted in the primary, so a limit holds for all the workers together.
  const answers = replies<{ refusal?: Refusal }>()
  const local = runtime.admission
  runtime.admission = {
    async admit(key, model) {
      let admitId = 0
      const answer = await answers.ask((id) => send({ type: 'admit', id: (admitId = id), key, model }))
      // No answer from the primary (it is restarting): counted here rather than refused.
      if (answer === undefined) return local.admit(key, model)
      if (answer.refusal) throw new ProxyError(answer.refusal.status, answer.refusal.code, answer.refusal.message, answer.refusal.headers)
      return (tokens) => send({ type: 'release', admitId, tokens })
    },
  }
  process.on('disconnect', onPrimaryGone)
  runtime.collectStats = async () => (await collected.ask((id) => send({ type: 'collect', id }))) ?? (await localStats())
  runtime.reload = async (reason) =>
    (await reloaded.ask((id) => send({ type: 'reload', id, reason }))) ?? { ok: false, errors: ['the primary process did not answer'] }
}

type Refusal = { status: number; code: string; message: string; headers: Record<string, string> }

/** An admission's release, or its refusal as it crosses the IPC channel (a ProxyError does not). */
async function admitted(admit: () => Release | Promise<Release>): Promise<[Release | undefined, Refusal | undefined]> {
  try {
    return [await admit(), undefined]
  } catch (error) {
    if (!(error instanceof ProxyError)) throw error
    return [undefined, { status: error.status, code: error.code, message: error.message, headers: error.headers }]
  }
}
