/**
 * The Responses API names each stream event by its `type`, as Anthropic's
 * do, and has no `[DONE]`: clients (Codex, the OpenAI SDK) dispatch on the
 * name and parse one JSON per event.
 */
import { expect, test } from 'bun:test'
import type { ResponsesEvent } from '../../../src/apis/openai-responses/wire'
import { encodeResponsesEvents } from '../../../src/apis/openai-responses/events'
import { SseDecoder } from '../../../src/sse/decode'

test('each event named by its type, its whole JSON one data line; nothing after the last', () => {
  const events = [
    {
      type: 'response.output_text.delta',
      sequence_number: 3,
      item_id: 'msg_1',
      output_index: 0,
      content_index: 0,
      delta: 'x\ny',
      logprobs: [],
    },
    {
      type: 'response.output_text.done',
      sequence_number: 4,
      item_id: 'msg_1',
      output_index: 0,
      content_index: 0,
      text: 'x\ny',
      logprobs: [],
    },
  ] as ResponsesEvent[]
  const sse = encodeResponsesEvents(events)
  expect(sse.split('\n\n')).toEqual([
    `event: response.output_text.delta\ndata: ${JSON.stringify(events[0])}`,
    `event: response.output_text.done\ndata: ${JSON.stringify(events[1])}`,
    '',
  ])
  expect(sse).not.toContain('[DONE]')
  const d = new SseDecoder()
  expect([...d.push(sse), ...d.end()].map((e) => [e.event, JSON.parse(e.data)])).toEqual(events.map((e) => [e.type, e]))
})

test('no events: nothing written', () => {
  expect(encodeResponsesEvents([])).toBe('')
})
