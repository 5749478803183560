/**
 * An endpoint that points back at lmlb (SERVICE_ENDPOINTS naming lmlb's own
 * address, or two instances naming each other) would send each request
 * round for ever. Every call lmlb makes upstream carries `Via: 1.1
 * lmlb-<id>` (RFC 9110, appended to the client's own), the id this
 * instance's (its workers share it); a request that arrives with it has come
 * back.
 */
let token = `lmlb-${crypto.randomUUID().slice(0, 12)}`

/** Names this instance (start.ts: the id its workers inherit). */
export function nameInstance(id: string): void {
  token = `lmlb-${id.slice(0, 12)}`
}

/** The Via header for a call upstream: the client's hops, then this one. */
export function viaHeader(client: string | null): string {
  return client ? `${client}, 1.1 ${token}` : `1.1 ${token}`
}

/** Whether a request has been through this instance already. */
export function cameBack(headers: Headers): boolean {
  return headers.get('via')?.includes(token) ?? false
}
