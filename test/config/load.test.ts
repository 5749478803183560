import { describe, expect, test } from 'bun:test'
import { loadConfig, type LoadInput } from '../../src/config/load'

const errorsOf = (input: LoadInput) => {
  const result = loadConfig(input)
  if (result.ok) throw new Error('expected errors')
  return result.errors
}

const keysOf = (config: { keys: { value: string }[] }) => config.keys.map((k) => k.value)
const urlsOf = (config: { endpoints: { url: string }[] }) => config.endpoints.map((e) => e.url)

const configOf = (input: LoadInput) => {
  const result = loadConfig(input)
  if (!result.ok) throw new Error(result.errors.join('\n'))
  return result
}

describe('loadConfig', () => {
  test('no variables at all: defaults, the built-in services, a warning', () => {
    const { config, warnings } = configOf({ env: {} })
    expect(config.host).toBe('127.0.0.1')
    expect(config.port).toBe(8082)
    expect(config.logLevel).toBe('info')
    expect(Object.keys(config.services)).toEqual(['openai', 'anthropic', 'gemini'])
    expect(config.services.gemini).toMatchObject({
      format: 'openai',
      endpoints: [{ url: 'https://generativelanguage.googleapis.com/v1beta/openai' }],
      keys: [],
    })
    expect(warnings.join()).toContain('No API keys configured')
    expect(Object.isFrozen(config.services.openai.keys)).toBe(true)
  })

  test('a proxy key shorter than 12 characters is warned of: masking it would change ordinary text', () => {
    const { warnings } = configOf({ env: { PROXY_API_KEYS: 'test,a-long-enough-proxy-key' } })
    expect(warnings).toContain(
      'PROXY_API_KEYS: a key shorter than 12 characters; lmlb masks every key wherever it appears in an answer or a log, so text holding it is changed: use longer keys',
    )
    expect(configOf({ env: { PROXY_API_KEYS: 'a-long-enough-proxy-key' } }).warnings.join()).not.toContain('shorter')
  })

  test('pools win over single keys; single keys are the fallback', () => {
    const { config } = configOf({ env: { OPENAI_API_KEYS: ' a , b ,,c', OPENAI_API_KEY: 'single', ANTHROPIC_API_KEY: 'ant-single' } })
    expect(keysOf(config.services.openai)).toEqual(['a', 'b', 'c'])
    expect(keysOf(config.services.anthropic)).toEqual(['ant-single'])
  })

  test('real environment wins over .env', () => {
    const { config } = configOf({ env: { LOG_LEVEL: 'warn' }, dotenv: { path: '.env', text: 'LOG_LEVEL=debug\nPORT=9000' } })
    expect(config.logLevel).toBe('warn')
    expect(config.port).toBe(9000)
  })

  test('command-line host and port win over both', () => {
    const { config } = configOf({ env: { PORT: '1' }, host: '0.0.0.0', port: '7' })
    expect([config.host, config.port]).toEqual(['0.0.0.0', 7])
  })

  test('SERVICE_ENDPOINTS overrides and adds services; new ones are OpenAI-format with their own key variables', () => {
    const { config } = configOf({
      env: {
        SERVICE_ENDPOINTS: '{"openai": ["https://a/v1/", "https://b/v1"], "groq": ["https://api.groq.com/openai/v1"]}',
        GROQ_API_KEYS: 'g1,g2',
      },
    })
    expect(urlsOf(config.services.openai)).toEqual(['https://a/v1', 'https://b/v1'])
    expect(config.services.groq).toMatchObject({ format: 'openai', keysRequired: false, strategy: 'round-robin' })
    expect(keysOf(config.services.groq)).toEqual(['g1', 'g2'])
    expect(urlsOf(config.services.anthropic)).toEqual(['https://api.anthropic.com/v1'])
  })

  test('invalid JSON names the variable, the line and the column', () => {
    expect(errorsOf({ env: { SERVICE_ENDPOINTS: '{\n  "openai": [\n    "https://a/v1",\n  ]\n}' } })).toEqual([
      "SERVICE_ENDPOINTS: invalid JSON at line 4, column 3: trailing comma before ']'",
    ])
  })

  test('a bad URL names its place', () => {
    expect(errorsOf({ env: { SERVICE_ENDPOINTS: '{"openai": ["https://ok/v1", "ftp://nope"]}' } })).toEqual([
      'SERVICE_ENDPOINTS.openai[1]: not an http(s) URL',
    ])
  })

  test('other SERVICE_ENDPOINTS mistakes', () => {
    expect(errorsOf({ env: { SERVICE_ENDPOINTS: '["https://a/v1"]' } })).toEqual([
      'SERVICE_ENDPOINTS: must be a JSON object {"service": ["https://base/v1", ...]}',
    ])
    expect(errorsOf({ env: { SERVICE_ENDPOINTS: '{"openai": []}' } })).toEqual([
      'SERVICE_ENDPOINTS.openai: must be a non-empty array of base URLs',
    ])
    expect(errorsOf({ env: { SERVICE_ENDPOINTS: '{"Open AI": ["https://a"]}' } })).toEqual([
      'SERVICE_ENDPOINTS.Open AI: service names are lowercase letters, digits, "-" and "_"',
    ])
    expect(errorsOf({ env: { SERVICE_ENDPOINTS: '{"mock": ["https://a"]}' } })).toEqual([
      'SERVICE_ENDPOINTS.mock: "mock" is built in and has no endpoints',
    ])
  })

  test('every bad scalar is named, all at once', () => {
    expect(errorsOf({ env: { PORT: 'eighty', LOG_LEVEL: 'loud', PREFERRED_PROVIDER: 'azure' } })).toEqual([
      'PORT: must be a port number 0-65535',
      'LOG_LEVEL: must be one of debug, info, warn, error',
      'PREFERRED_PROVIDER: must be one of openai, anthropic, google',
    ])
    expect(errorsOf({ env: { PORT: '70000' } })).toEqual(['PORT: must be a port number 0-65535'])
  })

  test('.env syntax problems name the file and line', () => {
    expect(errorsOf({ env: {}, dotenv: { path: 'my.env', text: 'A=1\nnonsense' } })).toEqual(['my.env:2: expected NAME=value'])
  })

  test('PREFERRED_PROVIDER=google picks Gemini models by default', () => {
    const { config } = configOf({ env: { PREFERRED_PROVIDER: 'google' } })
    expect([config.bigModel, config.smallModel]).toEqual(['gemini-2.5-pro', 'gemini-2.5-flash'])
  })
})
