/**
 * An answer given before the request's body was all read (a 413), sent
 * with `Connection: close`: the rest of the body is read and thrown away
 * for a bounded time before the connection closes, as nginx's lingering
 * close does. Closing at once, with body bytes still arriving, makes the
 * kernel reset the connection, and the client sees a broken pipe instead
 * of the answer.
 */
import { after, cancel } from '../upstream/deadlines'
import { watchGaps } from '../upstream/watch-gaps'

/** The longest the rest of a refused body is read for (nginx's lingering_time). */
export const LINGER_MS = 30_000

export function lingerAfter(answer: Response, rest: ReadableStreamDefaultReader<Uint8Array>, gapMs: number): Response {
  const headers = new Headers(answer.headers)
  headers.set('connection', 'close')
  // The answer goes out at once; the response ends, and the runtime closes the connection, once the body has stopped coming.
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(new Uint8Array(await answer.arrayBuffer()))
      await discard(rest, gapMs)
      controller.close()
    },
  })
  return new Response(body, { status: answer.status, headers })
}

/** Reads to the end, a gap of `gapMs`, or LINGER_MS in all, whichever comes first. */
async function discard(reader: ReadableStreamDefaultReader<Uint8Array>, gapMs: number): Promise<void> {
  const stop = () => void reader.cancel().catch(() => {})
  const gap = watchGaps(gapMs, stop)
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
