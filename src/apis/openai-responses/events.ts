/** The Responses API's stream on the wire: each event named by its `type`, as Anthropic's are. */
import { encodeJsonEvent } from '../../sse/encode'
import type { ResponsesEvent } from './wire'

export function encodeResponsesEvents(events: ResponsesEvent[]): string {
  let out = ''
  for (const e of events) out += encodeJsonEvent(e.type, e)
  return out
}
