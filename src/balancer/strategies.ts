/**
 * How a pool chooses among its members, skipping the ones `usable` refuses:
 * - round-robin: in turn (the seed's; exact: N picks over K give N/K ±1);
 * - weighted: in proportion to weight, smoothly interleaved (nginx's smooth
 *   weighted round-robin: 3:1 gives a a b a, a a b a, ... exactly);
 * - least-busy: the one with fewest calls in flight, ties in turn;
 * - priority: always the first usable by priority (lowest first), the next
 *   only when it cannot serve: cheapest first;
 * - most-remaining: the one whose provider reports the largest share of its
 *   rate limits left (`share`), ties in turn; members that report none
 *   (endpoints) count as 1, so among them it is round-robin.
 * JavaScript runs one handler at a time, so a pick is atomic however many
 * requests are in flight.
 */
import type { Strategy } from '../config/schema'
import { RoundRobin } from './round-robin'

export interface Member {
  weight: number
  priority: number
  /** Calls under way, for least-busy. */
  inFlight(): number
  /**
   * The share of its rate limits left (0..1), for most-remaining; absent
   * counts as 1. It reads the time itself (a key's reads the pick's `now`).
   */
  share?(): number
}

export interface Selector<T> {
  readonly items: readonly T[]
  next(usable?: (item: T) => boolean): T | undefined
}

export function createSelector<T extends Member>(strategy: Strategy, items: readonly T[]): Selector<T> {
  switch (strategy) {
    case 'round-robin':
      return new RoundRobin(items)
    case 'weighted':
      return new SmoothWeighted(items)
    case 'least-busy':
      return new BestInTurn(items, (m) => -m.inFlight())
    case 'priority':
      return new Priority(items)
    case 'most-remaining':
      // Members without a quota (endpoints) count as full: plain round-robin among them.
      return new BestInTurn(items, (m) => m.share?.() ?? 1)
  }
}

class SmoothWeighted<T extends Member> implements Selector<T> {
  private readonly current: number[]

  constructor(readonly items: readonly T[]) {
    this.current = items.map(() => 0)
  }

  next(usable?: (item: T) => boolean): T | undefined {
    let total = 0
    let best = -1
    for (let i = 0; i < this.items.length; i++) {
      const item = this.items[i]
      if (usable && !usable(item)) continue
      this.current[i] += item.weight
      total += item.weight
      if (best === -1 || this.current[i] > this.current[best]) best = i
    }
    if (best === -1) return undefined
    this.current[best] -= total
    return this.items[best]
  }
}

/** The usable member that scores highest; ties in turn (the scan starts after the last pick), so equals share the load. */
class BestInTurn<T extends Member> implements Selector<T> {
  private cursor = 0

  constructor(
    readonly items: readonly T[],
    private readonly score: (item: T) => number,
  ) {}

  next(usable?: (item: T) => boolean): T | undefined {
    const n = this.items.length
    let best: number | undefined
    let bestScore = -Infinity
    for (let k = 0; k < n; k++) {
      const i = (this.cursor + k) % n
      const item = this.items[i]
      if (usable && !usable(item)) continue
      const score = this.score(item)
      if (best === undefined || score > bestScore) {
        best = i
        bestScore = score
      }
    }
    if (best === undefined) return undefined
    this.cursor = (best + 1) % n
    return this.items[best]
  }
}

class Priority<T extends Member> implements Selector<T> {
  private readonly ordered: readonly T[]

  constructor(readonly items: readonly T[]) {
    // Stable: equal priorities keep their listed order.
    this.ordered = [...items].sort((a, b) => a.priority - b.priority)
  }

  next(usable?: (item: T) => boolean): T | undefined {
    return this.ordered.find((item) => !usable || usable(item))
  }
}
