/**
 * Session pins: which key and endpoint served a conversation last, so its
 * next turn goes there while the provider's prompt cache lives. A bounded
 * LRU (a Map keeps insertion order: a touched pin moves to the end, the
 * first is the least recently used), so a client inventing a session per
 * request cannot grow memory; expired pins go when met.
 */
export interface Pin {
  service: string
  /** The model as routed: an alias pins its deployment too. */
  model: string
  /** The key's value (undefined for a keyless service) and the endpoint's URL: what a reload keeps or drops. */
  key?: string
  endpoint: string
  expiresAt: number
  /** When other instances were last told of it (with Redis): a pin in use is told again before their copy expires. */
  sharedAt?: number
}

export class PinTable {
  private readonly pins = new Map<string, Pin>()

  /** Settable: a reload may change LMLB_AFFINITY_MAX_SESSIONS; the table shrinks at its next pin. */
  constructor(public max: number) {}

  get(id: string, now: number): Pin | undefined {
    const pin = this.pins.get(id)
    if (pin === undefined) return undefined
    this.pins.delete(id)
    if (pin.expiresAt <= now) return undefined
    this.pins.set(id, pin)
    return pin
  }

  set(id: string, pin: Pin): void {
    this.pins.delete(id)
    this.pins.set(id, pin)
    for (const oldest of this.pins.keys()) {
      if (this.pins.size <= this.max) break
      this.pins.delete(oldest)
    }
  }

  /**
   * A pin read back from another instance: taken unless this table holds one
   * for the session that lasts longer, or is full (what it reads at a
   * reconnect must not push out the sessions this instance serves).
   */
  adopt(id: string, pin: Pin): void {
    const mine = this.pins.get(id)
    if (mine === undefined ? this.pins.size < this.max : mine.expiresAt < pin.expiresAt) this.set(id, pin)
  }

  get size(): number {
    return this.pins.size
  }

  /** Live pins per service (for /stats; walks the table, never on a request's path). */
  countByService(now: number): Map<string, number> {
    const counts = new Map<string, number>()
    for (const pin of this.pins.values()) if (pin.expiresAt > now) counts.set(pin.service, (counts.get(pin.service) ?? 0) + 1)
    return counts
  }
}
