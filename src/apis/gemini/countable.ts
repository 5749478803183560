/**
 * A Gemini countTokens request as the local token estimate reads it
 * (providers/tokens/estimate.ts): its system instruction, turns and
 * function declarations in the shapes the estimate walks. For a model
 * served in another format, which has no countTokens to ask.
 */
import type { CountableRequest } from '../../providers/tokens/estimate'

type Part = {
  text?: unknown
  inlineData?: unknown
  fileData?: unknown
  functionCall?: { name?: unknown; args?: unknown }
  functionResponse?: { response?: unknown }
}
type Content = { role?: unknown; parts?: Part[] }
type Declaration = { name?: unknown; description?: unknown; parameters?: unknown; parametersJsonSchema?: unknown }
type Generate = { contents?: Content[]; systemInstruction?: Content; tools?: { functionDeclarations?: Declaration[] }[] }

/** `contents`, or a whole `generateContentRequest` (its system instruction and tools count too). */
export function geminiCountable(body: Generate & { generateContentRequest?: Generate }): CountableRequest {
  const request = body.generateContentRequest ?? body
  const blocks = (content: Content | undefined) =>
    (Array.isArray(content?.parts) ? content.parts : []).map((p) =>
      p?.inlineData || p?.fileData
        ? { type: 'image' }
        : p?.functionCall
          ? { type: 'tool_use', name: String(p.functionCall.name ?? ''), input: p.functionCall.args }
          : p?.functionResponse
            ? { text: JSON.stringify(p.functionResponse.response ?? {}) }
            : { text: typeof p?.text === 'string' ? p.text : '' },
    )
  const declarations = (Array.isArray(request.tools) ? request.tools : []).flatMap((t) => t?.functionDeclarations ?? [])
  return {
    system: blocks(request.systemInstruction),
    messages: (request.contents ?? []).map((c) => ({ role: String(c?.role ?? 'user'), content: blocks(c) })),
    tools: declarations.map((d) => ({
      name: d?.name,
      description: d?.description,
      input_schema: d?.parameters ?? d?.parametersJsonSchema,
    })),
  }
}
