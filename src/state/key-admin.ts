/**
 * What an operator does to keys while lmlb runs (the admin API, http/
 * admin-keys.ts): list them, add a batch, disable, enable, check one now,
 * delete one added before. A key is named by its id (a hash of its service
 * and value), never its value, and shown masked. Adding and deleting swap
 * in a new state whole, as a reload does; every change is told to the
 * other processes and kept across restarts (key-store.ts).
 */
import { keyId, type KeyTarget, type ServicePool } from '../balancer/service-pool'
import { headerValueProblem } from '../config/header-value'
import { MOCK_SERVICE } from '../config/defaults'
import type { CheckFinding } from '../upstream/key-check'
import type { AddedKey } from './key-store'
import { createState, type ProxyState } from './proxy-state'
import type { Runtime } from './runtime'

/** The most keys one request may add: a larger batch is refused whole, before anything is added. */
export const MAX_BATCH = 10_000
/** Longer than any provider's key: a paste gone wrong. */
const MAX_KEY_CHARS = 1_024

export interface KeyView {
  id: string
  service: string
  /** Masked: `sk-...wxyz`. */
  key: string
  /** Where it comes from: the configuration files and environment, or the admin API. */
  source: 'config' | 'admin'
  state: 'active' | 'cooling' | 'disabled'
  /** While disabled: why, since when, by whom. */
  reason: string | null
  since: string | null
  by: 'lmlb' | 'operator' | null
  cooldown_remaining_ms: number
  last_error: { at: string; kind: string } | null
  last_check: { at: string; ok: boolean; status: number | null; message: string } | null
  requests: number
  errors: number
  added_at: string | null
}

export function viewOf(pool: ServicePool, key: KeyTarget, addedAt: number | undefined, now = Date.now()): KeyView {
  const disabled = key.health.disabled()
  const health = key.health.state(now)
  const { lastError } = key.counters
  const last = key.check.last
  return {
    id: key.id,
    service: pool.service.name,
    key: key.masked,
    source: key.source,
    state: disabled ? 'disabled' : health === 'cooling' ? 'cooling' : 'active',
    reason: disabled?.reason ?? key.health.asideFor(now) ?? null,
    since: disabled ? iso(disabled.since) : null,
    by: disabled?.by ?? null,
    cooldown_remaining_ms: Math.max(0, key.health.cooledUntil() - now),
    last_error: lastError ? { at: iso(lastError.at), kind: lastError.kind } : null,
    last_check: last ? { at: iso(last.at), ok: last.ok, status: last.status ?? null, message: last.message } : null,
    requests: key.counters.requests,
    errors: Object.values(key.counters.errors).reduce((a, b) => a + b, 0),
    added_at: key.source === 'admin' && addedAt !== undefined ? iso(addedAt) : null,
  }
}

export interface ListQuery {
  service?: string
  state?: KeyView['state']
  offset: number
  limit: number
}

/** Keys in service and pool order, filtered, one page of them; `total`: how many match. */
export function listKeys(runtime: Runtime, q: ListQuery): { total: number; keys: KeyView[] } {
  const out: KeyView[] = []
  let total = 0
  const now = Date.now()
  for (const pool of runtime.current.pools.values()) {
    if (q.service !== undefined && pool.service.name !== q.service) continue
    const added = runtime.keyStore.addedTo(pool.service.name)
    for (const key of pool.keys.items) {
      if (q.state !== undefined && stateOf(key, now) !== q.state) continue
      if (total++ >= q.offset && out.length < q.limit) out.push(viewOf(pool, key, added.get(key.value), now))
    }
  }
  return { total, keys: out }
}

export type Found = { pool: ServicePool; key: KeyTarget }

export function findKey(state: ProxyState, id: string): Found | undefined {
  for (const pool of state.pools.values()) {
    const key = pool.keyById.get(id)
    if (key) return { pool, key }
  }
  return undefined
}

export interface AddOutcome {
  added: string[]
  duplicates: number
  /** 1-based positions of entries that are no key (empty lines are skipped, not counted). */
  invalid: number[]
}

/**
 * Adds `entries` to `service` (trimmed; duplicates of keys it has, or of
 * earlier entries, counted and skipped). `check`: each new key starts
 * disabled ("unchecked") and is checked at once; it serves once its check
 * passes. Returns undefined for a service lmlb does not have.
 */
export function addKeys(runtime: Runtime, service: string, entries: readonly string[], check: boolean): AddOutcome | undefined {
  const pool = runtime.current.pools.get(service)
  if (!pool || service === MOCK_SERVICE) return undefined
  const known = new Set(pool.keys.items.map((k) => k.value))
  const fresh: string[] = []
  const outcome: AddOutcome = { added: [], duplicates: 0, invalid: [] }
  entries.forEach((entry, i) => {
    const value = entry.trim()
    if (!isKey(value)) outcome.invalid.push(i + 1)
    else if (known.has(value)) outcome.duplicates++
    else known.add(value), fresh.push(value)
  })
  if (fresh.length === 0) return outcome
  const now = Date.now()
  runtime.keyStore.add(service, fresh, now)
  swapState(runtime)
  runtime.sharing.keysChanged(service, runtime.keyStore.words(service))
  const next = runtime.current.pools.get(service)!
  const added = fresh.map((value) => next.keyById.get(keyId(service, value))!)
  outcome.added = added.map((k) => k.id)
  runtime.logger.always(`${service}: ${fresh.length} key(s) added through the admin API${check ? ', each checked before use' : ''}`)
  if (check) {
    for (const key of added) key.health.disable({ reason: 'unchecked', since: now, by: 'lmlb' })
    void checkAll(runtime, next, added)
  }
  return outcome
}

/** The operator takes a key out of rotation; no check brings it back, only an operator's enable. */
export function disableKey(runtime: Runtime, { pool, key }: Found, reason = 'operator'): void {
  const now = Date.now()
  const disabled = { reason, since: now, by: 'operator' as const }
  if (!key.health.disable(disabled)) return
  runtime.sharing.keyChanged({ service: pool.service.name, key: key.value, disabled, at: now })
  runtime.logger.always(`${pool.service.name}: key ${key.masked} disabled by an operator (${reason})`)
}

export function enableKey(runtime: Runtime, { pool, key }: Found): void {
  const now = Date.now()
  const was = key.health.disabled()
  if (!key.health.enable(now)) return
  runtime.sharing.keyChanged({ service: pool.service.name, key: key.value, at: now, enabledBy: 'operator' })
  runtime.logger.always(`${pool.service.name}: key ${key.masked} enabled by an operator (was disabled: ${was?.reason})`)
}

export function checkNow(runtime: Runtime, { pool, key }: Found): Promise<CheckFinding> | undefined {
  return runtime.keyChecks?.checkNow(pool, key)
}

/** Deletes a key added through the admin API ('configured': it comes from the configuration, and stays). */
export function deleteKey(runtime: Runtime, { pool, key }: Found): 'deleted' | 'configured' {
  if (key.source !== 'admin') return 'configured'
  runtime.keyStore.remove(pool.service.name, key.value, Date.now())
  swapState(runtime)
  runtime.sharing.keysChanged(pool.service.name, runtime.keyStore.words(pool.service.name))
  runtime.logger.always(`${pool.service.name}: key ${key.masked} deleted through the admin API`)
  return 'deleted'
}

/**
 * What another process said of `service`'s added keys, merged here (the
 * latest word on each key wins). Where this process knows words the other
 * did not, it tells its own, so every instance and Redis end up holding
 * the same set.
 */
export function adoptAddedKeys(runtime: Runtime, service: string, words: readonly AddedKey[], from: string): void {
  if (runtime.current.pools.has(service) && runtime.keyStore.merge(service, words)) {
    swapState(runtime)
    runtime.logger.info(`${service}: keys added or deleted through the admin API of ${from} taken in`)
  }
  const mine = runtime.keyStore.words(service)
  const theirs = new Map(words.map((w) => [w.value, w]))
  if (mine.some((w) => theirs.get(w.value)?.at !== w.at)) runtime.sharing.keysChanged(service, mine)
}

/** The keys' new set takes effect as a reload's would: a new state, its targets' counters and health carried over. */
function swapState(runtime: Runtime): void {
  runtime.current = createState(runtime.keyStore.withAdded(runtime.current.config), runtime.current)
}

async function checkAll(runtime: Runtime, pool: ServicePool, keys: KeyTarget[]): Promise<void> {
  const queue = [...keys]
  const worker = async () => {
    for (let key = queue.shift(); key; key = queue.shift()) await runtime.keyChecks?.checkNow(pool, key)
  }
  await Promise.all(Array.from({ length: pool.service.keyPolicy.checks.concurrency }, worker))
}

function isKey(value: string): boolean {
  return value.length > 0 && value.length <= MAX_KEY_CHARS && !/\s/.test(value) && headerValueProblem(value) === undefined
}

function stateOf(key: KeyTarget, now: number): KeyView['state'] {
  if (key.health.disabled()) return 'disabled'
  return key.health.state(now) === 'cooling' ? 'cooling' : 'active'
}

const iso = (ms: number) => new Date(ms).toISOString()
