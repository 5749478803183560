/**
 * The built-in services are derived from the built-in providers, so a
 * provider added or changed there is a service here with the same facts;
 * and the Claude-model defaults must name models the preferred provider
 * actually serves, or a fresh install routes Claude names nowhere.
 */
import { expect, test } from 'bun:test'
import { BUILTIN_SERVICES, DEFAULT_HOST, DEFAULT_LOG_LEVEL, DEFAULT_PORT, MOCK_SERVICE, MODEL_DEFAULTS } from '../../src/config/defaults'
import { loadConfig } from '../../src/config/load'
import { BUILTIN_PROVIDERS, PROVIDERS } from '../../src/providers'

test('one built-in service per built-in provider, with its format, APIs and base URL', () => {
  expect(Object.keys(BUILTIN_SERVICES)).toEqual(BUILTIN_PROVIDERS.map((p) => p.name))
  for (const p of BUILTIN_PROVIDERS) expect(BUILTIN_SERVICES[p.name]).toEqual({ format: p.format, apis: p.apis, endpoint: p.baseUrl! })
})

test('the mock is not a provider’s service: no built-in shares its name', () => {
  expect(MOCK_SERVICE).toBe('mock')
  expect(Object.keys(BUILTIN_SERVICES)).not.toContain(MOCK_SERVICE)
  expect(Object.keys(PROVIDERS)).not.toContain(MOCK_SERVICE)
})

test("each preferred provider's big and small defaults are models of that provider's family", () => {
  const providerOf = { openai: PROVIDERS.openai, google: PROVIDERS.gemini, anthropic: PROVIDERS.anthropic }
  for (const [preferred, { big, small }] of Object.entries(MODEL_DEFAULTS)) {
    const family = providerOf[preferred as keyof typeof providerOf].family!
    expect([preferred, family.test(big), family.test(small)]).toEqual([preferred, true, true])
    expect(big).not.toBe(small)
  }
})

test('a configuration with nothing set takes these defaults', () => {
  const result = loadConfig({ env: {} })
  if (!result.ok) throw new Error(result.errors.join('\n'))
  const { config } = result
  expect([config.host, config.port, config.logLevel]).toEqual([DEFAULT_HOST, DEFAULT_PORT, DEFAULT_LOG_LEVEL])
  expect([config.bigModel, config.smallModel]).toEqual([MODEL_DEFAULTS.openai.big, MODEL_DEFAULTS.openai.small])
  for (const [name, s] of Object.entries(BUILTIN_SERVICES)) {
    expect(config.services[name].endpoints.map((e) => e.url)).toEqual([s.endpoint])
    expect(config.services[name].format).toBe(s.format)
  }
})
