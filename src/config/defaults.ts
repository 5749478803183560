import { BUILTIN_PROVIDERS } from '../providers'
import type { Provider } from '../providers/provider'

/** Defaults named once; docs/configuration.md's tables repeat them. */
export const DEFAULT_HOST = '127.0.0.1'
export const DEFAULT_PORT = 8082
export const DEFAULT_LOG_LEVEL = 'info'

/** Built-in services, one per built-in provider (providers/): name → wire format, the APIs it serves, and default base URL. */
export const BUILTIN_SERVICES: Record<string, { format: Provider['format']; apis: Provider['apis']; endpoint: string }> =
  Object.fromEntries(BUILTIN_PROVIDERS.map((p) => [p.name, { format: p.format, apis: p.apis, endpoint: p.baseUrl! }]))

/** claude-code-proxy's model mapping defaults, per preferred provider. */
export const MODEL_DEFAULTS = {
  openai: { big: 'gpt-4.1', small: 'gpt-4.1-mini' },
  google: { big: 'gemini-2.5-pro', small: 'gemini-2.5-flash' },
  anthropic: { big: 'claude-sonnet-4-5', small: 'claude-haiku-4-5' },
} as const

/** The service that serves models locally, with no key. */
export const MOCK_SERVICE = 'mock'

/** How often a disabled or long-cooling key is checked (LMLB_KEY_CHECK_INTERVAL_S; a service's key_policy.checks.interval_s). */
export const DEFAULT_CHECK_INTERVAL_S = 300
