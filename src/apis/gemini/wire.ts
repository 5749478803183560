/**
 * Google's native Gemini API wire shapes (generativelanguage v1beta,
 * `generateContent` and `streamGenerateContent?alt=sse`), as far as lmlb
 * reads and writes them. The model is in the URL path, never in the body.
 */

export interface GeminiBlob {
  mimeType: string
  /** Base64. */
  data: string
}

export interface GeminiFunctionCall {
  /** Set by Vertex and newer models; the Gemini API often leaves it out. */
  id?: string
  name: string
  args?: Record<string, unknown>
}

export interface GeminiFunctionResponse {
  id?: string
  name: string
  response: Record<string, unknown>
}

export interface GeminiPart {
  text?: string
  /** A thought summary, not answer text. */
  thought?: boolean
  /** Opaque (base64), to be sent back on the part it came with (Gemini 2.5+ / 3). */
  thoughtSignature?: string
  inlineData?: GeminiBlob
  fileData?: { mimeType?: string; fileUri: string }
  functionCall?: GeminiFunctionCall
  functionResponse?: GeminiFunctionResponse
  [k: string]: unknown
}

export interface GeminiContent {
  /** Left out by some clients on single-turn requests: then it is the user's. */
  role?: 'user' | 'model' | string
  parts?: GeminiPart[]
}

export interface GeminiFunctionDeclaration {
  name: string
  description?: string
  /** An OpenAPI-subset schema (types in capitals: `OBJECT`, `STRING`). */
  parameters?: Record<string, unknown>
  /** A JSON Schema, the newer alternative to `parameters`. */
  parametersJsonSchema?: Record<string, unknown>
}

export interface GeminiTool {
  functionDeclarations?: GeminiFunctionDeclaration[]
  /** Google-hosted tools (googleSearch, codeExecution, urlContext...). */
  [k: string]: unknown
}

export type GeminiFunctionCallingMode = 'AUTO' | 'ANY' | 'NONE' | 'VALIDATED' | 'MODE_UNSPECIFIED'

export interface GeminiThinkingConfig {
  /** Tokens; 0 turns thinking off, -1 lets the model decide. */
  thinkingBudget?: number
  includeThoughts?: boolean
  /** Gemini 3: `MINIMAL`, `LOW`, `MEDIUM`, `HIGH`. */
  thinkingLevel?: string
}

export interface GeminiGenerationConfig {
  maxOutputTokens?: number
  temperature?: number
  topP?: number
  topK?: number
  stopSequences?: string[]
  candidateCount?: number
  presencePenalty?: number
  frequencyPenalty?: number
  seed?: number
  responseMimeType?: string
  responseSchema?: Record<string, unknown>
  responseJsonSchema?: Record<string, unknown>
  thinkingConfig?: GeminiThinkingConfig
  [k: string]: unknown
}

export interface GeminiRequest {
  contents: GeminiContent[]
  systemInstruction?: GeminiContent
  tools?: GeminiTool[]
  toolConfig?: { functionCallingConfig?: { mode?: GeminiFunctionCallingMode; allowedFunctionNames?: string[] } }
  generationConfig?: GeminiGenerationConfig
  safetySettings?: { category: string; threshold: string }[]
  cachedContent?: string
  [k: string]: unknown
}

export type GeminiFinishReason =
  | 'STOP'
  | 'MAX_TOKENS'
  | 'SAFETY'
  | 'RECITATION'
  | 'LANGUAGE'
  | 'OTHER'
  | 'BLOCKLIST'
  | 'PROHIBITED_CONTENT'
  | 'SPII'
  | 'MALFORMED_FUNCTION_CALL'
  | 'IMAGE_SAFETY'
  | 'FINISH_REASON_UNSPECIFIED'
  | string

export interface GeminiCandidate {
  content?: GeminiContent
  finishReason?: GeminiFinishReason
  index?: number
}

export interface GeminiUsageMetadata {
  /** All input tokens, the cached ones included. */
  promptTokenCount?: number
  /** Answer tokens, thoughts not included. */
  candidatesTokenCount?: number
  totalTokenCount?: number
  cachedContentTokenCount?: number
  thoughtsTokenCount?: number
}

/** A whole answer, and each event of a stream (`data: <one of these>`). */
export interface GenerateContentResponse {
  candidates?: GeminiCandidate[]
  /** Set when the prompt itself was blocked (no candidates then). */
  promptFeedback?: { blockReason?: string }
  usageMetadata?: GeminiUsageMetadata
  modelVersion?: string
  responseId?: string
}
