import { describe, expect, test } from 'bun:test'
import { loadConfig, type LoadInput } from '../../src/config/load'

const load = (yaml: string, env: Record<string, string> = {}, extra: Partial<LoadInput> = {}) =>
  loadConfig({ env, file: { path: 'lmlb.yaml', text: yaml }, ...extra })

const errorsOf = (yaml: string, env: Record<string, string> = {}) => {
  const r = load(yaml, env)
  if (r.ok) throw new Error('expected errors')
  return r.errors
}

const configOf = (yaml: string, env: Record<string, string> = {}, extra: Partial<LoadInput> = {}) => {
  const r = load(yaml, env, extra)
  if (!r.ok) throw new Error(r.errors.join('\n'))
  return r.config
}

describe('config file', () => {
  test('named services with formats, weighted endpoints, keys inline and from the environment', () => {
    const config = configOf(
      `
services:
  groq:
    endpoints: [https://api.groq.com/openai/v1]
    keys: [{ env: GROQ_KEYS }]
  claude-team:
    format: anthropic
    strategy: weighted
    endpoints:
      - { url: https://api.anthropic.com/v1, weight: 3 }
      - { url: https://proxy.example/v1/, weight: 1 }
    keys: [sk-ant-inline-aaaa, { value: sk-ant-inline-bbbb, weight: 2 }]
    headers: { X-Team: infra }
    models: [claude-sonnet-4-5]
    rename: { claude-sonnet-4-5: claude-sonnet-4-5-20250929 }
`,
      { GROQ_KEYS: 'g1, g2' },
    )
    expect(config.services.groq).toMatchObject({ format: 'openai', keys: [{ value: 'g1' }, { value: 'g2' }], strategy: 'round-robin' })
    expect(config.services['claude-team']).toMatchObject({
      format: 'anthropic',
      strategy: 'weighted',
      endpoints: [
        { url: 'https://api.anthropic.com/v1', weight: 3, priority: 0 },
        { url: 'https://proxy.example/v1', weight: 1, priority: 1 },
      ],
      keys: [
        { value: 'sk-ant-inline-aaaa', weight: 1 },
        { value: 'sk-ant-inline-bbbb', weight: 2 },
      ],
      headers: { 'X-Team': 'infra' },
      models: ['claude-sonnet-4-5'],
      rename: { 'claude-sonnet-4-5': 'claude-sonnet-4-5-20250929' },
    })
  })

  test('apis: the OpenAI APIs a service serves, [chat] unless said; the built-in openai has the Responses API, gemini not', () => {
    const config = configOf(
      'services:\n  vllm:\n    endpoints: [http://127.0.0.1:8000/v1]\n    apis: [chat, responses]\n  groq:\n    endpoints: [https://api.groq.com/openai/v1]\n',
    )
    const apis = Object.fromEntries(Object.entries(config.services).map(([name, s]) => [name, s.apis]))
    expect(apis).toEqual({
      openai: ['chat', 'responses'],
      anthropic: ['messages'],
      gemini: ['chat'],
      vllm: ['chat', 'responses'],
      groq: ['chat'],
    })
    expect(errorsOf('services:\n  claude:\n    format: anthropic\n    endpoints: [https://a.example/v1]\n    apis: [responses]\n')).toEqual(
      [
        "lmlb.yaml: services.claude.apis: only an OpenAI-format service takes apis (an Anthropic-format one serves Messages, a Gemini-format one Gemini's API)",
      ],
    )
    expect(errorsOf('services:\n  vllm:\n    endpoints: [http://127.0.0.1:8000/v1]\n    apis: [completions]\n')[0]).toContain(
      'services.vllm.apis',
    )
  })

  test('JSON works too', () => {
    const config = configOf('{"services": {"vllm": {"endpoints": ["http://127.0.0.1:8000/v1"]}}, "port": 9000}')
    expect(config.services.vllm.keys).toEqual([])
    expect(config.port).toBe(9000)
  })

  test('merge: environment settings win over the file; the file over defaults', () => {
    const config = configOf('port: 9000\nlog_level: debug\nbig_model: gpt-4o\nlimits: { max_attempts: 5, idle_timeout_ms: 1000 }', {
      LOG_LEVEL: 'warn',
      LMLB_MAX_ATTEMPTS: '2',
    })
    expect([config.port, config.logLevel, config.bigModel]).toEqual([9000, 'warn', 'gpt-4o'])
    expect([config.limits.maxAttempts, config.limits.idleTimeoutMs, config.limits.totalTimeoutMs]).toEqual([2, 1000, 1_200_000])
  })

  test('merge: a service the file names takes the environment keys and endpoints it leaves out', () => {
    const config = configOf('services:\n  openai:\n    strategy: least-busy', {
      OPENAI_API_KEYS: 'k1,k2',
      SERVICE_ENDPOINTS: '{"openai": ["https://a/v1"], "extra": ["https://b/v1"]}',
    })
    expect(config.services.openai).toMatchObject({
      strategy: 'least-busy',
      keys: [{ value: 'k1' }, { value: 'k2' }],
      endpoints: [{ url: 'https://a/v1' }],
    })
    expect(config.services.extra.endpoints).toEqual([{ url: 'https://b/v1', weight: 1, priority: 0 }])
  })

  test('aliases: a list, or a strategy with weighted targets', () => {
    const config = configOf(`
services:
  openrouter: { endpoints: [https://openrouter.ai/api/v1] }
aliases:
  sonnet:
    strategy: priority
    targets: [anthropic/claude-sonnet-4-5, openrouter/anthropic/claude-sonnet-4.5]
  fast: [openai/gpt-4.1-mini, { model: gemini/gemini-2.5-flash, weight: 2 }]
model_defaults:
  sonnet: { temperature: 0.2, max_tokens: 1024 }
`)
    expect(config.aliases.sonnet).toEqual({
      strategy: 'priority',
      targets: [
        { service: 'anthropic', model: 'claude-sonnet-4-5', weight: 1, priority: 0 },
        { service: 'openrouter', model: 'anthropic/claude-sonnet-4.5', weight: 1, priority: 1 },
      ],
    })
    expect(config.aliases.fast.targets[1]).toEqual({ service: 'gemini', model: 'gemini-2.5-flash', weight: 2, priority: 1 })
    expect(config.modelDefaults.sonnet).toEqual({ temperature: 0.2, max_tokens: 1024 })
  })

  test('every error names its path and line', () => {
    expect(errorsOf('services:\n  groq:\n    endpoints:\n      - ftp://nope\n')).toEqual([
      'lmlb.yaml:4:9: services.groq.endpoints[0]: an endpoint is a base URL, or {url, weight?, priority?}',
    ])
    expect(errorsOf('services:\n  openai:\n    strategy: random\n')).toEqual([
      'lmlb.yaml:3:15: services.openai.strategy: must be one of round-robin, weighted, least-busy, priority, most-remaining',
    ])
    expect(errorsOf('port: 1\nprot: 2\n')).toEqual(['lmlb.yaml:2:7: prot: unknown field (a typo?)'])
    expect(errorsOf('services:\n  mystery: {}\n')).toEqual([
      'lmlb.yaml: services.mystery.endpoints: required for a service lmlb does not know',
    ])
    expect(errorsOf('aliases:\n  x: [nowhere/model]\n')[0]).toBe(
      'lmlb.yaml: aliases.x.targets[0]: no service "nowhere" (configured: openai, anthropic, gemini, mock)',
    )
    expect(errorsOf('services:\n  groq:\n    endpoints: [https://g/v1]\n    keys: [{ env: NOT_SET }]\n')).toEqual([
      'lmlb.yaml: services.groq.keys[0]: environment variable NOT_SET is not set',
    ])
    expect(errorsOf('services: [\n')[0]).toMatch(/^lmlb\.yaml:\d+:\d+: /)
  })
})
