import { describe, expect, test } from 'bun:test'
import { estimateInputTokens, IMAGE_TOKENS } from '../../../src/providers/tokens/estimate'

describe('estimateInputTokens', () => {
  test('counts system, messages, tool calls and results, and tool definitions', async () => {
    const base = await estimateInputTokens({ messages: [{ role: 'user', content: 'Hello, world!' }] })
    expect(base).toBe(4 + 4) // "Hello, world!" is 4 tokens in o200k, plus framing
    const withSystem = await estimateInputTokens({
      system: [{ type: 'text', text: 'You are terse.' }],
      messages: [{ role: 'user', content: 'Hello, world!' }],
    })
    expect(withSystem).toBeGreaterThan(base)
    const withTools = await estimateInputTokens({
      messages: [{ role: 'user', content: 'Hello, world!' }],
      tools: [
        {
          name: 'get_weather',
          description: 'Weather for a city',
          input_schema: { type: 'object', properties: { city: { type: 'string' } } },
        },
      ],
    })
    expect(withTools).toBeGreaterThan(base + 10)
    const toolTurn = await estimateInputTokens({
      messages: [
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: 'sunny' }] }] },
      ],
    })
    expect(toolTurn).toBeGreaterThan(8)
  })

  test('images at a flat rate', async () => {
    const n = await estimateInputTokens({
      messages: [{ role: 'user', content: [{ type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'AAAA' } }] }],
    })
    expect(n).toBe(IMAGE_TOKENS + 4)
  })

  test('malformed blocks are skipped, not fatal', async () => {
    const n = await estimateInputTokens({
      messages: [{ role: 'user', content: [null, 3, 'x', { type: 'text', text: 'hi' }] as never }],
      tools: [null] as never,
    })
    expect(n).toBeGreaterThan(0)
  })

  test('grows with the text', async () => {
    const short = await estimateInputTokens({ messages: [{ role: 'user', content: 'word '.repeat(10) }] })
    const long = await estimateInputTokens({ messages: [{ role: 'user', content: 'word '.repeat(1000) }] })
    expect(long).toBeGreaterThan(short * 50)
  })
})
