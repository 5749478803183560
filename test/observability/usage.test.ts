import { describe, expect, test } from 'bun:test'
import { UsageReader } from '../../src/observability/usage'
import { byteText } from '../../src/util/byte-text'

const enc = new TextEncoder()

describe('UsageReader', () => {
  test('an OpenAI body', () => {
    const u = new UsageReader()
    u.read(
      '{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19,"prompt_tokens_details":{"cached_tokens":8}}}',
    )
    expect(u.totals()).toEqual({ input: 12, output: 7, cacheRead: 8, cacheWrite: 0 })
  })

  test('an Anthropic stream: counts repeat, cached input counts as input', () => {
    const u = new UsageReader()
    u.read(
      byteText(
        enc.encode(
          'event: message_start\ndata: {"message":{"usage":{"input_tokens":5,"cache_read_input_tokens":100,"cache_creation_input_tokens":20,"output_tokens":1}}}\n\n',
        ),
      ),
    )
    u.read(byteText(enc.encode('event: content_block_delta\ndata: {"delta":{"type":"text_delta","text":"hi"}}\n\n')))
    u.read(byteText(enc.encode('event: message_delta\ndata: {"usage":{"output_tokens":42}}\n\n')))
    expect(u.totals()).toEqual({ input: 125, output: 42, cacheRead: 100, cacheWrite: 20 })
  })

  test('a Responses answer: cached tokens inside input_tokens', () => {
    const u = new UsageReader()
    u.read(
      '{"type":"response.completed","response":{"usage":{"input_tokens":300,"input_tokens_details":{"cached_tokens":256},"output_tokens":9}}}',
    )
    expect(u.totals()).toEqual({ input: 300, output: 9, cacheRead: 256, cacheWrite: 0 })
  })

  test('chunks without usage count nothing', () => {
    const u = new UsageReader()
    u.read(byteText(enc.encode('data: {"finish_reason":null,"content":"max_tokens is a word here"}\n\n')))
    expect(u.totals()).toEqual({ input: 0, output: 0, cacheRead: 0, cacheWrite: 0 })
  })
})
