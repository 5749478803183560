/**
 * Which provider serves a service decides its auth header, its forwarded
 * headers and what a translated request is fitted to (Gemini's schema
 * cleaning). A wrong pick sends a request a provider refuses, so each rule
 * of providerFor is checked, and so is every built-in's data.
 */
import { describe, expect, test } from 'bun:test'
import { CALL_OF } from '../../src/apis/endpoints'
import { BUILTIN_PROVIDERS, PROVIDERS, providerFor } from '../../src/providers'

const service = (name: string, format: 'openai' | 'anthropic', ...urls: string[]) => ({
  name,
  format,
  endpoints: urls.map((url) => ({ url })),
})

describe('providerFor', () => {
  test('an Anthropic-format service is Anthropic, whatever its name or URL', () => {
    expect(providerFor(service('anthropic', 'anthropic', 'https://api.anthropic.com/v1'))).toBe(PROVIDERS.anthropic)
    expect(providerFor(service('claude-team', 'anthropic', 'https://proxy.example/v1'))).toBe(PROVIDERS.anthropic)
    expect(providerFor(service('gemini', 'anthropic', 'https://generativelanguage.googleapis.com/v1beta/openai'))).toBe(PROVIDERS.anthropic)
  })

  test("Gemini: the built-in by name, or any OpenAI-format service with an endpoint at Google's host", () => {
    expect(providerFor(service('gemini', 'openai', 'https://my-proxy.example/v1'))).toBe(PROVIDERS.gemini)
    expect(providerFor(service('google', 'openai', 'https://generativelanguage.googleapis.com/v1beta/openai'))).toBe(PROVIDERS.gemini)
    // One endpoint of several is enough.
    expect(providerFor(service('mixed', 'openai', 'https://a.example/v1', 'https://generativelanguage.googleapis.com/v1beta/openai'))).toBe(
      PROVIDERS.gemini,
    )
  })

  test('OpenAI: the built-in `openai` only; any other OpenAI-format service is openai-compatible', () => {
    expect(providerFor(service('openai', 'openai', 'https://api.openai.com/v1'))).toBe(PROVIDERS.openai)
    expect(providerFor(service('groq', 'openai', 'https://api.groq.com/openai/v1'))).toBe(PROVIDERS['openai-compatible'])
    expect(providerFor(service('azure', 'openai', 'https://api.openai.com/v1'))).toBe(PROVIDERS['openai-compatible'])
  })
})

describe('the providers as data', () => {
  test('PROVIDERS is keyed by the name of each provider; the built-ins are openai, anthropic, gemini', () => {
    for (const [name, p] of Object.entries(PROVIDERS)) expect(p.name).toBe(name)
    expect(BUILTIN_PROVIDERS.map((p) => p.name)).toEqual(['openai', 'anthropic', 'gemini'])
    for (const p of BUILTIN_PROVIDERS) expect(PROVIDERS[p.name]).toBe(p)
  })

  test('every built-in has an https base URL ending at its version segment: the API paths append to it', () => {
    for (const p of BUILTIN_PROVIDERS) {
      expect(p.baseUrl).toMatch(/^https:\/\/[^/]+\/v\d+\w*(\/openai)?$/)
      expect(p.baseUrl!.endsWith('/')).toBe(false)
    }
    expect(PROVIDERS.openai.baseUrl + CALL_OF.chat.upstream).toBe('https://api.openai.com/v1/chat/completions')
    expect(PROVIDERS.openai.baseUrl + CALL_OF.responses.upstream).toBe('https://api.openai.com/v1/responses')
    expect(PROVIDERS.anthropic.baseUrl + CALL_OF.messages.upstream).toBe('https://api.anthropic.com/v1/messages')
    expect(PROVIDERS.gemini.baseUrl + CALL_OF.chat.upstream).toBe(
      'https://generativelanguage.googleapis.com/v1beta/openai/chat/completions',
    )
    expect(PROVIDERS['gemini-native'].baseUrl).toBe('https://generativelanguage.googleapis.com/v1beta')
  })

  test('each speaks the APIs of its format, and sends its key as that API expects', () => {
    for (const p of Object.values(PROVIDERS)) {
      if (p.format === 'anthropic') expect(p.apis).toEqual(['messages'])
      else if (p.format === 'gemini') expect(p.apis).toEqual(['gemini'])
      else {
        expect(p.apis).toContain('chat')
        expect(p.apis).not.toContain('messages')
      }
      const AUTH = {
        anthropic: { header: 'x-api-key', prefix: '' },
        gemini: { header: 'x-goog-api-key', prefix: '' },
        openai: { header: 'authorization', prefix: 'Bearer ' },
      }
      expect(p.auth).toEqual(AUTH[p.format])
      // The client's credentials are never passed on.
      for (const h of ['authorization', 'x-api-key', 'x-goog-api-key', 'cookie']) expect(p.forwarded).not.toContain(h)
    }
  })

  test('model families do not overlap, and openai-compatible claims none (it has no base URL to send them to)', () => {
    const names = ['gpt-4o', 'o3-mini', 'text-embedding-3-small', 'whisper-1', 'claude-sonnet-4-5', 'gemini-2.5-pro', 'llama-3.3-70b']
    for (const model of names) expect(Object.values(PROVIDERS).filter((p) => p.family?.test(model)).length).toBeLessThanOrEqual(1)
    expect(names.filter((m) => PROVIDERS.openai.family!.test(m))).toEqual(['gpt-4o', 'o3-mini', 'text-embedding-3-small', 'whisper-1'])
    expect(PROVIDERS['openai-compatible'].family).toBeUndefined()
    expect(PROVIDERS['openai-compatible'].baseUrl).toBeUndefined()
  })
})
