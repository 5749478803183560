/**
 * SSE encoding by the rules: whatever the data holds, a decoder must read
 * back the same event (multi-line data as several `data:` lines), and an
 * event name can never carry a line break (it would forge a second field).
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { SseDecoder } from '../../src/sse/decode'
import { encodeJsonEvent, encodeSse } from '../../src/sse/encode'

function decodeAll(text: string) {
  const d = new SseDecoder()
  return [...d.push(text), ...d.end()]
}

const eventName = fc.option(
  fc.string({ unit: 'binary', minLength: 1 }).filter((s) => !/[\r\n]/.test(s)),
  { nil: undefined },
)

describe('encodeSse', () => {
  test('for any data and name, a decoder reads back one event with that name and that data (line ends as LF)', () => {
    fc.assert(
      fc.property(eventName, fc.string({ unit: 'binary' }), (event, data) => {
        const events = decodeAll(encodeSse(event, data))
        expect(events).toHaveLength(1)
        expect(events[0].event).toBe(event)
        expect(events[0].data).toBe(data.replace(/\r\n|\r/g, '\n'))
      }),
    )
  })

  test('one line per data line, whatever the line ends; the event ended by a blank line', () => {
    expect(encodeSse('message', 'a\r\nb\rc\nd')).toBe('event: message\ndata: a\ndata: b\ndata: c\ndata: d\n\n')
    expect(encodeSse(undefined, 'x')).toBe('data: x\n\n')
    expect(encodeSse(undefined, '')).toBe('data: \n\n')
    expect(encodeSse(undefined, 'end\n')).toBe('data: end\ndata: \n\n')
  })

  test('an event name with a line break is refused, by both encoders', () => {
    for (const name of ['a\nb', 'a\rb', 'ping\r\n']) {
      expect(() => encodeSse(name, 'x')).toThrow('SSE event name must not contain a line break')
      expect(() => encodeJsonEvent(name, {})).toThrow('SSE event name must not contain a line break')
    }
  })
})

describe('encodeJsonEvent', () => {
  test('for any JSON value, one data line that parses back to it', () => {
    fc.assert(
      fc.property(eventName, fc.jsonValue(), (event, value) => {
        const text = encodeJsonEvent(event, value)
        expect(text.split('\n').filter((l) => l.startsWith('data: '))).toHaveLength(1)
        const [decoded] = decodeAll(text)
        expect(decoded.event).toBe(event)
        expect(JSON.parse(decoded.data)).toEqual(JSON.parse(JSON.stringify(value)))
      }),
    )
  })

  test('strings with line breaks stay escaped on the one line', () => {
    expect(encodeJsonEvent('error', { message: 'a\nb' })).toBe('event: error\ndata: {"message":"a\\nb"}\n\n')
  })
})
