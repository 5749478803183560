/**
 * textLiteralOf lets translators copy a text chunk's content without
 * parsing it. Its promise: when it answers, the answer is the content's
 * JSON literal exactly (for any text, in OpenAI's layout or another), and
 * it answers undefined for any chunk that is more than text, so nothing
 * (a tool call, a finish, usage) is ever lost to the shortcut.
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import { textLiteralOf } from '../../../src/apis/openai-chat/text-chunk'

/** OpenAI's own layout, field for field. */
const openaiChunk = (content: string, extra: object = {}) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4o',
  ...extra,
  choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: null }],
})

/** Another provider's layout: fields in another order, no logprobs, spaced or not. */
const otherChunk = (content: string) => ({ choices: [{ delta: { content }, index: 0, finish_reason: null }], model: 'llama', id: 'x' })

describe('textLiteralOf', () => {
  test("for any text, in OpenAI's layout, the content's JSON literal", () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.boolean(), (text, fingerprint) => {
        const data = JSON.stringify(openaiChunk(text, fingerprint ? { system_fingerprint: 'fp_1' } : {}))
        const literal = textLiteralOf(data)
        expect(literal).toBe(JSON.stringify(text))
        expect(JSON.parse(literal!)).toBe(text)
      }),
    )
  })

  test('for any text, in another layout, compact or spaced: undefined or the exact literal, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.boolean(), (text, spaced) => {
        const data = spaced ? JSON.stringify(otherChunk(text), null, 2) : JSON.stringify(otherChunk(text))
        const literal = textLiteralOf(data)
        if (literal !== undefined) expect(JSON.parse(literal)).toBe(text)
      }),
    )
    // Plain text is recognised in such layouts, not only in OpenAI's.
    expect(textLiteralOf(JSON.stringify(otherChunk('Hello, "world"\n'), null, 2))).toBe(JSON.stringify('Hello, "world"\n'))
  })

  test('for any text, a chunk that also finishes, calls a tool, reasons or reports usage is not text', () => {
    const more = fc.constantFrom<[string, unknown]>(
      ['finish_reason', 'stop'],
      ['usage', { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }],
      ['tool_calls', [{ index: 0, id: 'call_1', function: { name: 'f', arguments: '' } }]],
      ['reasoning_content', 'thinking'],
      ['refusal', 'no'],
    )
    fc.assert(
      fc.property(fc.string(), more, (text, [field, value]) => {
        const chunk: any = openaiChunk(text)
        if (field === 'usage') chunk.usage = value
        else if (field === 'finish_reason') chunk.choices[0].finish_reason = value
        else chunk.choices[0].delta[field] = value
        expect(textLiteralOf(JSON.stringify(chunk))).toBeUndefined()
      }),
    )
  })

  test('text that merely spells a field name or "delta" inside the content is still recognised or refused safely', () => {
    for (const text of ['"usage": 5', '"finish_reason":"stop"', '"delta":{"content":"x"}', 'tool_calls']) {
      const literal = textLiteralOf(JSON.stringify(otherChunk(text)))
      if (literal !== undefined) expect(JSON.parse(literal)).toBe(text)
      expect(textLiteralOf(JSON.stringify(openaiChunk(text)))).toBe(JSON.stringify(text))
    }
  })

  test('not text: two choices, a delta with a role besides content, no delta content, not a chunk at all', () => {
    const two = { ...openaiChunk('a'), choices: [openaiChunk('a').choices[0], { ...openaiChunk('b').choices[0], index: 1 }] }
    expect(textLiteralOf(JSON.stringify(two))).toBeUndefined()
    expect(textLiteralOf(JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant', content: 'a' } }] }))).toBeUndefined()
    expect(textLiteralOf(JSON.stringify({ choices: [{ index: 0, delta: {} }] }))).toBeUndefined()
    expect(textLiteralOf(JSON.stringify({ choices: [{ index: 0, delta: { content: null } }] }))).toBeUndefined()
    expect(textLiteralOf('[DONE]')).toBeUndefined()
  })

  test('null-valued extras do not make a chunk more than text', () => {
    const data = JSON.stringify({ choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }], usage: null, error: null })
    expect(textLiteralOf(data)).toBe('"hi"')
  })
})
