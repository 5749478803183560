/** Anthropic's stream on the wire: each event named by its `type`, its JSON as the data. */
import { encodeJsonEvent } from '../../sse/encode'
import type { AnthropicEvent } from './wire'

export function encodeAnthropicEvents(events: AnthropicEvent[]): string {
  let out = ''
  for (const e of events) out += encodeJsonEvent(e.type, e)
  return out
}
