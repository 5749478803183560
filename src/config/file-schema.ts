/**
 * The configuration file (YAML or JSON), one TypeBox schema. Published as
 * JSON Schema in config.schema.json for editors (`bun run schema`).
 * Unknown fields are errors, so a typo is named rather than ignored.
 */
import { Type, type Static } from '@sinclair/typebox'
import {
  AffinityMode,
  Format,
  HttpUrl,
  KeyAction,
  LIMIT_VARIABLES,
  LogFormat,
  LogLevel,
  RedisPrefix,
  RedisUrl,
  ModelDefaults,
  OpenAIApiName,
  PreferredProvider,
  ServiceName,
  Strategy,
  withMessage,
} from './schema'

const strict = { additionalProperties: false }
const Weight = Type.Number({ exclusiveMinimum: 0, description: 'share under the weighted strategy (default 1)' })
const Priority = Type.Integer({ description: 'order under the priority strategy: lower goes first (default: list order)' })

const KeyEntry = Type.Union(
  [
    Type.String({ minLength: 1, description: 'the key itself' }),
    Type.Object(
      {
        value: Type.Optional(Type.String({ minLength: 1, description: 'the key itself' })),
        env: Type.Optional(
          Type.String({
            pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
            description: 'name of an environment variable holding one key or a comma-separated list',
          }),
        ),
        weight: Type.Optional(Weight),
        priority: Type.Optional(Priority),
      },
      strict,
    ),
  ],
  { errorMessage: 'a key is a string, or {value | env, weight?, priority?}' },
)

/** A client key, bare or with what it may spend (per instance; across instances with Redis). */
const ProxyKeyEntry = Type.Union(
  [
    Type.String({ minLength: 1, description: 'the key itself' }),
    Type.Object(
      {
        value: Type.Optional(Type.String({ minLength: 1, description: 'the key itself' })),
        env: Type.Optional(
          Type.String({
            pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
            description: 'name of an environment variable holding one key or a comma-separated list',
          }),
        ),
        rpm: Type.Optional(Type.Integer({ minimum: 1, description: 'at most this many requests in any 60-second window' })),
        tpm: Type.Optional(
          Type.Integer({
            minimum: 1,
            description: 'at most this many tokens (input + output, as upstreams report them) in any 60-second window',
          }),
        ),
        max_concurrent: Type.Optional(Type.Integer({ minimum: 1, description: 'at most this many requests at once' })),
        models: Type.Optional(
          Type.Array(Type.String({ minLength: 1 }), {
            description: 'the only models this key may ask for (as the client names them); others get 403',
          }),
        ),
        budget_usd_day: Type.Optional(
          Type.Number({ exclusiveMinimum: 0, description: 'US dollars this key may spend a day (UTC); past it, 429 until midnight UTC' }),
        ),
        budget_usd_month: Type.Optional(
          Type.Number({
            exclusiveMinimum: 0,
            description: 'US dollars this key may spend a calendar month (UTC); past it, 429 until the next',
          }),
        ),
        budget_warn_at: Type.Optional(
          Type.Number({
            exclusiveMinimum: 0,
            exclusiveMaximum: 1,
            description: 'the share of a budget (0.8: 80%) past which lmlb logs a warning, once a period, and the status page shows it',
          }),
        ),
      },
      strict,
    ),
  ],
  {
    errorMessage:
      'a proxy key is a string, or {value | env, rpm?, tpm?, max_concurrent?, models?, budget_usd_day?, budget_usd_month?, budget_warn_at?}',
  },
)

const PriceFile = Type.Object(
  {
    input: Type.Number({ minimum: 0, description: 'USD per million input tokens not read from a cache' }),
    output: Type.Number({ minimum: 0, description: 'USD per million output tokens' }),
    cache_read: Type.Optional(
      Type.Number({ minimum: 0, description: 'USD per million input tokens read from the cache (default: input)' }),
    ),
    cache_write: Type.Optional(
      Type.Number({ minimum: 0, description: 'USD per million input tokens written to the cache (default: input)' }),
    ),
  },
  { ...strict, errorMessage: 'a price is {input, output, cache_read?, cache_write?} in USD per million tokens' },
)
const Prices = Type.Record(Type.String({ minLength: 1 }), PriceFile, {
  description: 'model → USD per million tokens; a model with none is counted in tokens, unpriced (built-in list prices otherwise)',
})

/** What `who` may spend a day and a calendar month (UTC), in US dollars. */
const SpendCap = (who: string, description: string) =>
  Type.Object(
    {
      usd_day: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: `US dollars ${who} may spend a day (UTC)` })),
      usd_month: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: `US dollars ${who} may spend a calendar month (UTC)` })),
    },
    { ...strict, description },
  )

const EndpointEntry = Type.Union(
  [HttpUrl, Type.Object({ url: HttpUrl, weight: Type.Optional(Weight), priority: Type.Optional(Priority) }, strict)],
  { errorMessage: 'an endpoint is a base URL, or {url, weight?, priority?}' },
)

const Status = Type.Integer({ minimum: 400, maximum: 599 })
const KeyRuleFile = Type.Object(
  {
    status: Type.Optional(
      Type.Union([Status, Type.Array(Status, { minItems: 1 })], { errorMessage: 'an HTTP error status (400-599), or a list of them' }),
    ),
    match: Type.Optional(Type.String({ minLength: 1, description: 'text the answer body must contain (case does not matter)' })),
    action: { ...KeyAction, description: 'disable (until a check or an operator), cooldown, or ignore (the endpoint is to blame)' },
    reason: Type.Optional(
      Type.String({ pattern: '^[a-z0-9_]{1,40}$', description: 'a word for the key state (default: from the status)' }),
    ),
    cooldown_s: Type.Optional(Type.Number({ minimum: 0, description: "with cooldown: how long (default: the upstream's Retry-After)" })),
  },
  strict,
)

const KeyPolicyFile = Type.Object(
  {
    disable_after: Type.Optional(
      Type.Integer({ minimum: 1, description: 'consecutive failures of a disabling kind before a key is disabled (default 1)' }),
    ),
    checks: Type.Optional(
      Type.Object(
        {
          interval_s: Type.Optional(
            Type.Number({
              exclusiveMinimum: 0,
              description: 'seconds between checks of a key (default 300; env LMLB_KEY_CHECK_INTERVAL_S)',
            }),
          ),
          concurrency: Type.Optional(Type.Integer({ minimum: 1, description: 'checks of this service at once (default 4)' })),
          enabled: Type.Optional(Type.Boolean({ description: 'check disabled and long-cooling keys in the background (default true)' })),
        },
        strict,
      ),
    ),
    rules: Type.Optional(Type.Array(KeyRuleFile, { description: "what a failure does, first match wins, before the provider's defaults" })),
  },
  { ...strict, description: "what a key's failures do, and how disabled keys are checked" },
)

export const ServiceFile = Type.Object(
  {
    format: Type.Optional(Format),
    apis: Type.Optional(
      Type.Array(OpenAIApiName, {
        minItems: 1,
        uniqueItems: true,
        description: 'an OpenAI-format service: the APIs its endpoints serve, [chat] unless said (the built-in openai: [chat, responses])',
      }),
    ),
    endpoints: Type.Optional(Type.Array(EndpointEntry, { minItems: 1 })),
    keys: Type.Optional(Type.Array(KeyEntry)),
    strategy: Type.Optional(Strategy),
    headers: Type.Optional(Type.Record(Type.String(), Type.String())),
    models: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { description: 'allow-list: the only models this service serves' })),
    rename: Type.Optional(
      Type.Record(Type.String(), Type.String({ minLength: 1 }), { description: 'model name → the name sent upstream' }),
    ),
    affinity: Type.Optional({
      ...AffinityMode,
      description: 'session affinity for this service: session, prefix or off (default: the top-level affinity)',
    }),
    key_policy: Type.Optional(KeyPolicyFile),
    prices: Type.Optional({ ...Prices, description: "this service's own prices by model, before the top-level ones" }),
    key_spend_cap: Type.Optional(
      SpendCap(
        'each key',
        'what each key of this service may spend (free credits, an allowance); past it the key is set aside until the period resets',
      ),
    ),
    spend_cap: Type.Optional(
      SpendCap('the whole service', 'what the whole service may spend; past it every key of it is set aside until the period resets'),
    ),
  },
  strict,
)

const AliasTarget = Type.Union(
  [
    withMessage(Type.String({ pattern: '^[a-z][a-z0-9_-]*/.+' }), 'an alias target is "service/model"'),
    Type.Object(
      {
        model: withMessage(Type.String({ pattern: '^[a-z][a-z0-9_-]*/.+' }), 'an alias target is "service/model"'),
        weight: Type.Optional(Weight),
        priority: Type.Optional(Priority),
      },
      strict,
    ),
  ],
  { errorMessage: 'an alias target is "service/model", or {model: "service/model", weight?, priority?}' },
)

export const AliasFile = Type.Union([
  Type.Array(AliasTarget, { minItems: 1 }),
  Type.Object({ strategy: Type.Optional(Strategy), targets: Type.Array(AliasTarget, { minItems: 1 }) }, strict),
])

const limitFields = Object.fromEntries(
  Object.entries(LIMIT_VARIABLES).map(([variable, spec]) => [
    snake(spec.field),
    Type.Optional(Type.Integer({ minimum: 1, description: `${spec.about} (default ${spec.default}; env ${variable})` })),
  ]),
)

export const ConfigFile = Type.Object(
  {
    $schema: Type.Optional(Type.String()),
    host: Type.Optional(Type.String({ minLength: 1 })),
    port: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
    log_level: Type.Optional(LogLevel),
    log_format: Type.Optional({ ...LogFormat, description: 'text (default) or json: one JSON object a line (env LOG_FORMAT)' }),
    log_bodies: Type.Optional(
      Type.Boolean({ description: 'prompt and completion text in the request log lines, keys masked (env LOG_BODIES=1)' }),
    ),
    proxy_api_keys: Type.Optional(Type.Array(ProxyKeyEntry)),
    preferred_provider: Type.Optional(PreferredProvider),
    big_model: Type.Optional(Type.String({ minLength: 1 })),
    small_model: Type.Optional(Type.String({ minLength: 1 })),
    limits: Type.Optional(Type.Object(limitFields, strict)),
    services: Type.Optional(
      Type.Record(ServiceName, ServiceFile, {
        additionalProperties: withMessage(Type.Never(), 'service names are lowercase letters, digits, "-" and "_"'),
      }),
    ),
    aliases: Type.Optional(Type.Record(Type.String({ minLength: 1 }), AliasFile)),
    fallbacks: Type.Optional(
      Type.Record(Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), {
        description: 'model or alias (as a client asks) → models tried in order, before the client has a byte, when it cannot be served',
      }),
    ),
    model_defaults: Type.Optional(Type.Record(Type.String({ minLength: 1 }), ModelDefaults)),
    prices: Type.Optional(Prices),
    affinity: Type.Optional({ ...AffinityMode, description: 'session affinity: session (default), prefix or off (env LMLB_AFFINITY)' }),
    redis: Type.Optional(
      Type.Object(
        { url: RedisUrl, prefix: Type.Optional(RedisPrefix) },
        { ...strict, description: 'shared state with other instances (env LMLB_REDIS_URL, LMLB_REDIS_PREFIX)' },
      ),
    ),
  },
  strict,
)

export type ConfigFile = Static<typeof ConfigFile>
export type ServiceFile = Static<typeof ServiceFile>
export type KeyEntry = Static<typeof KeyEntry>
export type KeyPolicyFile = Static<typeof KeyPolicyFile>
export type ProxyKeyEntry = Static<typeof ProxyKeyEntry>
export type EndpointEntry = Static<typeof EndpointEntry>
export type AliasFile = Static<typeof AliasFile>
export type PriceFile = Static<typeof PriceFile>

export function snake(camel: string): string {
  return camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
}
