/**
 * What an inbound Responses API request must hold before lmlb routes it:
 * the fields the proxy itself relies on. The upstream (or the translation)
 * judges everything else, so the schema allows any further field.
 */
import { Type, type Static } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { Model, Stream } from '../inbound-fields'

export const ResponsesInbound = Type.Object({
  model: Model,
  input: Type.Optional(Type.Union([Type.String(), Type.Array(Type.Unknown())])),
  stream: Stream,
})

export type ResponsesInbound = Static<typeof ResponsesInbound>

export const checkResponses = TypeCompiler.Compile(ResponsesInbound)
