/**
 * What the runtime is handed at start besides its configuration, each a
 * port whose implementation lives elsewhere: how a process shares what it
 * learns (cluster/: workers, Redis), and how a group of worker processes
 * answers for the whole (cluster/workers.ts). Each exists before the server
 * listens; what connects later (Redis) connects behind it.
 */
import type { Disablement } from '../balancer/health'
import type { Pin } from '../balancer/pins'
import type { AddedKey } from './key-store'
import type { KeyTarget } from '../balancer/service-pool'
import type { SharedFigures, Stats } from '../observability/stats'

/** A key or endpoint this process cooled or set aside, for the others to do the same. */
export interface CooledTarget {
  service: string
  /** The key's value, or for a keyless service the endpoint's URL. */
  key?: string
  /** Instead of `key` where it leaves the process for another host (Redis): a hash of the value. */
  keyHash?: string
  endpoint?: string
  /** Until when it cools (epoch ms). */
  until: number
}

/** A key disabled (why, since when, by whom) or enabled again (`disabled` absent) at `at`. */
export interface KeyChange {
  service: string
  /** The key's value; a hash of it where it leaves the process for another host. */
  key?: string
  keyHash?: string
  disabled?: Disablement
  /** For an enable told here: what brought the key back (`check`, `operator`, `lmlb` finding the endpoint to blame); counted, not told on. */
  enabledBy?: 'check' | 'operator' | 'lmlb'
  at: number
}

/** What this process tells the others (the workers of its instance, other instances) of what it learned. */
export interface Sharing {
  cooled(target: CooledTarget): void
  /** A key was disabled or enabled here. */
  keyChanged(change: KeyChange): void
  /** The keys added to (or deleted from) `service` through the admin API: every word on them, for the others to merge. */
  keysChanged(service: string, words: readonly AddedKey[]): void
  /** May this process check the key now? False when another instance claimed it for `ms` (Redis); true alone. */
  claimCheck(service: string, keyHash: string, ms: number): Promise<boolean>
  /** A provider reported what a key has left (its quota holds the report). */
  quota(service: string, key: KeyTarget): void
  /** A session was pinned; false when it could not be told now (Redis away): told again at the session's next turn. */
  pinned(id: string, pin: Pin): boolean
  /** With Redis: whether it answers, and how many instances share through it. */
  figures(): SharedFigures | undefined
  close(): Promise<void>
}

/** One process alone: nothing to tell. */
export const NOT_SHARED: Sharing = {
  cooled() {},
  keyChanged() {},
  keysChanged() {},
  claimCheck: async () => true,
  quota() {},
  pinned: () => true,
  figures: () => undefined,
  close: async () => {},
}

export type ReloadOutcome = { ok: true; loadedAt: number } | { ok: false; errors: string[] }

/** With --workers: figures and reloads for the whole group, through the primary. */
export interface ProcessGroup {
  /** Every process's figures added up; `local` gives this one's. */
  collectStats(local: () => Stats): Promise<Stats>
  /** A reload everywhere; `local` reloads this process. */
  reload(reason: string, local: (reason: string) => ReloadOutcome): Promise<ReloadOutcome>
}
