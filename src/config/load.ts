/**
 * Environment (real variables over `.env`) and the optional config file →
 * one validated, frozen Config, or the list of problems, each naming its
 * variable or its path in the file.
 *
 * Merge rules (docs/configuration.md, "Configuration file"):
 * - settings (host, port, log level, model mapping, limits, proxy keys):
 *   command line > environment (real, then .env) > file > defaults;
 * - services: the file's fields win; what it leaves out comes from the
 *   environment: endpoints from SERVICE_ENDPOINTS (or the built-in default),
 *   keys from NAME_API_KEYS / NAME_API_KEY. Services only in the
 *   environment stay as they are;
 * - aliases and model defaults exist only in the file.
 */
import { dirname, join, resolve } from 'node:path'
import {
  BUILTIN_SERVICES,
  DEFAULT_CHECK_INTERVAL_S,
  DEFAULT_HOST,
  DEFAULT_LOG_LEVEL,
  DEFAULT_PORT,
  MOCK_SERVICE,
  MODEL_DEFAULTS,
} from './defaults'
import { providerFor } from '../providers'
import { geminiNative } from '../providers/gemini-native'
import { own } from '../util/own'
import { parseDotenv } from './dotenv'
import { headerValueProblem } from './header-value'
import { parseConfigFile } from './file'
import {
  snake,
  type AliasFile,
  type ConfigFile,
  type EndpointEntry,
  type KeyEntry,
  type KeyPolicyFile,
  type PriceFile,
  type ProxyKeyEntry,
  type ServiceFile,
} from './file-schema'
import { locateJsonError } from './json-error'
import { schemaErrors } from './schema-errors'
import {
  Config,
  EnvVariables,
  LIMIT_VARIABLES,
  ServiceEndpoints,
  type AffinityMode,
  type AliasConfig,
  type ClientLimits,
  type KeyPolicy,
  type Limits,
  type Price,
  type ServiceConfig,
} from './schema'

export type Env = Record<string, string | undefined>

export interface LoadInput {
  /** The process environment; wins over `.env`. */
  env: Env
  /** Text of the `.env` file and its name for messages, if there is one. */
  dotenv?: { path: string; text: string }
  /** Text of the config file (YAML or JSON) and its name, if there is one. */
  file?: { path: string; text: string }
  /** Command-line overrides. */
  host?: string
  port?: string
  /** Where relative paths start (LMLB_DATA_DIR's default, lmlb-data, sits beside the config file, or here). */
  dir?: string
}

export type LoadResult = { ok: true; config: Config; warnings: string[] } | { ok: false; errors: string[] }

export function loadConfig(input: LoadInput): LoadResult {
  const errors: string[] = []
  const fromDotenv: Env = {}
  let dotenvLines: Record<string, number> = {}
  if (input.dotenv) {
    const parsed = parseDotenv(input.dotenv.text)
    Object.assign(fromDotenv, parsed.values)
    dotenvLines = parsed.lines
    for (const p of parsed.problems) errors.push(`${input.dotenv.path}:${p.line}: ${p.message}`)
  }
  const real = definedOnly(input.env)
  const env: Env = { ...fromDotenv, ...real }
  /** `.env:3: ` when the variable's value came from `.env`, for messages about it. */
  const origin: Origin = (name) =>
    input.dotenv && real[name] === undefined && own(dotenvLines, name) !== undefined ? `${input.dotenv.path}:${dotenvLines[name]}: ` : ''
  if (input.host !== undefined) env.HOST = input.host
  if (input.port !== undefined) env.PORT = input.port

  const vars = pick(env, Object.keys(EnvVariables.properties))
  errors.push(...schemaErrors(EnvVariables, vars, ''))
  const endpoints = parseServiceEndpoints(env.SERVICE_ENDPOINTS, errors)
  if (Number(env.PORT) > 65535) errors.push(`PORT: must be a port number 0-65535`)
  let file: ConfigFile = {}
  if (input.file) {
    const parsed = parseConfigFile(input.file.path, input.file.text)
    if (parsed.ok) file = parsed.file
    else errors.push(...parsed.errors)
  }
  if (errors.length > 0) return { ok: false, errors }

  const where = input.file?.path ?? 'config file'
  const affinity = (vars.LMLB_AFFINITY ?? file.affinity ?? 'session') as AffinityMode
  const checkIntervalS = Number(vars.LMLB_KEY_CHECK_INTERVAL_S ?? DEFAULT_CHECK_INTERVAL_S)
  const services = resolveServices(env, endpoints, file.services ?? {}, where, errors, origin, { affinity, checkIntervalS })
  const aliases = resolveAliases(file.aliases ?? {}, services, where, errors)
  const fileProxyKeys =
    env.PROXY_API_KEYS !== undefined ? [] : resolveKeys(file.proxy_api_keys ?? [], env, `${where}: proxy_api_keys`, errors, origin)
  const proxyApiKeys =
    env.PROXY_API_KEYS !== undefined ? checkedList(env, 'PROXY_API_KEYS', origin, errors) : fileProxyKeys.map((k) => k.value)
  const clientLimits = clientLimitsOf(fileProxyKeys, file.proxy_api_keys ?? [])
  if (errors.length > 0) return { ok: false, errors }

  const preferredProvider = vars.PREFERRED_PROVIDER ?? file.preferred_provider ?? 'openai'
  const defaults = MODEL_DEFAULTS[preferredProvider as keyof typeof MODEL_DEFAULTS]
  const config = {
    host: vars.HOST ?? file.host ?? DEFAULT_HOST,
    port: vars.PORT !== undefined ? Number(vars.PORT) : (file.port ?? DEFAULT_PORT),
    logLevel: vars.LOG_LEVEL ?? file.log_level ?? DEFAULT_LOG_LEVEL,
    logFormat: vars.LOG_FORMAT ?? file.log_format ?? 'text',
    logBodies: vars.LOG_BODIES !== undefined ? vars.LOG_BODIES === '1' : (file.log_bodies ?? false),
    preferredProvider,
    bigModel: vars.BIG_MODEL ?? file.big_model ?? defaults.big,
    smallModel: vars.SMALL_MODEL ?? file.small_model ?? defaults.small,
    proxyApiKeys,
    clientLimits,
    services,
    aliases,
    ...fromFileOnly(file),
    affinity,
    ...redisOf(vars, file),
    ...adminOf(vars, input),
    limits: resolveLimits(vars, file.limits ?? {}),
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

function resolveServices(
  env: Env,
  envEndpoints: Record<string, string[]>,
  fileServices: Record<string, ServiceFile>,
  where: string,
  errors: string[],
  origin: Origin,
  { affinity, checkIntervalS }: { affinity: AffinityMode; checkIntervalS: number },
): Record<string, ServiceConfig> {
  const services: Record<string, ServiceConfig> = {}
  const names = new Set([...Object.keys(BUILTIN_SERVICES), ...Object.keys(envEndpoints), ...Object.keys(fileServices)])
  for (const name of names) {
    const at = `${where}: services.${name}`
    const builtin = own(BUILTIN_SERVICES, name)
    const fromFile = own(fileServices, name) ?? {}
    if (name === MOCK_SERVICE) {
      errors.push(`${at}: "${MOCK_SERVICE}" is built in and cannot be configured`)
      continue
    }
    const prefix = name.toUpperCase().replace(/[^A-Z0-9]/g, '_')
    // The built-in gemini switched to Gemini's own API (format: gemini) takes that API's base URL.
    const builtinEndpoint =
      builtin && (fromFile.format === 'gemini' && builtin.format !== 'gemini' ? geminiNative.baseUrl! : builtin.endpoint)
    const defaultEndpoints = own(envEndpoints, name) ?? (builtinEndpoint ? [builtinEndpoint] : undefined)
    if (!fromFile.endpoints && !defaultEndpoints) {
      errors.push(`${at}.endpoints: required for a service lmlb does not know`)
      continue
    }
    // The seed: the plural pool wins; the single key is the fallback.
    const envKeys = splitList(env[`${prefix}_API_KEYS`])
    const keys = fromFile.keys
      ? resolveKeys(fromFile.keys, env, `${at}.keys`, errors, origin).map(({ entry: _, ...key }) => key)
      : checkedList(env, envKeys.length > 0 ? `${prefix}_API_KEYS` : `${prefix}_API_KEY`, origin, errors).map((value, i) => ({
          value,
          weight: 1,
          priority: i,
        }))
    // Services the seed does not know are OpenAI-compatible (Groq, OpenRouter, vLLM...).
    const format = fromFile.format ?? builtin?.format ?? 'openai'
    if (format !== 'openai' && fromFile.apis)
      errors.push(
        `${at}.apis: only an OpenAI-format service takes apis (an Anthropic-format one serves Messages, a Gemini-format one Gemini's API)`,
      )
    const endpointList = (fromFile.endpoints ?? defaultEndpoints!).map(endpointOf)
    services[name] = {
      name,
      format,
      provider: providerFor({ name, format, endpoints: endpointList }).name,
      // Chat Completions is assumed of an OpenAI-format service; Responses where it says so.
      apis:
        format === 'anthropic'
          ? ['messages']
          : format === 'gemini'
            ? ['gemini']
            : ['chat', ...(fromFile.apis ?? (builtin?.format === 'openai' ? builtin.apis : [])).filter((a) => a !== 'chat')],
      endpoints: endpointList,
      keys,
      keysRequired: builtin !== undefined,
      keyVariables: fromFile.keys ? `${at}.keys` : `${prefix}_API_KEYS or ${prefix}_API_KEY`,
      strategy: fromFile.strategy ?? 'round-robin',
      headers: fromFile.headers ?? {},
      ...(fromFile.models ? { models: fromFile.models } : {}),
      rename: fromFile.rename ?? {},
      affinity: fromFile.affinity ?? affinity,
      keyPolicy: keyPolicyOf(fromFile.key_policy ?? {}, checkIntervalS),
      prices: pricesOf(fromFile.prices),
      ...(fromFile.key_spend_cap && { keySpendCap: capOf(fromFile.key_spend_cap) }),
      ...(fromFile.spend_cap && { spendCap: capOf(fromFile.spend_cap) }),
    }
  }
  return services
}

/** A service's key_policy as the balancer reads it: times in ms, statuses as lists, phrases in lower case. */
function keyPolicyOf(file: KeyPolicyFile, checkIntervalS: number): KeyPolicy {
  return {
    disableAfter: file.disable_after ?? 1,
    checks: {
      enabled: file.checks?.enabled ?? true,
      intervalMs: Math.max(1, Math.round((file.checks?.interval_s ?? checkIntervalS) * 1000)),
      concurrency: file.checks?.concurrency ?? 4,
    },
    rules: (file.rules ?? []).map((r) => ({
      ...(r.status !== undefined && { statuses: Array.isArray(r.status) ? r.status : [r.status] }),
      ...(r.match !== undefined && { match: r.match.toLowerCase() }),
      action: r.action,
      ...(r.reason !== undefined && { reason: r.reason }),
      ...(r.cooldown_s !== undefined && { cooldownMs: Math.round(r.cooldown_s * 1000) }),
    })),
  }
}

function endpointOf(entry: EndpointEntry, index: number): ServiceConfig['endpoints'][number] {
  const spec = typeof entry === 'string' ? { url: entry } : entry
  return { url: spec.url.replace(/\/+$/, ''), weight: spec.weight ?? 1, priority: spec.priority ?? index }
}

/** Keys given inline or by the name of a variable holding one or a comma-separated list. */
function resolveKeys(
  entries: (KeyEntry | ProxyKeyEntry)[],
  env: Env,
  at: string,
  errors: string[],
  origin: Origin,
): (ServiceConfig['keys'][number] & { entry: number })[] {
  const keys: (ServiceConfig['keys'][number] & { entry: number })[] = []
  entries.forEach((entry, i) => {
    const spec: { value?: string; env?: string; weight?: number; priority?: number } = typeof entry === 'string' ? { value: entry } : entry
    const place = { weight: spec.weight ?? 1, priority: spec.priority ?? i, entry: i }
    if ((spec.value === undefined) === (spec.env === undefined)) {
      errors.push(`${at}[${i}]: give exactly one of value or env`)
    } else if (spec.value !== undefined) {
      const problem = headerValueProblem(spec.value)
      if (problem) errors.push(`${at}[${i}]: ${problem}`)
      keys.push({ value: spec.value, ...place })
    } else {
      const values = checkedList(env, spec.env!, origin, errors, ` (for ${at}[${i}])`)
      if (values.length === 0) errors.push(`${at}[${i}]: environment variable ${spec.env} is not set`)
      for (const value of values) keys.push({ value, ...place })
    }
  })
  return keys
}

function resolveAliases(
  aliases: Record<string, AliasFile>,
  services: Record<string, ServiceConfig>,
  where: string,
  errors: string[],
): Record<string, AliasConfig> {
  const out: Record<string, AliasConfig> = {}
  for (const [name, alias] of Object.entries(aliases)) {
    const spec = Array.isArray(alias) ? { targets: alias } : alias
    const targets: AliasConfig['targets'] = []
    spec.targets.forEach((target, i) => {
      const t = typeof target === 'string' ? { model: target } : target
      const slash = t.model.indexOf('/')
      const service = t.model.slice(0, slash)
      if (!services[service] && service !== MOCK_SERVICE) {
        errors.push(
          `${where}: aliases.${name}.targets[${i}]: no service "${service}" (configured: ${[...Object.keys(services), MOCK_SERVICE].join(', ')})`,
        )
      }
      targets.push({ service, model: t.model.slice(slash + 1), weight: t.weight ?? 1, priority: t.priority ?? i })
    })
    out[name] = { strategy: ('strategy' in spec ? spec.strategy : undefined) ?? 'round-robin', targets }
  }
  return out
}

function resolveLimits(vars: Env, fromFile: Record<string, number | undefined>): Limits {
  const limits = {} as Limits
  for (const [name, spec] of Object.entries(LIMIT_VARIABLES)) {
    limits[spec.field] = vars[name] !== undefined ? Number(vars[name]) : (fromFile[snake(spec.field)] ?? spec.default)
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
  // Every key is masked wherever it appears in an answer or a log line: a short one would mask ordinary words ("test").
  const short = config.proxyApiKeys.filter((k) => k.length < SHORT_KEY)
  if (short.length > 0) {
    warnings.push(
      `PROXY_API_KEYS: ${short.length === 1 ? 'a key' : `${short.length} keys`} shorter than ${SHORT_KEY} characters; ` +
        `lmlb masks every key wherever it appears in an answer or a log, so text holding ${short.length === 1 ? 'it' : 'one'} is changed: use longer keys`,
    )
  }
  return warnings
}

const SHORT_KEY = 12

/** Where a variable's value was set, as a message prefix: `.env:3: `, or nothing for a real variable. */
type Origin = (name: string) => string

/** The comma-separated keys in variable `name`, each checked for what an HTTP header cannot carry. */
function checkedList(env: Env, name: string, origin: Origin, errors: string[], suffix = ''): string[] {
  const values = splitList(env[name])
  values.forEach((value, i) => {
    const problem = headerValueProblem(value)
    if (problem) errors.push(`${origin(name)}${name}[${i}]${suffix}: ${problem}`)
  })
  return values
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

/** The proxy keys of the file that carry limits or budgets, as lmlb reads them. */
function clientLimitsOf(keys: { value: string; entry: number }[], entries: ProxyKeyEntry[]): ClientLimits[] {
  return keys.flatMap(({ value, entry }) => {
    const spec = entries[entry]
    if (typeof spec === 'string') return []
    if ((spec.rpm ?? spec.tpm ?? spec.max_concurrent ?? spec.models ?? spec.budget_usd_day ?? spec.budget_usd_month) === undefined)
      return []
    return [
      {
        key: value,
        ...(spec.rpm && { rpm: spec.rpm }),
        ...(spec.tpm && { tpm: spec.tpm }),
        ...(spec.max_concurrent && { maxConcurrent: spec.max_concurrent }),
        ...(spec.models && { models: spec.models }),
        ...(spec.budget_usd_day && { budgetUsdDay: spec.budget_usd_day }),
        ...(spec.budget_usd_month && { budgetUsdMonth: spec.budget_usd_month }),
        ...(spec.budget_warn_at && { budgetWarnAt: spec.budget_warn_at }),
      },
    ]
  })
}

/** What only the file can say: model defaults, fallbacks, prices. */
function fromFileOnly(file: ConfigFile): Pick<Config, 'modelDefaults' | 'fallbacks' | 'prices'> {
  return { modelDefaults: file.model_defaults ?? {}, fallbacks: file.fallbacks ?? {}, prices: pricesOf(file.prices) }
}

/** A spend cap as the file says it → as lmlb reads it. */
function capOf(cap: { usd_day?: number; usd_month?: number }): { usdDay?: number; usdMonth?: number } {
  return { ...(cap.usd_day && { usdDay: cap.usd_day }), ...(cap.usd_month && { usdMonth: cap.usd_month }) }
}

/** Prices as the file says them (snake case) → as lmlb reads them. */
function pricesOf(file: Record<string, PriceFile> | undefined): Record<string, Price> {
  const prices: Record<string, Price> = {}
  for (const [model, { input, output, cache_read, cache_write }] of Object.entries(file ?? {}))
    prices[model] = {
      input,
      output,
      ...(cache_read !== undefined && { cacheRead: cache_read }),
      ...(cache_write !== undefined && { cacheWrite: cache_write }),
    }
  return prices
}

/** The admin API's key, where what must survive a restart is kept (beside the config file by default), and whether usage is. */
function adminOf(vars: Env, input: LoadInput): { adminKey?: string; dataDir: string; keepUsage: boolean } {
  const dataDir = resolve(input.dir ?? '', vars.LMLB_DATA_DIR ?? join(input.file ? dirname(input.file.path) : '', 'lmlb-data'))
  const keepUsage = vars.LMLB_USAGE !== 'off'
  return vars.LMLB_ADMIN_KEY === undefined ? { dataDir, keepUsage } : { adminKey: vars.LMLB_ADMIN_KEY, dataDir, keepUsage }
}

function redisOf(vars: Env, file: ConfigFile): { redis?: { url: string; prefix: string } } {
  const url = vars.LMLB_REDIS_URL ?? file.redis?.url
  return url === undefined ? {} : { redis: { url, prefix: vars.LMLB_REDIS_PREFIX ?? file.redis?.prefix ?? 'lmlb' } }
}
