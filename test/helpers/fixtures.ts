/**
 * Upstream streams kept as SSE text (test/fixtures/streams/, whose README
 * says what each holds and how it was made), and the way a translator is fed
 * one as lmlb feeds it.
 */
import { readFileSync } from 'node:fs'
import type { SseEvent } from '../../src/sse/decode'
import type { StreamTranslator } from '../../src/translation/pair'
import { sseEvents } from './requests'

/** The stream `test/fixtures/streams/<name>.sse`, as text. */
export function streamFixture(name: string): string {
  return readFileSync(new URL(`../fixtures/streams/${name}.sse`, import.meta.url), 'utf8')
}

/** The client's SSE events for an upstream stream: each upstream event pushed through a pair's stream translator, then its end. */
export function throughPair<Context, State>(stream: StreamTranslator<Context, State>, context: Context, upstream: string): SseEvent[] {
  const state = stream.start(context)
  return sseEvents(
    sseEvents(upstream)
      .map((e) => stream.push(e.data, state))
      .join('') + stream.finish(state),
  )
}
