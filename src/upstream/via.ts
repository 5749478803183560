/**
 * An endpoint that points back at lmlb (SERVICE_ENDPOINTS naming lmlb's own
 * address, or two instances naming each other) would send each request
 * round for ever. Every call lmlb makes upstream carries `Via: 1.1
 * lmlb-<id>` (RFC 9110, appended to the client's own), the id this
 * instance's (its workers share it); a request that arrives with it has come
 * back.
 */
export class Hop {
  private readonly token: string

  /** `instance`: this instance's id (start.ts: the one its workers inherit). */
  constructor(instance: string) {
    this.token = `lmlb-${instance.slice(0, 12)}`
  }

  /** The Via header for a call upstream: the client's hops, then this one. */
  header(client: string | null): string {
    return client ? `${client}, 1.1 ${this.token}` : `1.1 ${this.token}`
  }

  /** Whether a request has been through this instance already. */
  cameBack(headers: Headers): boolean {
    return headers.get('via')?.includes(this.token) ?? false
  }
}
