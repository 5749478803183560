/**
 * What of the keys must survive a restart: the keys an operator added
 * through the admin API, and which keys are disabled (why, since when, by
 * whom). Kept as one small JSON file, `keys.json` in LMLB_DATA_DIR, written
 * whole (a temporary file renamed over it, readable by its owner only)
 * when what it holds has changed, at most once a second and when lmlb
 * stops: a crash loses at most the last second. JSON rather than a
 * database: it is read once at start and holds a few lines per added or
 * disabled key; node:fs works alike under Bun and Deno.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Disablement } from '../balancer/health'
import type { Config, ServiceConfig } from '../config/schema'
import type { Logger } from '../observability/log'
import type { ProxyState } from './proxy-state'

export const KEY_STATE_FILE = 'keys.json'

interface Stored {
  version: 1
  /** Per service, the keys added through the admin API, in the order they came, with when. */
  added: Record<string, { value: string; at: number }[]>
  /** `<service>:<hash of the key>` → why it is disabled. */
  disabled: Record<string, Disablement>
}

export class KeyStore {
  /** Per service: added key → when it was added. */
  private readonly added = new Map<string, Map<string, number>>()
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
      const extra = [...(this.added.get(name) ?? new Map()).keys()].filter((value) => !known.has(value))
      const keys = [
        ...configured,
        ...extra.map((value, i) => ({ value, weight: 1, priority: configured.length + i, source: 'admin' as const })),
      ]
      services[name] = extra.length === 0 && configured.length === service.keys.length ? service : { ...service, keys }
    }
    return Object.freeze({ ...config, services })
  }

  addedTo(service: string): ReadonlyMap<string, number> {
    return this.added.get(service) ?? new Map()
  }

  add(service: string, values: readonly string[], at: number): void {
    const keys = this.added.get(service) ?? new Map<string, number>()
    for (const value of values) if (!keys.has(value)) keys.set(value, at)
    this.added.set(service, keys)
  }

  remove(service: string, value: string): boolean {
    return this.added.get(service)?.delete(value) ?? false
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
    for (const [service, keys] of this.added) if (keys.size > 0) stored.added[service] = [...keys].map(([value, at]) => ({ value, at }))
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
        if (Array.isArray(keys)) this.added.set(service, new Map(keys.filter(isAdded).map((k) => [k.value, k.at])))
      for (const [name, d] of Object.entries(stored.disabled ?? {})) if (isDisablement(d)) this.disabled[name] = d
    } catch (error) {
      this.logger.error(`${file} could not be read (${(error as Error).message}): starting with no added or disabled keys`)
    }
  }
}

function isAdded(k: unknown): k is { value: string; at: number } {
  const o = k as { value?: unknown; at?: unknown }
  return typeof o?.value === 'string' && o.value.length > 0 && typeof o.at === 'number'
}

function isDisablement(d: unknown): d is Disablement {
  const o = d as Partial<Disablement>
  return typeof o?.reason === 'string' && typeof o.since === 'number' && (o.by === 'lmlb' || o.by === 'operator')
}
