/**
 * What an inbound Chat Completions request must hold before lmlb routes it:
 * the fields the proxy itself relies on. The upstream judges everything
 * else, so the schema allows any further field.
 */
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { Model, Stream } from '../inbound-fields'

export const OpenAIInbound = Type.Object({
  model: Model,
  messages: Type.Array(Type.Object({ role: Type.String() }), { minItems: 1 }),
  stream: Stream,
})

export type OpenAIInbound = Static<typeof OpenAIInbound>

export const checkOpenAI = TypeCompiler.Compile(OpenAIInbound)
