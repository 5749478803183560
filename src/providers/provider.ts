/**
 * What lmlb knows of a provider, as data: where its API lives, which wire
 * APIs it serves, how a key is sent, which of the client's headers go on,
 * which model names belong to it, and what a translated request must be
 * changed into before it goes there. A service is served by one provider
 * (providerFor); each provider is one file beside this one.
 */
import type { WireApi } from '../apis'
import type { OpenAIRequest } from '../apis/openai-chat/wire'
import type { KeyRule } from '../upstream/key-verdict'

export interface Provider {
  name: string
  /** `gen_ai.provider.name` in traces (OpenTelemetry's GenAI conventions); otherwise a service is named by itself. */
  telemetryName?: string
  /** The wire format as a configuration names it. */
  format: 'openai' | 'anthropic' | 'gemini'
  /** The built-in service's base URL (it ends at the version segment: CONTRACT). */
  baseUrl?: string
  /** The wire APIs its endpoints serve. */
  apis: readonly WireApi[]
  /** The header a key goes in, and what comes before the key there. */
  auth: { header: string; prefix: string }
  /** The client's headers passed on: what they say of the call itself (API version and betas, who the client is), never its credentials. */
  forwarded: readonly string[]
  /** Headers it needs when the client sent none. */
  defaults?: Record<string, string>
  /** Model names routed to its built-in service when no service is named (CONTRACT "Routing": known families). */
  family?: RegExp
  /** How it says a key is invalid, revoked or out of credit where its status alone does not (upstream/key-verdict.ts). */
  keyRules?: readonly KeyRule[]
  /** What a request translated into Chat Completions must become before it goes there. */
  adaptChat?: (request: OpenAIRequest) => void
}
