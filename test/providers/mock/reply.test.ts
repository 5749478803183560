/**
 * The built-in mock answers a fresh install in either API. Its answers must
 * be what each API's SDK can read: the right shape whole, a well-formed
 * stream whose pieces join to the same text, usage where asked; and its
 * text must echo the last user turn, so a user sees their request arrive.
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { mockAnthropic, mockOpenAI, mockReplyText } from '../../../src/providers/mock/reply'
import { SseDecoder } from '../../../src/sse/decode'

async function eventsOf(response: Response): Promise<{ event?: string; data: string }[]> {
  expect(response.headers.get('content-type')).toStartWith('text/event-stream')
  const d = new SseDecoder()
  return [...d.push(await response.text()), ...d.end()]
}

describe('mockReplyText', () => {
  test('echoes the last user turn, its text blocks joined, trimmed; other roles and other blocks ignored', () => {
    expect(
      mockReplyText([
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'x' },
        { role: 'user', content: '  second \n' },
      ]),
    ).toBe('You said: second')
    const blocks = [
      { type: 'text', text: 'look at' },
      { type: 'image', source: {} },
      { type: 'text', text: 'this' },
    ]
    expect(
      mockReplyText([
        { role: 'user', content: blocks },
        { role: 'assistant', content: 'later' },
      ]),
    ).toBe('You said: look at this')
  })

  test('nothing to echo (no user turn, blank text, no text blocks): a greeting', () => {
    const greeting = 'Hello from the lmlb mock service.'
    expect(mockReplyText([])).toBe(greeting)
    expect(mockReplyText([{ role: 'system', content: 'be nice' }])).toBe(greeting)
    expect(mockReplyText([{ role: 'user', content: '   ' }])).toBe(greeting)
    expect(mockReplyText([{ role: 'user', content: [{ type: 'tool_result', content: 'x' }] }])).toBe(greeting)
  })
})

describe('mockAnthropic', () => {
  test('whole: a Messages answer with the text, end_turn and usage', async () => {
    const body = await mockAnthropic({ model: 'mock/echo', messages: [{ role: 'user', content: 'Hi there' }] }).json()
    expect(body).toMatchObject({
      type: 'message',
      role: 'assistant',
      model: 'mock/echo',
      content: [{ type: 'text', text: 'You said: Hi there' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
    })
    expect(body.usage.input_tokens).toBeGreaterThan(0)
    expect(body.usage.output_tokens).toBeGreaterThan(0)
  })

  test("streamed: Anthropic's event sequence, each named by its type, the deltas joining to the text", async () => {
    const events = await eventsOf(mockAnthropic({ model: 'm', messages: [{ role: 'user', content: 'one two  three' }], stream: true }))
    const names = events.map((e) => e.event)
    expect(names[0]).toBe('message_start')
    expect(names[1]).toBe('content_block_start')
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop'])
    for (const e of events) expect(JSON.parse(e.data).type).toBe(e.event)
    const deltas = events.filter((e) => e.event === 'content_block_delta').map((e) => JSON.parse(e.data).delta.text)
    expect(deltas.length).toBeGreaterThan(1)
    expect(deltas.join('')).toBe('You said: one two  three')
    expect(JSON.parse(events.at(-2)!.data)).toMatchObject({
      delta: { stop_reason: 'end_turn' },
      usage: { output_tokens: expect.any(Number) },
    })
  })
})

describe('mockOpenAI', () => {
  test('whole: a chat.completion with the text, stop and consistent usage', async () => {
    const body = await mockOpenAI({ model: 'mock/echo', messages: [{ role: 'user', content: 'Hi' }] }).json()
    expect(body).toMatchObject({
      object: 'chat.completion',
      model: 'mock/echo',
      choices: [{ message: { role: 'assistant', content: 'You said: Hi' }, finish_reason: 'stop' }],
    })
    expect(body.usage.total_tokens).toBe(body.usage.prompt_tokens + body.usage.completion_tokens)
  })

  test('streamed: unnamed chunks joining to the text, then a stop, then [DONE]; usage only when asked', async () => {
    const request = { model: 'm', messages: [{ role: 'user', content: 'a b c' }], stream: true }
    for (const includeUsage of [false, true]) {
      const events = await eventsOf(mockOpenAI({ ...request, stream_options: { include_usage: includeUsage } }))
      for (const e of events) expect(e.event).toBeUndefined()
      expect(events.at(-1)!.data).toBe('[DONE]')
      const chunks = events.slice(0, -1).map((e) => JSON.parse(e.data))
      for (const c of chunks) expect(c.object).toBe('chat.completion.chunk')
      expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('You said: a b c')
      const withChoices = chunks.filter((c) => c.choices.length > 0)
      expect(withChoices.at(-1)!.choices[0].finish_reason).toBe('stop')
      const usage = chunks.filter((c) => c.usage)
      expect(usage.length).toBe(includeUsage ? 1 : 0)
      if (includeUsage) expect(chunks.at(-1).choices).toEqual([])
    }
  })

  test('for any user text, both streams carry exactly the reply text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'binary', maxLength: 40 }), async (text) => {
        const messages = [{ role: 'user', content: text }]
        const expected = mockReplyText(messages)
        const anthropic = await eventsOf(mockAnthropic({ model: 'm', messages, stream: true }))
        const openai = await eventsOf(mockOpenAI({ model: 'm', messages, stream: true }))
        expect(
          anthropic
            .filter((e) => e.event === 'content_block_delta')
            .map((e) => JSON.parse(e.data).delta.text)
            .join(''),
        ).toBe(expected)
        expect(
          openai
            .slice(0, -1)
            .map((e) => JSON.parse(e.data).choices[0]?.delta.content ?? '')
            .join(''),
        ).toBe(expected)
      }),
      { numRuns: 50 },
    )
  })
})
