import { describe, expect, test } from 'bun:test'
import type { AnthropicRequest } from '../../src/apis/anthropic-messages/wire'
import type { OpenAIRequest } from '../../src/apis/openai-chat/wire'
import { cleanSchemaForGemini, gemini } from '../../src/providers/gemini'
import { fitTranslatedChat } from '../../src/providers/models'
import { openai } from '../../src/providers/openai'
import { toOpenAIRequest } from '../../src/translation/messages-over-chat/request'

const schema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  type: 'object',
  additionalProperties: false,
  properties: {
    when: { type: 'string', format: 'date-time' },
    url: { type: 'string', format: 'uri', default: 'x' },
    default: {
      type: 'array',
      items: { type: 'object', additionalProperties: false, properties: { n: { type: 'number', exclusiveMinimum: 0 } } },
    },
  },
}

const translated = (): OpenAIRequest =>
  toOpenAIRequest({ model: 'claude-x', max_tokens: 100, messages: [], tools: [{ name: 'f', input_schema: schema }] } as AnthropicRequest, {
    model: 'gemini-2.5-flash',
  })

describe('Gemini', () => {
  test('gets tool schemas without the keywords it refuses, at every depth; a property named like one stays', () => {
    expect(cleanSchemaForGemini(schema)).toEqual({
      type: 'object',
      properties: {
        when: { type: 'string', format: 'date-time' },
        url: { type: 'string' },
        default: { type: 'array', items: { type: 'object', properties: { n: { type: 'number' } } } },
      },
    })
  })

  test('a request translated for it is cleaned; for OpenAI it is not', () => {
    const forGemini = translated()
    fitTranslatedChat(forGemini, 'gemini-2.5-flash', gemini)
    expect(forGemini.tools![0].function.parameters).toEqual(cleanSchemaForGemini(schema))
    const forOpenAI = translated()
    fitTranslatedChat(forOpenAI, 'gpt-4.1', openai)
    expect(forOpenAI.tools![0].function.parameters).toEqual(schema)
  })
})
