/** The usage chunk a Chat stream's client did not ask for: asked for, and held back, however the bytes are cut. */
import { expect, test } from 'bun:test'
import type { ByteSource } from '../../src/upstream/byte-stream'
import { askingForUsage, withoutUsageEvent } from '../../src/upstream/unasked-usage'

const enc = new TextEncoder()
const dec = new TextDecoder()

function sourceOf(parts: string[]): ByteSource {
  const queue = parts.map((p) => enc.encode(p))
  return { next: async () => queue.shift() ?? null, cancel: () => {} }
}

async function read(source: ByteSource): Promise<{ text: string; reads: string[] }> {
  const reads: string[] = []
  for (let chunk = await source.next(); chunk !== null; chunk = await source.next()) reads.push(dec.decode(chunk))
  return { text: reads.join(''), reads }
}

const text1 = 'data: {"id":"c","choices":[{"index":0,"delta":{"content":"hi"}}],"usage":null}\n\n'
const stop = 'data: {"id":"c","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}\n\n'
const usage = 'data: {"id":"c","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3}}\n\n'
const done = 'data: [DONE]\n\n'

test('asking: a stream without include_usage gets it (other stream_options kept); one that asked, or no stream, is left alone', () => {
  expect(askingForUsage({ stream: true, model: 'm' })).toEqual({ stream: true, model: 'm', stream_options: { include_usage: true } })
  expect(askingForUsage({ stream: true, stream_options: { include_obfuscation: false } })).toMatchObject({
    stream_options: { include_obfuscation: false, include_usage: true },
  })
  expect(askingForUsage({ stream: true, stream_options: { include_usage: true } })).toBeUndefined()
  expect(askingForUsage({ stream: false })).toBeUndefined()
})

test('chunks that end between events and hold no usage go on as they came; the usage-only event is held back', async () => {
  const { text, reads } = await read(withoutUsageEvent(sourceOf([text1, stop, usage + done])))
  expect(reads).toEqual([text1, stop, done])
  expect(text).not.toContain('"usage":{')
})

test('cut anywhere, CRLF or not: every other byte reaches the client in order, the usage event does not', async () => {
  const whole = text1 + stop + usage + done
  for (const crlf of [false, true]) {
    const stream = crlf ? whole.replaceAll('\n', '\r\n') : whole
    for (let cut = 1; cut < stream.length; cut += 7) {
      const { text } = await read(withoutUsageEvent(sourceOf([stream.slice(0, cut), stream.slice(cut)])))
      const expected = crlf ? (text1 + stop + done).replaceAll('\n', '\r\n') : text1 + stop + done
      expect([cut, text]).toEqual([cut, expected])
    }
  }
})

test('a usage object in a chunk that has choices is not held back; neither is an unreadable event', async () => {
  const withChoices = 'data: {"choices":[{"index":0,"delta":{}}],"usage":{"prompt_tokens":1}}\n\n'
  const broken = 'data: {"choices":[],"usage":{ not json\n\n'
  expect((await read(withoutUsageEvent(sourceOf([withChoices, broken, done])))).text).toBe(withChoices + broken + done)
})
