/**
 * Anthropic's SDK dispatches stream events by their SSE name and parses the
 * data: each event must be named by its `type` and carry its whole JSON on
 * one `data:` line, in order, each ended by a blank line.
 */
import { expect, test } from 'bun:test'
import { encodeAnthropicEvents } from '../../../src/apis/anthropic-messages/events'
import { SseDecoder } from '../../../src/sse/decode'

const decode = (sse: string) => {
  const d = new SseDecoder()
  return [...d.push(sse), ...d.end()]
}

test('each event named by its type, its JSON as the data, in order', () => {
  const events = [
    { type: 'message_start', message: { id: 'msg_1', usage: { input_tokens: 3, output_tokens: 0 } } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'a\nb "c"' } },
    { type: 'message_stop' },
  ]
  const sse = encodeAnthropicEvents(events)
  expect(sse).toBe(
    'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":3,"output_tokens":0}}}\n\n' +
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\\nb \\"c\\""}}\n\n' +
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
  )
  expect(decode(sse).map((e) => ({ event: e.event, data: JSON.parse(e.data) }))).toEqual(events.map((e) => ({ event: e.type, data: e })))
})

test('no events: nothing written (no stray blank line, no [DONE])', () => {
  expect(encodeAnthropicEvents([])).toBe('')
})
