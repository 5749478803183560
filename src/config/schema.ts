/**
 * TypeBox schemas: the environment variables as they arrive (strings, named
 * as the user wrote them, so errors can name them) and the resolved,
 * validated configuration the rest of lmlb reads.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox'
import { DefaultErrorFunction, SetErrorFunction } from '@sinclair/typebox/errors'

// A schema may carry its own wording for the one-line configuration errors.
SetErrorFunction((param) => (param.schema as { errorMessage?: string }).errorMessage ?? DefaultErrorFunction(param))

export const withMessage = <T extends TSchema>(schema: T, errorMessage: string): T => ({ ...schema, errorMessage })

export const HttpUrl = withMessage(Type.String({ pattern: '^https?://[^\\s/?#]+[^\\s]*$' }), 'not an http(s) URL')
export const ServiceName = Type.String({ pattern: '^[a-z][a-z0-9_-]*$' })
export const Format = Type.Union([Type.Literal('openai'), Type.Literal('anthropic'), Type.Literal('gemini')])
/** The OpenAI APIs a configured OpenAI-format service can say it has (Chat Completions is assumed). */
export const OpenAIApiName = withMessage(Type.Union([Type.Literal('chat'), Type.Literal('responses')]), 'must be chat or responses')
export const LogLevel = withMessage(
  Type.Union([Type.Literal('debug'), Type.Literal('info'), Type.Literal('warn'), Type.Literal('error')]),
  'must be one of debug, info, warn, error',
)
export const LogFormat = withMessage(Type.Union([Type.Literal('text'), Type.Literal('json')]), 'must be text or json')
/** A single server, or Sentinel (hosts, then the master's name): see cluster/redis-url.ts. */
export const RedisUrl = withMessage(
  Type.String({ pattern: '^(rediss?://[^\\s]+|rediss?\\+sentinel://[^\\s/]+/[^\\s/?]+(/\\d+)?(\\?[^\\s]*)?)$' }),
  'must be a redis:// or rediss:// URL, or redis+sentinel://host:port[,host:port...]/master-name',
)
export const RedisPrefix = withMessage(Type.String({ pattern: '^[A-Za-z0-9_:.-]{1,64}$' }), 'must be 1-64 letters, digits, _ : . -')
/** How sessions find their key again: by the identity the client sends, also by the prompt's stable prefix, or not at all. */
export const AffinityMode = withMessage(
  Type.Union([Type.Literal('session'), Type.Literal('prefix'), Type.Literal('off')]),
  'must be one of session, prefix, off',
)
export const PreferredProvider = withMessage(
  Type.Union([Type.Literal('openai'), Type.Literal('anthropic'), Type.Literal('google')]),
  'must be one of openai, anthropic, google',
)

/** `SERVICE_ENDPOINTS` once its JSON is parsed. */
export const ServiceEndpoints = withMessage(
  Type.Record(ServiceName, withMessage(Type.Array(HttpUrl, { minItems: 1 }), 'must be a non-empty array of base URLs'), {
    additionalProperties: withMessage(Type.Never(), 'service names are lowercase letters, digits, "-" and "_"'),
  }),
  'must be a JSON object {"service": ["https://base/v1", ...]}',
)

const PositiveInteger = withMessage(Type.String({ pattern: '^[1-9]\\d{0,9}$' }), 'must be a whole number above 0')
const Seconds = withMessage(
  Type.String({ pattern: '^(0\\.\\d*[1-9]\\d*|[1-9]\\d{0,8}(\\.\\d+)?)$' }),
  'must be a number of seconds above 0 (300, 0.5)',
)

/** lmlb's own knobs: variable name → where it goes in `limits`, default, and what it is. */
export const LIMIT_VARIABLES = {
  LMLB_MAX_ATTEMPTS: {
    field: 'maxAttempts',
    default: 3,
    about: 'attempts for transient upstream failures (5xx, timeouts, connection errors) before giving up',
  },
  LMLB_CONNECT_TIMEOUT_MS: {
    field: 'connectTimeoutMs',
    default: 10_000,
    about: 'streaming calls: until the upstream answers with its response head',
  },
  LMLB_FIRST_BYTE_TIMEOUT_MS: {
    field: 'firstByteTimeoutMs',
    default: 600_000,
    about: "until the first byte of the answer (a stream's first event; a whole non-streaming answer's head)",
  },
  LMLB_IDLE_TIMEOUT_MS: { field: 'idleTimeoutMs', default: 300_000, about: 'longest silence between two chunks of a stream' },
  LMLB_TOTAL_TIMEOUT_MS: { field: 'totalTimeoutMs', default: 1_200_000, about: 'a whole non-streaming call' },
  LMLB_MAX_BODY_BYTES: { field: 'maxBodyBytes', default: 32 * 1024 * 1024, about: 'largest request body; larger gets 413' },
  LMLB_BODY_TIMEOUT_MS: {
    field: 'bodyTimeoutMs',
    default: 60_000,
    about: 'how long a request body may take (a body up to 1 MiB, whole; larger or chunked, each gap between bytes); past it, 408',
  },
  LMLB_MAX_UPSTREAM_CALLS: {
    field: 'maxUpstreamCalls',
    default: 65_535,
    about: 'upstream calls in flight per process (also capped by what the process allows); past it, an immediate 503 overloaded',
  },
  LMLB_SHUTDOWN_GRACE_MS: {
    field: 'shutdownGraceMs',
    default: 30_000,
    about: 'on SIGTERM/SIGINT, how long in-flight requests may take to finish',
  },
  LMLB_AFFINITY_TTL_S: {
    field: 'affinityTtlS',
    default: 300,
    about:
      "how long a session stays pinned to its key after its last request (Anthropic's default cache lifetime; " +
      'a request asking cache_control ttl 1h pins for an hour)',
  },
  LMLB_AFFINITY_MAX_SESSIONS: {
    field: 'affinityMaxSessions',
    default: 100_000,
    about: 'the most sessions pinned at once; the least recently used goes first',
  },
  LMLB_USAGE_FLUSH_S: {
    field: 'usageFlushS',
    default: 5,
    about: 'how often usage counted in memory is written to the usage store; a crash loses at most this much',
  },
  LMLB_USAGE_DAYS: {
    field: 'usageDays',
    default: 400,
    about: 'how many days of daily usage totals are kept (hourly ones: 35 days)',
  },
  LMLB_REQUESTS_DAYS: {
    field: 'requestsDays',
    default: 7,
    about: 'how many days of request records (GET /admin/requests) are kept in the usage store',
  },
  LMLB_REQUESTS_SHARED: {
    field: 'requestsShared',
    default: 100_000,
    about: 'with Redis: the most request records the shared stream holds (the oldest go first)',
  },
  LMLB_RESPONSES_KEPT: {
    field: 'responsesKept',
    default: 10_000,
    about:
      'the most Responses API responses lmlb keeps in memory (those it made by translation, for previous_response_id); the least recently used goes first',
  },
  LMLB_RESPONSES_KEPT_MB: {
    field: 'responsesKeptMb',
    default: 100,
    about: 'the most memory those kept responses take, in MiB',
  },
  LMLB_RESPONSES_KEPT_S: {
    field: 'responsesKeptS',
    default: 86_400,
    about: 'how long a kept response lives after its last use (in memory and in Redis)',
  },
} as const

export type LimitVariable = keyof typeof LIMIT_VARIABLES
export type Limits = { -readonly [V in LimitVariable as (typeof LIMIT_VARIABLES)[V]['field']]: number }

/** The variables lmlb reads, as strings, before any interpretation. */
export const EnvVariables = Type.Object({
  HOST: Type.Optional(withMessage(Type.String({ minLength: 1 }), 'must not be empty')),
  PORT: Type.Optional(withMessage(Type.String({ pattern: '^\\d{1,5}$' }), 'must be a port number 0-65535')),
  LOG_LEVEL: Type.Optional(LogLevel),
  LOG_FORMAT: Type.Optional(LogFormat),
  LOG_BODIES: Type.Optional(withMessage(Type.Union([Type.Literal('0'), Type.Literal('1')]), 'must be 0 or 1')),
  LMLB_AFFINITY: Type.Optional(AffinityMode),
  LMLB_REDIS_URL: Type.Optional(RedisUrl),
  LMLB_REDIS_PREFIX: Type.Optional(RedisPrefix),
  PREFERRED_PROVIDER: Type.Optional(PreferredProvider),
  BIG_MODEL: Type.Optional(withMessage(Type.String({ minLength: 1 }), 'must not be empty')),
  SMALL_MODEL: Type.Optional(withMessage(Type.String({ minLength: 1 }), 'must not be empty')),
  LMLB_KEY_CHECK_INTERVAL_S: Type.Optional(Seconds),
  LMLB_ADMIN_KEY: Type.Optional(withMessage(Type.String({ minLength: 16 }), 'must be at least 16 characters (it steers every key)')),
  LMLB_DATA_DIR: Type.Optional(withMessage(Type.String({ minLength: 1 }), 'must not be empty')),
  LMLB_USAGE: Type.Optional(withMessage(Type.Union([Type.Literal('on'), Type.Literal('off')]), 'must be on or off')),
  ...Object.fromEntries(Object.keys(LIMIT_VARIABLES).map((name) => [name, Type.Optional(PositiveInteger)])),
})

export const Strategy = withMessage(
  Type.Union([
    Type.Literal('round-robin'),
    Type.Literal('weighted'),
    Type.Literal('least-busy'),
    Type.Literal('priority'),
    Type.Literal('most-remaining'),
  ]),
  'must be one of round-robin, weighted, least-busy, priority, most-remaining',
)

export const KeyAction = withMessage(
  Type.Union([Type.Literal('disable'), Type.Literal('cooldown'), Type.Literal('ignore')]),
  'must be one of disable, cooldown, ignore',
)

/** What a key's failures do in one service (upstream/key-verdict.ts, balancer/key-failures.ts), and how its keys are checked. */
export const KeyPolicy = Type.Object({
  /** Consecutive failures of a disabling kind before a key is disabled (a success in between starts again). */
  disableAfter: Type.Integer({ minimum: 1 }),
  checks: Type.Object({ enabled: Type.Boolean(), intervalMs: Type.Integer({ minimum: 1 }), concurrency: Type.Integer({ minimum: 1 }) }),
  /** The service's own rules, before its provider's; `match` in lower case. */
  rules: Type.Array(
    Type.Object({
      statuses: Type.Optional(Type.Array(Type.Integer({ minimum: 400, maximum: 599 }))),
      match: Type.Optional(Type.String({ minLength: 1 })),
      action: KeyAction,
      reason: Type.Optional(Type.String({ minLength: 1 })),
      cooldownMs: Type.Optional(Type.Integer({ minimum: 0 })),
    }),
  ),
})

/** US dollars per million tokens (providers/prices.ts): input not read from a cache, output, cache reads and writes (absent: as input). */
export const Price = Type.Object({
  input: Type.Number({ minimum: 0 }),
  output: Type.Number({ minimum: 0 }),
  cacheRead: Type.Optional(Type.Number({ minimum: 0 })),
  cacheWrite: Type.Optional(Type.Number({ minimum: 0 })),
})

/** How a key or endpoint weighs in the `weighted` and `priority` strategies. */
const Placement = { weight: Type.Number({ exclusiveMinimum: 0 }), priority: Type.Integer() }

export const ServiceConfig = Type.Object({
  name: ServiceName,
  format: Format,
  /** Who serves it (providers/): what its API needs, by the provider's name. */
  provider: Type.String(),
  /** The wire APIs its endpoints serve: an OpenAI-format service Chat Completions and perhaps Responses; an Anthropic one Messages; a Gemini one Gemini's. */
  apis: Type.Array(Type.Union([OpenAIApiName, Type.Literal('messages'), Type.Literal('gemini')])),
  endpoints: Type.Array(Type.Object({ url: HttpUrl, ...Placement }), { minItems: 1 }),
  /** `source: 'admin'`: added through the admin API (state/key-store.ts), not from the configuration. */
  keys: Type.Array(Type.Object({ value: Type.String({ minLength: 1 }), ...Placement, source: Type.Optional(Type.Literal('admin')) })),
  strategy: Strategy,
  /** Extra headers sent with every call to this service (OpenRouter's X-Title...). */
  headers: Type.Record(Type.String(), Type.String()),
  /** When set, the only models this service serves. */
  models: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /** How this service's sessions keep their key (LMLB_AFFINITY unless the file says). */
  affinity: AffinityMode,
  /** Model names rewritten on the way out (a public name → the upstream's). */
  rename: Type.Record(Type.String(), Type.String({ minLength: 1 })),
  /** Built-in services refuse to send a request with no key; others (vLLM, Ollama) may need none. */
  keysRequired: Type.Boolean(),
  /** Where the keys come from, for messages (`OPENAI_API_KEYS or OPENAI_API_KEY`). */
  keyVariables: Type.String(),
  keyPolicy: KeyPolicy,
  /** Its own prices by model, before the top-level ones and the bundled table. */
  prices: Type.Record(Type.String(), Price),
  /** What the whole service may spend a day and a month (UTC); past it, all its keys are set aside until the period resets. */
  spendCap: Type.Optional(
    Type.Object({
      usdDay: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      usdMonth: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    }),
  ),
  /** What each of its keys may spend a day and a month (UTC); past it, the key is set aside until the period resets. */
  keySpendCap: Type.Optional(
    Type.Object({
      usdDay: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
      usdMonth: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
    }),
  ),
})

/** A client key's limits (the proxy key it belongs to is `key`). */
export const ClientLimits = Type.Object({
  key: Type.String({ minLength: 1 }),
  rpm: Type.Optional(Type.Integer({ minimum: 1 })),
  tpm: Type.Optional(Type.Integer({ minimum: 1 })),
  maxConcurrent: Type.Optional(Type.Integer({ minimum: 1 })),
  models: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  /** US dollars this key may spend a day and a month (UTC), at the prices usage is counted at. */
  budgetUsdDay: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  budgetUsdMonth: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
  /** The share of a budget past which lmlb warns, once a period. */
  budgetWarnAt: Type.Optional(Type.Number({ exclusiveMinimum: 0, exclusiveMaximum: 1 })),
})

/** One public model name fanned out to deployments (service + model) across services. */
export const AliasConfig = Type.Object({
  strategy: Strategy,
  targets: Type.Array(Type.Object({ service: ServiceName, model: Type.String({ minLength: 1 }), ...Placement }), { minItems: 1 }),
})

/** Parameters applied to a model's requests when the client sets none. */
export const ModelDefaults = Type.Object(
  {
    temperature: Type.Optional(Type.Number()),
    top_p: Type.Optional(Type.Number()),
    max_tokens: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
)

export const Config = Type.Object({
  host: Type.String({ minLength: 1 }),
  port: Type.Integer({ minimum: 0, maximum: 65535 }),
  logLevel: LogLevel,
  /** `text`: a readable line; `json`: one JSON object a line. */
  logFormat: LogFormat,
  /** Prompt and completion text in the request log lines (keys masked). */
  logBodies: Type.Boolean(),
  preferredProvider: PreferredProvider,
  bigModel: Type.String({ minLength: 1 }),
  smallModel: Type.String({ minLength: 1 }),
  proxyApiKeys: Type.Array(Type.String({ minLength: 1 })),
  /** The admin API's key (LMLB_ADMIN_KEY); none: the admin API is off. */
  adminKey: Type.Optional(Type.String({ minLength: 16 })),
  /** Where what must survive a restart is kept (LMLB_DATA_DIR; default lmlb-data beside the configuration). */
  dataDir: Type.String({ minLength: 1 }),
  /** Usage and request records kept in the usage store (LMLB_USAGE, default on); off: counted for /stats and /metrics only. */
  keepUsage: Type.Boolean(),
  /** What the proxy keys that carry limits may spend. */
  clientLimits: Type.Array(ClientLimits),
  services: Type.Record(ServiceName, ServiceConfig),
  aliases: Type.Record(Type.String(), AliasConfig),
  /** A model or alias (as a client asks) → the models tried after it, in order, when it cannot be served. */
  fallbacks: Type.Record(Type.String(), Type.Array(Type.String({ minLength: 1 }))),
  modelDefaults: Type.Record(Type.String(), ModelDefaults),
  /** Prices by model, before the bundled table (providers/prices.ts). */
  prices: Type.Record(Type.String(), Price),
  /** Affinity for aliases, and for services that do not set their own. */
  affinity: AffinityMode,
  /** Shared state with other instances (LMLB_REDIS_URL). */
  redis: Type.Optional(Type.Object({ url: RedisUrl, prefix: RedisPrefix })),
  limits: Type.Object(Object.fromEntries(Object.values(LIMIT_VARIABLES).map((v) => [v.field, Type.Integer({ minimum: 1 })]))),
})

export type Format = Static<typeof Format>
export type Price = Static<typeof Price>
export type LogLevel = Static<typeof LogLevel>
export type LogFormat = Static<typeof LogFormat>
export type AffinityMode = Static<typeof AffinityMode>
export type ServiceConfig = Static<typeof ServiceConfig>
export type KeyPolicy = Static<typeof KeyPolicy>
export type Strategy = Static<typeof Strategy>
export type AliasConfig = Static<typeof AliasConfig>
export type ClientLimits = Static<typeof ClientLimits>
export type ModelDefaults = Static<typeof ModelDefaults>
export type Config = Omit<Static<typeof Config>, 'limits'> & { limits: Limits }
