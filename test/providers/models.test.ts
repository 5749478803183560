/**
 * What a translated Chat request is fitted to before it goes out. OpenAI-
 * format upstreams refuse an output cap above a model's limit and a
 * reasoning effort for a model that does not reason, so each family's facts
 * are checked, and fitTranslatedChat must cap both token fields, drop an
 * effort the model does not take, and hand the request to its provider.
 */
import { describe, expect, test } from 'bun:test'
import fc from 'fast-check'
import type { OpenAIRequest } from '../../src/apis/openai-chat/wire'
import { PROVIDERS } from '../../src/providers'
import { DEFAULT_OUTPUT_LIMIT, fitTranslatedChat, isReasoningModel, outputLimit, takesReasoningEffort } from '../../src/providers/models'
import type { Provider } from '../../src/providers/provider'

const request = (more: Partial<OpenAIRequest> = {}): OpenAIRequest => ({ model: 'm', messages: [{ role: 'user', content: 'Hi' }], ...more })
const plain = PROVIDERS['openai-compatible']

describe('model facts', () => {
  test('o-series and gpt-5 reason; gpt-4 family, embeddings and other providers do not', () => {
    for (const m of ['o1', 'o3-mini', 'o4-mini-2025-04-16', 'gpt-5', 'gpt-5-mini', 'gpt-5.1-codex']) expect(isReasoningModel(m)).toBe(true)
    for (const m of ['gpt-4o', 'gpt-4.1', 'gpt-3.5-turbo', 'omni-moderation-latest', 'claude-opus-4', 'gemini-2.5-pro', 'llama-o1'])
      expect(isReasoningModel(m)).toBe(false)
  })

  test('a reasoning effort is taken by the reasoning models and Gemini 2.5 and later, not by older Gemini or others', () => {
    for (const m of ['o3', 'gpt-5', 'gemini-2.5-flash', 'gemini-2.5-pro', 'gemini-3-pro-preview'])
      expect(takesReasoningEffort(m)).toBe(true)
    for (const m of ['gpt-4o', 'gemini-2.0-flash', 'gemini-1.5-pro', 'claude-sonnet-4-5', 'llama-3.3-70b'])
      expect(takesReasoningEffort(m)).toBe(false)
  })

  test('output limits per family, the more specific name first; unknown models get the default', () => {
    const limits: Record<string, number> = {
      'gpt-5-mini': 128_000,
      o3: 100_000,
      'o4-mini': 100_000,
      'gpt-4.1-mini': 32_768,
      'gpt-4o-mini': 16_384,
      'gpt-4-turbo': 4_096,
      'gpt-4-0613': 4_096,
      'gpt-4': 4_096,
      'gpt-3.5-turbo': 4_096,
      'gemini-2.5-pro': 65_536,
      'gemini-3-flash': 65_536,
      'gemini-2.0-flash': 8_192,
      'llama-3.3-70b': DEFAULT_OUTPUT_LIMIT,
      'claude-sonnet-4-5': DEFAULT_OUTPUT_LIMIT,
    }
    for (const [model, limit] of Object.entries(limits)) expect([model, outputLimit(model)]).toEqual([model, limit])
    expect(DEFAULT_OUTPUT_LIMIT).toBe(16_384)
  })
})

describe('fitTranslatedChat', () => {
  test('an effort the model does not take is dropped; one it takes is kept as sent', () => {
    const older = request({ reasoning_effort: 'high' })
    fitTranslatedChat(older, 'gpt-4o', plain)
    expect('reasoning_effort' in older).toBe(false)
    for (const model of ['o3', 'gemini-2.5-pro']) {
      const r = request({ reasoning_effort: 'low' })
      fitTranslatedChat(r, model, plain)
      expect(r.reasoning_effort).toBe('low')
    }
  })

  test('for any cap on max_tokens and max_completion_tokens: at most the model’s limit, and unchanged below it', () => {
    const models = fc.constantFrom('gpt-5', 'o3', 'gpt-4.1', 'gpt-4o', 'gpt-4', 'gemini-2.5-pro', 'gemini-2.0-flash', 'my-local-model')
    fc.assert(
      fc.property(models, fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 1_000_000 }), (model, a, b) => {
        const r = request({ max_tokens: a, max_completion_tokens: b })
        fitTranslatedChat(r, model, plain)
        expect(r.max_tokens).toBe(Math.min(a, outputLimit(model)))
        expect(r.max_completion_tokens).toBe(Math.min(b, outputLimit(model)))
      }),
    )
  })

  test('no cap, no effort: none is added', () => {
    const r = request()
    fitTranslatedChat(r, 'gpt-4o', plain)
    expect(r).toEqual(request())
  })

  test("the provider's adaptChat is called with the request, after the caps", () => {
    const seen: OpenAIRequest[] = []
    const provider: Provider = { ...plain, adaptChat: (r) => void seen.push(structuredClone(r)) }
    const r = request({ max_tokens: 128_000, reasoning_effort: 'medium' })
    fitTranslatedChat(r, 'gpt-4o', provider)
    expect(seen).toEqual([request({ max_tokens: 16_384 })])
  })

  test("Gemini: tool schemas lose the keywords its endpoint refuses; other providers' are left as sent", () => {
    const parameters = { type: 'object', additionalProperties: false, properties: { when: { type: 'string', format: 'uri' } } }
    const tools = () => [{ type: 'function' as const, function: { name: 'f', parameters: structuredClone(parameters) } }]
    const forGemini = request({ tools: tools() })
    fitTranslatedChat(forGemini, 'gemini-2.5-pro', PROVIDERS.gemini)
    expect(forGemini.tools![0].function.parameters).toEqual({ type: 'object', properties: { when: { type: 'string' } } })
    const forOpenAI = request({ tools: tools() })
    fitTranslatedChat(forOpenAI, 'gpt-4o', PROVIDERS.openai)
    expect(forOpenAI.tools![0].function.parameters).toEqual(parameters)
  })
})
