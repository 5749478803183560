/**
 * Where the Responses API's stored responses are kept (apis/openai-responses/kept.ts
 * says what one holds), as JSON text by id. The port is asynchronous: the
 * store may be this process's memory, Redis shared by several instances
 * (cluster/redis-responses.ts), or with --workers the primary's
 * (cluster/workers.ts). Nothing of it is written to disk.
 *
 * In memory it is bounded three ways: a count, a total of bytes, and a
 * time to live since its last use; past a bound the least recently used
 * goes first (a Map keeps insertion order: a touched entry moves to the end).
 */
export interface ResponseStore {
  get(id: string): Promise<string | undefined>
  /** Fire-and-forget: a request never waits for it. */
  put(id: string, json: string): void
  /** Whether it was there. */
  delete(id: string): Promise<boolean>
}

import type { Config } from '../config/schema'

export interface StoreBounds {
  maxCount: number
  maxBytes: number
  ttlMs: number
}

/** The bounds the configuration sets (LMLB_RESPONSES_KEPT*). */
export function keptBounds({ limits }: Config): StoreBounds {
  return { maxCount: limits.responsesKept, maxBytes: limits.responsesKeptMb * 1024 * 1024, ttlMs: limits.responsesKeptS * 1000 }
}

interface Entry {
  json: string
  expiresAt: number
}

export class MemoryResponseStore implements ResponseStore {
  private readonly entries = new Map<string, Entry>()
  private bytes = 0

  /** `bounds` is read at every write: a reload's new bounds apply from the next one. */
  constructor(
    private readonly bounds: () => StoreBounds,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): { count: number; bytes: number } {
    return { count: this.entries.size, bytes: this.bytes }
  }

  async get(id: string): Promise<string | undefined> {
    return this.take(id)
  }

  /** The entry, touched (its life starts again), or undefined when it is not here or has expired. */
  take(id: string): string | undefined {
    const entry = this.entries.get(id)
    if (entry === undefined) return undefined
    this.remove(id, entry)
    const now = this.now()
    if (entry.expiresAt <= now) return undefined
    this.add(id, entry.json, now)
    return entry.json
  }

  put(id: string, json: string): void {
    const old = this.entries.get(id)
    if (old) this.remove(id, old)
    this.add(id, json, this.now())
    this.trim()
  }

  async delete(id: string): Promise<boolean> {
    const entry = this.entries.get(id)
    if (entry === undefined) return false
    this.remove(id, entry)
    return entry.expiresAt > this.now()
  }

  private add(id: string, json: string, now: number): void {
    this.entries.set(id, { json, expiresAt: now + this.bounds().ttlMs })
    this.bytes += json.length
  }

  private remove(id: string, entry: Entry): void {
    this.entries.delete(id)
    this.bytes -= entry.json.length
  }

  /** Oldest first, until within every bound (an entry alone over the bytes goes too). */
  private trim(): void {
    const { maxCount, maxBytes } = this.bounds()
    const now = this.now()
    for (const [id, entry] of this.entries) {
      if (this.entries.size <= maxCount && this.bytes <= maxBytes && entry.expiresAt > now) break
      this.remove(id, entry)
    }
  }
}
