/**
 * What an inbound Messages request must hold before lmlb routes it: the
 * fields the proxy itself relies on. The upstream judges everything else,
 * so these schemas allow any further field.
 */
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { Model, Stream } from '../inbound-fields'

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

export type AnthropicInbound = Static<typeof AnthropicInbound>

export const checkAnthropic = TypeCompiler.Compile(AnthropicInbound)
export const checkAnthropicCountTokens = TypeCompiler.Compile(AnthropicCountTokensInbound)
