/**
 * Environment (real variables over `.env`) → one validated, frozen Config,
 * or the list of problems, each naming its variable.
 */
import { BUILTIN_SERVICES, DEFAULT_HOST, DEFAULT_LOG_LEVEL, DEFAULT_PORT, MOCK_SERVICE, MODEL_DEFAULTS } from './defaults'
import { parseDotenv } from './dotenv'
import { locateJsonError } from './json-error'
import { schemaErrors } from '../validation/schema-errors'
import { Config, EnvVariables, LIMIT_VARIABLES, ServiceEndpoints, type Limits, type ServiceConfig } from './schema'

export type Env = Record<string, string | undefined>

export interface LoadInput {
  /** The process environment; wins over the file. */
  env: Env
  /** Text of the `.env` file and its name for messages, if there is one. */
  dotenv?: { path: string; text: string }
  /** Command-line overrides. */
  host?: string
  port?: string
}

export type LoadResult = { ok: true; config: Config; warnings: string[] } | { ok: false; errors: string[] }

export function loadConfig(input: LoadInput): LoadResult {
  const errors: string[] = []
  const fromFile: Env = {}
  if (input.dotenv) {
    const parsed = parseDotenv(input.dotenv.text)
    Object.assign(fromFile, parsed.values)
    for (const p of parsed.problems) errors.push(`${input.dotenv.path}:${p.line}: ${p.message}`)
  }
  const env: Env = { ...fromFile, ...definedOnly(input.env) }
  if (input.host !== undefined) env.HOST = input.host
  if (input.port !== undefined) env.PORT = input.port

  const vars = pick(env, Object.keys(EnvVariables.properties))
  errors.push(...schemaErrors(EnvVariables, vars, ''))
  const endpoints = parseServiceEndpoints(env.SERVICE_ENDPOINTS, errors)
  if (Number(env.PORT) > 65535) errors.push(`PORT: must be a port number 0-65535`)
  if (errors.length > 0) return { ok: false, errors }

  const preferredProvider = vars.PREFERRED_PROVIDER ?? 'openai'
  const defaults = MODEL_DEFAULTS[preferredProvider as keyof typeof MODEL_DEFAULTS]
  const config = {
    host: vars.HOST ?? DEFAULT_HOST,
    port: vars.PORT === undefined ? DEFAULT_PORT : Number(vars.PORT),
    logLevel: vars.LOG_LEVEL ?? DEFAULT_LOG_LEVEL,
    preferredProvider,
    bigModel: vars.BIG_MODEL ?? defaults.big,
    smallModel: vars.SMALL_MODEL ?? defaults.small,
    proxyApiKeys: splitList(env.PROXY_API_KEYS),
    services: resolveServices(env, endpoints),
    limits: resolveLimits(vars),
  }
  // The resolved shape is checked too: a bug here must not reach a request.
  const invalid = schemaErrors(Config, config, 'config')
  if (invalid.length > 0) return { ok: false, errors: invalid }
  return { ok: true, config: deepFreeze(config as Config), warnings: warningsFor(config as Config) }
}

function parseServiceEndpoints(raw: string | undefined, errors: string[]): Record<string, string[]> {
  if (raw === undefined || raw.trim() === '') return {}
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    const where = locateJsonError(raw)
    errors.push(
      where
        ? `SERVICE_ENDPOINTS: invalid JSON at line ${where.line}, column ${where.column}: ${where.message}`
        : 'SERVICE_ENDPOINTS: invalid JSON',
    )
    return {}
  }
  const problems = schemaErrors(ServiceEndpoints, value, 'SERVICE_ENDPOINTS')
  if (value && typeof value === 'object' && MOCK_SERVICE in value) {
    problems.push(`SERVICE_ENDPOINTS.${MOCK_SERVICE}: "${MOCK_SERVICE}" is built in and has no endpoints`)
  }
  errors.push(...problems)
  return problems.length > 0 ? {} : (value as Record<string, string[]>)
}

function resolveServices(env: Env, endpoints: Record<string, string[]>): Record<string, ServiceConfig> {
  const services: Record<string, ServiceConfig> = {}
  const names = new Set([...Object.keys(BUILTIN_SERVICES), ...Object.keys(endpoints)])
  for (const name of names) {
    const builtin = BUILTIN_SERVICES[name as keyof typeof BUILTIN_SERVICES]
    const prefix = name.toUpperCase().replace(/[^A-Z0-9]/g, '_')
    // The seed: the plural pool wins; the single key is the fallback.
    const keys = splitList(env[`${prefix}_API_KEYS`])
    services[name] = {
      name,
      // Services the seed does not know are OpenAI-compatible (Groq, OpenRouter, vLLM...).
      format: builtin?.format ?? 'openai',
      endpoints: (endpoints[name] ?? [builtin!.endpoint]).map((url) => url.replace(/\/+$/, '')),
      keys: keys.length > 0 ? keys : splitList(env[`${prefix}_API_KEY`]),
      keysRequired: builtin !== undefined,
      keyVariables: `${prefix}_API_KEYS or ${prefix}_API_KEY`,
    }
  }
  return services
}

function resolveLimits(vars: Env): Limits {
  const limits = {} as Limits
  for (const [name, spec] of Object.entries(LIMIT_VARIABLES)) {
    limits[spec.field] = vars[name] === undefined ? spec.default : Number(vars[name])
  }
  return limits
}

function warningsFor(config: Config): string[] {
  const warnings: string[] = []
  const withKeys = Object.values(config.services).filter((s) => s.keys.length > 0)
  if (withKeys.length === 0) {
    warnings.push(
      'No API keys configured: only the built-in mock service (model "mock/...") can answer. ' +
        'Set OPENAI_API_KEYS, ANTHROPIC_API_KEYS or GEMINI_API_KEYS (or a .env file).',
    )
  }
  const loopback = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(config.host)
  if (config.proxyApiKeys.length === 0 && !loopback) {
    warnings.push(`Listening on ${config.host} with no PROXY_API_KEYS: anyone who can reach this port spends your keys.`)
  }
  return warnings
}

export function splitList(raw: string | undefined): string[] {
  if (!raw) return []
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
}

function pick<K extends string>(env: Env, names: K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {}
  for (const name of names) if (env[name] !== undefined) out[name] = env[name]
  return out
}

function definedOnly(env: Env): Env {
  const out: Env = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v
  return out
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}
