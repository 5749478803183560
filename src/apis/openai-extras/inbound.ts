/**
 * OpenAI's other stateless endpoints (embeddings, moderations, legacy
 * completions, images, audio), passed through to OpenAI-format services:
 * what routing reads of each request. The upstream judges the rest.
 */
import { Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { Model, Stream } from '../inbound-fields'

const withModel = (required: boolean) =>
  TypeCompiler.Compile(Type.Object({ model: required ? Model : Type.Optional(Model), stream: Stream }))

/** Embeddings, legacy completions, speech: `model` is required. */
export const checkModelRequired = withModel(true)
/** Moderations and image generation: the upstream has a default model. */
export const checkModelOptional = withModel(false)

/** The model OpenAI assumes when the client names none. */
export const DEFAULT_MODELS = { moderations: 'omni-moderation-latest', imagesGenerations: 'dall-e-2' } as const
