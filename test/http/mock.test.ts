/** The built-in mock service, as the official clients see it: no key, both APIs, streaming too. */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import Anthropic from '@anthropic-ai/sdk'
import OpenAI from 'openai'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'

let lmlb: RunningLmlb
beforeAll(async () => {
  lmlb = await startLmlb()
})
afterAll(() => lmlb.stop())

describe('mock service', () => {
  test('OpenAI SDK: create echoes the last user message and names the model asked for', async () => {
    const client = new OpenAI({ baseURL: `${lmlb.url}/v1`, apiKey: 'unused', maxRetries: 0 })
    const res = await client.chat.completions.create({
      model: 'mock/echo',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'second one' },
      ],
    })
    expect(res.model).toBe('mock/echo')
    expect(res.choices[0].message.content).toBe('You said: second one')
    expect(res.choices[0].finish_reason).toBe('stop')
    expect(res.usage!.total_tokens).toBe(res.usage!.prompt_tokens + res.usage!.completion_tokens)
  })

  test('OpenAI SDK: stream, with a usage chunk when asked', async () => {
    const client = new OpenAI({ baseURL: `${lmlb.url}/v1`, apiKey: 'unused', maxRetries: 0 })
    const stream = await client.chat.completions.create({
      model: 'mock/anything',
      messages: [{ role: 'user', content: 'a b c' }],
      stream: true,
      stream_options: { include_usage: true },
    })
    let text = ''
    let usage
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta?.content ?? ''
      usage ??= chunk.usage ?? undefined
    }
    expect(text).toBe('You said: a b c')
    expect(usage?.completion_tokens).toBeGreaterThan(0)
  })

  test('Anthropic SDK: create and stream', async () => {
    const client = new Anthropic({ baseURL: lmlb.url, apiKey: 'unused', maxRetries: 0 })
    const message = await client.messages.create({
      model: 'mock/echo',
      max_tokens: 20,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hello' }] }],
    })
    expect(message.content).toMatchObject([{ type: 'text', text: 'You said: hello' }])
    expect(message.model).toBe('mock/echo')
    const final = await client.messages
      .stream({ model: 'mock/echo', max_tokens: 20, messages: [{ role: 'user', content: 'hello there' }] })
      .finalMessage()
    expect(final.content).toMatchObject([{ type: 'text', text: 'You said: hello there' }])
    expect(final.stop_reason).toBe('end_turn')
    expect(final.usage.output_tokens).toBeGreaterThan(0)
  })
})
