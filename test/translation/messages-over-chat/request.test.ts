import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { toOpenAIRequest } from '../../../src/translation/messages-over-chat/request'
import type { AnthropicRequest } from '../../../src/apis/anthropic-messages/wire'

const base = { model: 'claude-x', max_tokens: 100 }
const to = (req: Partial<AnthropicRequest>, model = 'gpt-4.1') =>
  toOpenAIRequest({ ...base, messages: [], ...req } as AnthropicRequest, { model })

describe('Anthropic request → OpenAI request', () => {
  test('system as a string or as text blocks becomes the first message', () => {
    expect(to({ system: 'Be brief.', messages: [{ role: 'user', content: 'hi' }] }).messages).toEqual([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'hi' },
    ])
    expect(
      to({
        system: [
          { type: 'text', text: 'A' },
          { type: 'text', text: 'B', cache_control: { type: 'ephemeral' } },
        ],
      }).messages,
    ).toEqual([{ role: 'system', content: 'A\n\nB' }])
  })

  test('text and images (base64 and URL) become content parts', () => {
    const { messages } = to({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
            { type: 'image', source: { type: 'url', url: 'https://example.com/cat.jpg' } },
          ],
        },
      ],
    })
    expect(messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is this?' },
          { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } },
          { type: 'image_url', image_url: { url: 'https://example.com/cat.jpg' } },
        ],
      },
    ])
  })

  test('assistant tool_use → tool_calls; tool_result → tool messages first, in order, then the rest of the turn', () => {
    const { messages } = to({
      messages: [
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
            { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: {} },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'and also...' },
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: [{ type: 'text', text: 'noon' }], is_error: true },
          ],
        },
      ],
    })
    expect(messages).toEqual([
      {
        role: 'assistant',
        content: 'Checking.',
        tool_calls: [
          { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          { id: 'toolu_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'toolu_1', content: 'sunny' },
      { role: 'tool', tool_call_id: 'toolu_2', content: 'Error: noon' },
      { role: 'user', content: 'and also...' },
    ])
  })

  test('an assistant turn of tool calls only has null content', () => {
    const { messages } = to({ messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'f', input: { a: 1 } }] }] })
    expect(messages[0]).toMatchObject({ role: 'assistant', content: null })
  })

  test('images inside a tool result follow in a user message that names the call', () => {
    const { messages } = to({
      messages: [
        {
          role: 'user',
          content: [
            {
              type: 'tool_result',
              tool_use_id: 'toolu_9',
              content: [
                { type: 'text', text: 'screenshot taken' },
                { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/' } },
              ],
            },
          ],
        },
      ],
    })
    expect(messages).toEqual([
      { role: 'tool', tool_call_id: 'toolu_9', content: 'screenshot taken' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Images returned by tool call toolu_9:' },
          { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/' } },
        ],
      },
    ])
  })

  test('tools, tool_choice and disable_parallel_tool_use', () => {
    const tools = [{ name: 'f', description: 'does f', input_schema: { type: 'object', properties: { x: { type: 'number' } } } }]
    const fn = { type: 'function' as const, function: { name: 'f', description: 'does f', parameters: tools[0].input_schema } }
    expect(to({ tools }).tools).toEqual([fn])
    expect(to({ tools }).tool_choice).toBeUndefined()
    expect(to({ tools, tool_choice: { type: 'auto' } }).tool_choice).toBe('auto')
    expect(to({ tools, tool_choice: { type: 'any' } }).tool_choice).toBe('required')
    expect(to({ tools, tool_choice: { type: 'none' } }).tool_choice).toBe('none')
    expect(to({ tools, tool_choice: { type: 'tool', name: 'f' } }).tool_choice).toEqual({ type: 'function', function: { name: 'f' } })
    expect(to({ tools, tool_choice: { type: 'auto', disable_parallel_tool_use: true } }).parallel_tool_calls).toBe(false)
    // Anthropic's own server tools have no OpenAI counterpart.
    expect(to({ tools: [...tools, { type: 'web_search_20250305', name: 'web_search' }] }).tools).toEqual([fn])
  })

  test('sampling, stops, user, streaming', () => {
    const r = to({
      temperature: 0.3,
      top_p: 0.9,
      top_k: 5,
      stop_sequences: ['a', 'b', 'c', 'd', 'e'],
      metadata: { user_id: 'u'.repeat(100) },
      stream: true,
    })
    expect(r).toMatchObject({
      temperature: 0.3,
      top_p: 0.9,
      stop: ['a', 'b', 'c', 'd'],
      stream: true,
      stream_options: { include_usage: true },
    })
    expect(r.user).toHaveLength(64)
    expect(r).not.toHaveProperty('top_k')
  })

  test('max_tokens: capped at the model limit; max_completion_tokens and no sampling for reasoning models', () => {
    expect(to({ max_tokens: 128_000 }, 'gpt-4.1').max_tokens).toBe(32_768)
    expect(to({ max_tokens: 128_000 }, 'gpt-4o-mini').max_tokens).toBe(16_384)
    expect(to({ max_tokens: 500 }, 'llama-3.3-70b').max_tokens).toBe(500)
    const o = to({ max_tokens: 200_000, temperature: 0.5 }, 'o3-mini')
    expect(o).toMatchObject({ max_completion_tokens: 100_000 })
    expect(o).not.toHaveProperty('max_tokens')
    expect(o).not.toHaveProperty('temperature')
  })

  test('thinking → reasoning_effort where the model takes one', () => {
    expect(to({ thinking: { type: 'enabled', budget_tokens: 2000 } }, 'o4-mini').reasoning_effort).toBe('low')
    expect(to({ thinking: { type: 'enabled', budget_tokens: 10_000 } }, 'gpt-5').reasoning_effort).toBe('medium')
    expect(to({ thinking: { type: 'enabled', budget_tokens: 32_000 } }, 'gemini-2.5-pro').reasoning_effort).toBe('high')
    expect(to({ thinking: { type: 'adaptive' }, output_config: { effort: 'high' } }, 'o3').reasoning_effort).toBe('high')
    expect(to({ thinking: { type: 'enabled', budget_tokens: 2000 } }, 'gpt-4.1')).not.toHaveProperty('reasoning_effort')
  })

  test('tool schemas pass as the client wrote them (a provider that needs them changed changes them: providers/)', () => {
    const schema = { type: 'object', additionalProperties: false, properties: { url: { type: 'string', format: 'uri' } } }
    expect(to({ tools: [{ name: 'f', input_schema: schema }] }).tools![0].function.parameters).toEqual(schema)
  })

  test("Claude Code's real request translates: every tool, its system prompt, mid-conversation system turns", () => {
    const req = JSON.parse(readFileSync(new URL('../../fixtures/claude-code/request.json', import.meta.url), 'utf8')) as AnthropicRequest
    const out = to(req, 'gpt-4.1')
    expect(out.tools).toHaveLength(req.tools!.length)
    expect(out.messages[0].role).toBe('system')
    expect(out.messages.some((m) => m.role === 'user' && typeof m.content === 'string' && m.content.includes('say pong'))).toBe(false) // it is a parts list
    expect(JSON.stringify(out.messages)).toContain('say pong')
    expect(out.max_tokens).toBe(32_768)
    expect(out.stream).toBe(true)
    expect(JSON.stringify(out)).not.toContain('cache_control')
  })
})
