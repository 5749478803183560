/**
 * What of the keys must survive a restart: the keys an operator added
 * through the admin API, and which keys are disabled (why, since when, by
 * whom). Kept as one small JSON file, `keys.json` in LMLB_DATA_DIR, written
 * whole (a temporary file renamed over it, readable by its owner only)
 * when what it holds has changed, at most once a second and when lmlb
 * stops: a crash loses at most the last second. JSON rather than a
 * database: it is read once at start and holds a few lines per added or
 * disabled key; node:fs works alike under Bun and Deno.
 *
 * The added keys are a set where the latest word on each key wins (added
 * at, or deleted at: a deletion is kept as such), so that instances which
 * each added or deleted keys merge into the same set whatever the order
 * they hear of it (cluster/shared-events.ts).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Disablement } from '../balancer/health'
import type { Config, ServiceConfig } from '../config/schema'
import type { Logger } from '../observability/log'
import type { ProxyState } from './proxy-state'

export const KEY_STATE_FILE = 'keys.json'

/** One key's latest word: added at `at`, or deleted at `at`. */
export interface AddedKey {
  value: string
  at: number
  deleted?: true
}

interface Stored {
  version: 1
  /** Per service, the keys added through the admin API (and those deleted since), in the order they came. */
  added: Record<string, AddedKey[]>
  /** `<service>:<hash of the key>` → why it is disabled. */
  disabled: Record<string, Disablement>
}

export class KeyStore {
  /** Per service: key → its latest word. */
  private readonly added = new Map<string, Map<string, AddedKey>>()
  private disabled: Record<string, Disablement> = {}
  private written = ''

  /** `dir` undefined: kept in memory only (in-process tests, benches). */
  constructor(
    private readonly dir: string | undefined,
    private readonly logger: Logger,
  ) {
    if (dir) this.read(join(dir, KEY_STATE_FILE))
  }

  /** `config` with the added keys in their services (after the configured ones, which win a tie). */
  withAdded(config: Config): Config {
    const services: Record<string, ServiceConfig> = {}
    for (const [name, service] of Object.entries(config.services)) {
      const configured = service.keys.filter((k) => k.source !== 'admin')
      const known = new Set(configured.map((k) => k.value))
      const extra = [...this.addedTo(name).keys()].filter((value) => !known.has(value))
      const keys = [
        ...configured,
        ...extra.map((value, i) => ({ value, weight: 1, priority: configured.length + i, source: 'admin' as const })),
      ]
      services[name] = extra.length === 0 && configured.length === service.keys.length ? service : { ...service, keys }
    }
    return Object.freeze({ ...config, services })
  }

  /** The keys added to `service` and not deleted since, with when. */
  addedTo(service: string): ReadonlyMap<string, number> {
    const out = new Map<string, number>()
    for (const k of this.added.get(service)?.values() ?? []) if (!k.deleted) out.set(k.value, k.at)
    return out
  }

  /** Every word on `service`'s keys, deletions included: what another instance needs to merge. */
  words(service: string): AddedKey[] {
    return [...(this.added.get(service)?.values() ?? [])]
  }

  /** The services with any word on their keys. */
  services(): string[] {
    return [...this.added.keys()]
  }

  add(service: string, values: readonly string[], at: number): void {
    this.merge(
      service,
      values.map((value) => ({ value, at })),
    )
  }

  remove(service: string, value: string, at: number): void {
    this.merge(service, [{ value, at, deleted: true }])
  }

  /** Takes the words that are newer than this store's; true when any was. */
  merge(service: string, words: readonly AddedKey[]): boolean {
    const keys = this.added.get(service) ?? new Map<string, AddedKey>()
    this.added.set(service, keys)
    let changed = false
    for (const word of words) {
      const known = keys.get(word.value)
      if (known && (known.at > word.at || (known.at === word.at && (known.deleted ?? false) >= (word.deleted ?? false)))) continue
      keys.set(word.value, word.deleted ? { value: word.value, at: word.at, deleted: true } : { value: word.value, at: word.at })
      changed = true
    }
    return changed
  }

  /** A new state's keys take the disables kept from before the restart (once: later, the state's own are the truth). */
  restoreDisabled(state: ProxyState): void {
    for (const pool of state.pools.values())
      for (const key of pool.keys.items) {
        const d = this.disabled[`${pool.service.name}:${key.hash}`]
        if (d) key.health.disable(d)
      }
    this.disabled = {}
  }

  /** Writes what `state` holds, if it changed since the last write. */
  save(state: ProxyState): void {
    if (!this.dir) return
    const stored: Stored = { version: 1, added: {}, disabled: {} }
    for (const [service, keys] of this.added) if (keys.size > 0) stored.added[service] = [...keys.values()]
    for (const pool of state.pools.values())
      for (const key of pool.keys.items) {
        const d = key.health.disabled()
        if (d) stored.disabled[`${pool.service.name}:${key.hash}`] = d
      }
    const text = JSON.stringify(stored, null, 1)
    if (text === this.written) return
    try {
      mkdirSync(this.dir, { recursive: true })
      const file = join(this.dir, KEY_STATE_FILE)
      const tmp = `${file}.${process.pid}.tmp`
      writeFileSync(tmp, text, { mode: 0o600 })
      chmodSync(tmp, 0o600)
      renameSync(tmp, file)
      this.written = text
    } catch (error) {
      this.logger.error(`key states could not be saved in ${this.dir} (LMLB_DATA_DIR): ${(error as Error).message}`)
      this.written = text // said once per change, not every second
    }
  }

  private read(file: string): void {
    if (!existsSync(file)) return
    try {
      const stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<Stored>
      for (const [service, keys] of Object.entries(stored.added ?? {}))
        if (Array.isArray(keys)) this.merge(service, keys.filter(isAddedKey))
      for (const [name, d] of Object.entries(stored.disabled ?? {})) if (isDisablement(d)) this.disabled[name] = d
    } catch (error) {
      this.logger.error(`${file} could not be read (${(error as Error).message}): starting with no added or disabled keys`)
    }
  }
}

/** A word on an added key, as keys.json or another instance says it (checked: a stranger's value must not throw later). */
export function isAddedKey(k: unknown): k is AddedKey {
  const o = k as { value?: unknown; at?: unknown; deleted?: unknown }
  return typeof o?.value === 'string' && o.value.length > 0 && Number.isFinite(o.at) && (o.deleted === undefined || o.deleted === true)
}

function isDisablement(d: unknown): d is Disablement {
  const o = d as Partial<Disablement>
  return typeof o?.reason === 'string' && typeof o.since === 'number' && (o.by === 'lmlb' || o.by === 'operator')
}
