/**
 * webStream(): a ByteSource as a web ReadableStream. It pulls only when the
 * consumer reads (one next() per read, nothing buffered ahead, so a slow
 * client slows the upstream rather than filling memory), ends at null, and
 * a cancel reaches the source (the upstream call is dropped).
 */
import { expect, test } from 'bun:test'
import { type ByteSource, webStream } from '../../src/upstream/byte-stream'

const enc = new TextEncoder()

/** A source of the given chunks that counts its next() calls and records its cancel. */
function counted(chunks: string[]) {
  const state = { nexts: 0, cancelled: [] as unknown[] }
  const source: ByteSource = {
    async next() {
      const chunk = chunks[state.nexts++]
      return chunk === undefined ? null : enc.encode(chunk)
    },
    cancel(reason) {
      state.cancelled.push(reason)
    },
  }
  return { source, state }
}

test('nothing is pulled before the first read, and each read pulls one chunk', async () => {
  const { source, state } = counted(['a', 'b', 'c'])
  const reader = webStream(source).getReader()
  await Promise.resolve()
  expect(state.nexts).toBe(0)
  expect(new TextDecoder().decode((await reader.read()).value)).toBe('a')
  expect(state.nexts).toBe(1)
  expect(new TextDecoder().decode((await reader.read()).value)).toBe('b')
  expect(state.nexts).toBe(2)
  reader.releaseLock()
})

test('null from the source ends the stream', async () => {
  const { source } = counted(['a'])
  const text = await new Response(webStream(source)).text()
  expect(text).toBe('a')
})

test("the consumer's cancel reaches the source with its reason", async () => {
  const { source, state } = counted(['a', 'b'])
  const reader = webStream(source).getReader()
  await reader.read()
  await reader.cancel('client left')
  expect(state.cancelled).toEqual(['client left'])
  expect(state.nexts).toBe(1)
})

test('a source that throws errors the stream', async () => {
  const source: ByteSource = {
    next: () => Promise.reject(new Error('broken source')),
    cancel: () => {},
  }
  await expect(webStream(source).getReader().read()).rejects.toThrow('broken source')
})
