/**
 * Round-robin over a fixed list. JavaScript runs one handler at a time, so
 * advancing the cursor is atomic: N picks over K items give each N/K, ±1,
 * however many requests are in flight.
 */
export class RoundRobin<T> {
  private cursor = 0

  constructor(readonly items: readonly T[]) {}

  /** The next item in turn; with `usable`, the next one it accepts (undefined if none). */
  next(usable?: (item: T) => boolean): T | undefined {
    const n = this.items.length
    for (let tried = 0; tried < n; tried++) {
      const item = this.items[this.cursor]
      this.cursor = this.cursor + 1 === n ? 0 : this.cursor + 1
      if (!usable || usable(item)) return item
    }
    return undefined
  }
}
