/**
 * Google's Gemini API as clients call it (`@google/genai`, Gemini CLI):
 * `POST /v1beta/models/{model}:{method}` (or under `/v1/`), the model in
 * the path, streaming chosen by the method. What lmlb reads of each body:
 * only that it has the shape its method takes; the upstream judges the rest.
 */
import { Type } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'

const Parts = Type.Array(Type.Object({}), { minItems: 1 })
const Content = Type.Object({ role: Type.Optional(Type.String()), parts: Parts })
const Contents = Type.Array(Content, { minItems: 1 })

export const checkGenerateContent = TypeCompiler.Compile(Type.Object({ contents: Contents }))
/** `contents`, or a whole `generateContentRequest` (what counting the tokens of a request with tools and a system prompt takes). */
export const checkCountTokens = TypeCompiler.Compile(
  Type.Union([Type.Object({ contents: Contents }), Type.Object({ generateContentRequest: Type.Object({ contents: Contents }) })]),
)
export const checkEmbedContent = TypeCompiler.Compile(Type.Object({ content: Content }))
export const checkBatchEmbedContents = TypeCompiler.Compile(
  Type.Object({ requests: Type.Array(Type.Object({ content: Content }), { minItems: 1 }) }),
)

/**
 * A model method call's path: its version, the model (as the client wrote it, decoded) and the method. `models/`
 * may be left out before a routed name: the AI SDK's Google provider takes a model with a slash (`openai/gpt-4o`)
 * for a whole resource path and sends `/v1beta/openai/gpt-4o:generateContent`. A tuned model is not routed.
 */
const CALL = /^\/(v1beta|v1)\/(?:models\/)?(?!tunedModels\/)([^:]+):([A-Za-z]+)$/

export function geminiCallOf(path: string): { version: string; model: string; method: string } | undefined {
  const m = CALL.exec(path)
  if (!m) return undefined
  try {
    return { version: m[1], model: decodeURIComponent(m[2]), method: m[3] }
  } catch {
    return undefined
  }
}
