import { describe, expect, test } from 'bun:test'
import { DEFAULT_MAX_TOKENS, toAnthropicRequest } from '../../../src/translation/chat-over-messages/request'
import { chatOverMessages } from '../../../src/translation/chat-over-messages'
import { createReverseStreamState, onEvent } from '../../../src/translation/chat-over-messages/stream'
import type { AnthropicEvent } from '../../../src/apis/anthropic-messages/wire'
import type { OpenAIChunk, OpenAIRequest } from '../../../src/apis/openai-chat/wire'
import { streamFixture, throughPair } from '../../helpers/fixtures'

const to = (req: Partial<OpenAIRequest>) =>
  toAnthropicRequest({ model: 'x', messages: [], ...req } as OpenAIRequest, { model: 'claude-sonnet-4-5' })

describe('OpenAI request → Anthropic request', () => {
  test('system and developer messages → system; turns merged to alternate; tool messages → tool_result blocks', () => {
    const out = to({
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'developer', content: [{ type: 'text', text: 'Use tools.' }] },
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'user', content: 'Thanks' },
      ],
    })
    expect(out.system).toBe('Be brief.\n\nUse tools.')
    expect(out.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather?' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: 'sunny' },
          { type: 'text', text: 'Thanks' },
        ],
      },
    ])
    expect(out.max_tokens).toBe(DEFAULT_MAX_TOKENS)
    expect(out.model).toBe('claude-sonnet-4-5')
  })

  test('images: data URLs → base64 sources, others → url sources', () => {
    const out = to({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBOR' } },
            { type: 'image_url', image_url: { url: 'https://example.com/a.png' } },
          ],
        },
      ],
    })
    expect(out.messages[0].content).toEqual([
      { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBOR' } },
      { type: 'image', source: { type: 'url', url: 'https://example.com/a.png' } },
    ])
  })

  test('tools, tool_choice, parallel_tool_calls, stop, user, sampling, limits', () => {
    const tools = [{ type: 'function' as const, function: { name: 'f', description: 'F', parameters: { type: 'object', properties: {} } } }]
    expect(to({ tools }).tools).toEqual([{ name: 'f', description: 'F', input_schema: { type: 'object', properties: {} } }])
    expect(to({ tools, tool_choice: 'required' }).tool_choice).toEqual({ type: 'any' })
    expect(to({ tools, tool_choice: 'none' }).tool_choice).toEqual({ type: 'none' })
    expect(to({ tools, tool_choice: { type: 'function', function: { name: 'f' } } }).tool_choice).toEqual({ type: 'tool', name: 'f' })
    expect(to({ tools, parallel_tool_calls: false }).tool_choice).toEqual({ type: 'auto', disable_parallel_tool_use: true })
    expect(to({ stop: 'END', user: 'u1', temperature: 1.5, top_p: 0.5, max_completion_tokens: 99 })).toMatchObject({
      stop_sequences: ['END'],
      metadata: { user_id: 'u1' },
      temperature: 1,
      top_p: 0.5,
      max_tokens: 99,
    })
  })

  test('reasoning_effort → a thinking budget that fits under max_tokens, sampling left out', () => {
    const out = to({ reasoning_effort: 'medium', max_tokens: 1000, temperature: 0.2 })
    expect(out.thinking).toEqual({ type: 'enabled', budget_tokens: 8192 })
    expect(out.max_tokens).toBeGreaterThan(8192)
    expect(out).not.toHaveProperty('temperature')
  })
})

describe('Anthropic stream → OpenAI chunks', () => {
  const run = (events: AnthropicEvent[], includeUsage = true) => {
    const state = createReverseStreamState({ model: 'anthropic/claude-x', includeUsage })
    return events.flatMap((e) => onEvent(e, state))
  }
  const events: AnthropicEvent[] = [
    { type: 'message_start', message: { id: 'msg_1', usage: { input_tokens: 12, output_tokens: 1 } } },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'ping' },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_1', name: 'f', input: {} } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '1}' } },
    { type: 'content_block_stop', index: 1 },
    { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } },
    { type: 'message_stop' },
  ]

  test('role, content, tool_calls deltas, finish_reason, then a usage chunk when asked', () => {
    const chunks = run(events) as {
      id: string
      model: string
      choices: { delta: object; finish_reason: string | null }[]
      usage?: object
    }[]
    expect(chunks.map((c): unknown => c.choices[0]?.delta ?? 'usage')).toEqual([
      { role: 'assistant', content: '' },
      { content: 'Hi' },
      { tool_calls: [{ index: 0, id: 'toolu_1', type: 'function', function: { name: 'f', arguments: '' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '{"a":' } }] },
      { tool_calls: [{ index: 0, function: { arguments: '1}' } }] },
      {},
      'usage',
    ])
    expect(chunks[5].choices[0].finish_reason).toBe('tool_calls')
    expect(chunks[6].usage).toEqual({
      prompt_tokens: 12,
      completion_tokens: 9,
      total_tokens: 21,
      prompt_tokens_details: { cached_tokens: 0 },
    })
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(['chatcmpl-1']))
    expect(chunks[0].model).toBe('anthropic/claude-x')
  })

  test('a tool call without arguments (one empty input_json_delta) ends with "{}", as OpenAI sends it', () => {
    const chunks = run([
      events[0],
      { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 'toolu_2', name: 'now', input: {} } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '' } },
      { type: 'content_block_stop', index: 0 },
      ...events.slice(5),
    ]) as { choices: { delta: { tool_calls?: { function: { arguments: string } }[] } }[] }[]
    const args = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).map((t) => t.function.arguments)
    // Client-side, the pieces join to the arguments; the call with arguments keeps only its own.
    expect(args).toEqual(['', '{}', '', '{"a":', '1}'])
  })

  test('no usage chunk unless asked; an error event becomes an error object', () => {
    expect(run(events, false).some((c) => 'usage' in c)).toBe(false)
    expect(run([events[0], { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }]).at(-1)).toEqual({
      error: { type: 'overloaded_error', message: 'Overloaded', code: 'overloaded_error' },
    })
  })
})

describe('an Anthropic stream in the API’s own layout (test/fixtures/streams) → OpenAI chunks, through the pair', () => {
  const context = { model: 'anthropic/claude-sonnet-4-5', includeUsage: true }
  const served = throughPair(chatOverMessages.stream, context, streamFixture('anthropic-messages-thinking-text-tool-use'))
  const chunks = served.slice(0, -1).map((e) => JSON.parse(e.data) as OpenAIChunk)

  test('thinking → reasoning_content, text → content, the tool_use → one call (the signature and ping dropped), then usage and [DONE]', () => {
    expect(served.every((e) => e.event === undefined)).toBe(true)
    expect(served.at(-1)!.data).toBe('[DONE]')
    expect(chunks.map((c): unknown => c.choices![0]?.delta ?? 'usage')).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'The user wants the current weather in Paris. I have a get_weather tool that takes a city' },
      { reasoning_content: ' and a unit. Paris is in France, so Celsius is the natural unit' },
      { reasoning_content: '. I should call the tool rather than guess.' },
      { content: "I'll look up the current weather" },
      { content: ' in Paris for' },
      { content: ' you.' },
      {
        tool_calls: [
          { index: 0, id: 'toolu_01T1x1fJ34qAmk2tNTrN7Up6', type: 'function', function: { name: 'get_weather', arguments: '' } },
        ],
      },
      { tool_calls: [{ index: 0, function: { arguments: '{"city": "Paris"' } }] },
      { tool_calls: [{ index: 0, function: { arguments: ', "unit": "cel' } }] },
      { tool_calls: [{ index: 0, function: { arguments: 'sius"}' } }] },
      {},
      'usage',
    ])
    const args = chunks.flatMap((c) => c.choices![0]?.delta.tool_calls ?? []).map((t) => t.function!.arguments)
    expect(JSON.parse(args.join(''))).toEqual({ city: 'Paris', unit: 'celsius' })
  })

  test('finish_reason tool_calls on the last choice only; one id and model throughout; usage with the cache read counted in', () => {
    expect(chunks.map((c) => c.choices![0]?.finish_reason)).toEqual([...Array(11).fill(null), 'tool_calls', undefined])
    expect(new Set(chunks.map((c) => c.id))).toEqual(new Set(['chatcmpl-01Kq7VfN3wXhT9bYc2DpLmZs']))
    expect(new Set(chunks.map((c) => c.model))).toEqual(new Set(['anthropic/claude-sonnet-4-5']))
    // 212 uncached + 2,048 read from Anthropic's cache.
    expect(chunks.at(-1)!.usage).toEqual({
      prompt_tokens: 2260,
      completion_tokens: 164,
      total_tokens: 2424,
      prompt_tokens_details: { cached_tokens: 2048 },
    })
  })
})
