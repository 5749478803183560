/**
 * What an inbound request must hold before lmlb routes it: the fields the
 * proxy itself relies on. The upstream judges everything else, so these
 * schemas allow any further field.
 */
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'

const Model = Type.String({ minLength: 1 })
const Stream = Type.Optional(Type.Boolean())

export const AnthropicInbound = Type.Object({
  model: Model,
  messages: Type.Array(Type.Object({ role: Type.String(), content: Type.Unknown() })),
  max_tokens: Type.Integer({ minimum: 1 }),
  stream: Stream,
})

export const AnthropicCountTokensInbound = Type.Object({
  model: Model,
  messages: Type.Array(Type.Object({ role: Type.String(), content: Type.Unknown() })),
})

export const OpenAIInbound = Type.Object({
  model: Model,
  messages: Type.Array(Type.Object({ role: Type.String() }), { minItems: 1 }),
  stream: Stream,
})

export type AnthropicInbound = Static<typeof AnthropicInbound>
export type OpenAIInbound = Static<typeof OpenAIInbound>

export const checkAnthropic = TypeCompiler.Compile(AnthropicInbound)
export const checkAnthropicCountTokens = TypeCompiler.Compile(AnthropicCountTokensInbound)
export const checkOpenAI = TypeCompiler.Compile(OpenAIInbound)
