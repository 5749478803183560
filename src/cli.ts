/** Command-line options and the help text. */
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { DEFAULT_HOST, DEFAULT_PORT } from './config/defaults'
import { LIMIT_VARIABLES } from './config/schema'

export interface CliOptions {
  help: boolean
  version: boolean
  check: boolean
  host?: string
  port?: string
  envFile?: string
  config?: string
  /** Processes serving the port; `auto`: one per core. */
  workers: number
}

export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      help: { type: 'boolean', short: 'h', default: false },
      version: { type: 'boolean', short: 'v', default: false },
      check: { type: 'boolean', default: false },
      host: { type: 'string' },
      port: { type: 'string', short: 'p' },
      'env-file': { type: 'string' },
      config: { type: 'string', short: 'c' },
      workers: { type: 'string', short: 'w' },
    },
  })
  return {
    help: values.help!,
    version: values.version!,
    check: values.check!,
    host: values.host,
    port: values.port,
    envFile: values['env-file'],
    config: values.config,
    workers: parseWorkers(values.workers),
  }
}

function parseWorkers(raw: string | undefined): number {
  if (raw === undefined) return 1
  if (raw === 'auto') return availableParallelism()
  if (!/^[1-9]\d{0,2}$/.test(raw)) throw new Error(`--workers: expected a number of processes or "auto", got "${raw}"`)
  return Number(raw)
}

export const HELP = `lmlb — LLM API load balancer

Usage: lmlb [options]

Options:
  --host H          address to listen on (env HOST, default ${DEFAULT_HOST})
  -p, --port P      port to listen on (env PORT, default ${DEFAULT_PORT})
  --env-file F      read variables from F instead of ./.env
  -c, --config F    configuration file, YAML or JSON (env LMLB_CONFIG); see config.schema.json
  -w, --workers N   processes serving the port (default 1; "auto" = one per core)
  --check           validate the configuration, print what it resolved (keys masked), exit
  -h, --help        this text
  -v, --version     print the version (and a binary's git commit)

Environment (real variables win over .env):
  OPENAI_API_KEYS, ANTHROPIC_API_KEYS, GEMINI_API_KEYS
                    comma-separated key pools (round-robin)
  OPENAI_API_KEY, ANTHROPIC_API_KEY, GEMINI_API_KEY
                    single key, used when the pool is unset
  <NAME>_API_KEYS, <NAME>_API_KEY
                    keys of a service NAME added in SERVICE_ENDPOINTS
  SERVICE_ENDPOINTS JSON {"service": ["https://base/v1", ...]} (may span lines in .env);
                    services other than openai, anthropic, gemini speak the OpenAI format
  PREFERRED_PROVIDER  openai (default), anthropic or google: where Claude model names go
  BIG_MODEL, SMALL_MODEL  models for sonnet/opus and haiku names
  PROXY_API_KEYS    keys clients must present (x-api-key or Authorization: Bearer)
  LOG_LEVEL         debug, info (default), warn, error
  LOG_FORMAT        text (default) or json; LOG_BODIES=1: prompts and completions in the log (keys masked)
  HOST, PORT        as --host, --port
  LMLB_CONFIG       as --config
  LMLB_AFFINITY     session (default), prefix or off: whether a conversation keeps its key (prompt cache)
  LMLB_REDIS_URL, LMLB_REDIS_PREFIX
                    share cooldowns, disabled keys, pins and limits with other instances
  LMLB_KEY_CHECK_INTERVAL_S  seconds between checks of a disabled key (default 300)
  LMLB_ADMIN_KEY    the admin API's key (/admin/keys); unset: the admin API is off
  LMLB_DATA_DIR     where added keys and key states are kept (default lmlb-data beside the config)
  OTEL_EXPORTER_OTLP_ENDPOINT  OpenTelemetry traces over OTLP/HTTP
${Object.entries(LIMIT_VARIABLES)
  .map(([name, spec]) => `  ${name.padEnd(26)} ${spec.about} (default ${spec.default})`)
  .join('\n')}

Reload: a change of .env or the config file, SIGHUP, or POST /admin/reload.

Endpoints: POST /v1/messages, POST /v1/messages/count_tokens, POST /v1/chat/completions,
           GET / /health /stats /metrics, POST /admin/reload, /admin/keys (LMLB_ADMIN_KEY)
Model "mock/<anything>" answers locally with no key.
`
