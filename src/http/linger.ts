/**
 * An answer given before the request's body was all read (a 413), sent
 * at once with `Connection: close`. The rest of the body is then read and
 * thrown away before the answer ends and the connection closes, as nginx's
 * lingering close does: closing at once, with body bytes still arriving,
 * makes the kernel reset the connection, and the client sees a broken pipe
 * instead of the answer. The answer ends (its last chunk sent) once the
 * body has ended, or the client has sent nothing for LINGER_GAP_MS (one
 * that declared a body and holds it back, waiting for the answer), or after
 * LINGER_MS in all. Bun sends a stream's answer chunked whatever length it
 * is given, so the end of the answer waits for the end of the lingering.
 *
 * (A request with `Expect: 100-continue` is told `100 Continue` by Bun.serve
 * itself, before lmlb sees it: the runtime does not let lmlb answer such a
 * request with its 413 in place of the 100.)
 */
import { errorBody, type WireApi } from '../apis'
import type { ProxyError } from '../errors'
import { after, cancel } from '../upstream/deadlines'
import { watchGaps } from '../upstream/watch-gaps'

/** The longest the rest of a refused body is read for (nginx's lingering_time). */
export const LINGER_MS = 30_000
/** The longest silence while it is (nginx's lingering_timeout is 5 s): a client that sends nothing more is let go sooner. */
export const LINGER_GAP_MS = 1_000

export function lingerAfter(api: WireApi, error: ProxyError, rest: ReadableStreamDefaultReader<Uint8Array>): Response {
  const bytes = new TextEncoder().encode(JSON.stringify(errorBody(api, error.status, error.code, error.message)))
  const headers = new Headers(error.headers)
  headers.set('content-type', 'application/json;charset=utf-8')
  headers.set('connection', 'close')
  // The answer goes out at once; the response ends, and the runtime closes the connection, once the body has stopped coming.
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(bytes)
      await discard(rest)
      controller.close()
    },
  })
  return new Response(body, { status: error.status, headers })
}

/** Reads to the end, a silence of LINGER_GAP_MS, or LINGER_MS in all, whichever comes first. */
async function discard(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
  const stop = () => void reader.cancel().catch(() => {})
  const gap = watchGaps(LINGER_GAP_MS, stop)
  const total = after(LINGER_MS, stop)
  try {
    for (;;) {
      const { done } = await reader.read()
      if (done) return
      gap.saw()
    }
  } catch {
    // The client went away: nothing left to wait for.
  } finally {
    gap.stop()
    cancel(total)
  }
}
