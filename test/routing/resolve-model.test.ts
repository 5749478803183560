import { describe, expect, test } from 'bun:test'
import { resolveModel, type RoutingSettings } from '../../src/routing/resolve-model'

const settings: RoutingSettings = {
  services: ['openai', 'anthropic', 'gemini', 'groq', 'openrouter'],
  preferredProvider: 'openai',
  bigModel: 'gpt-4.1',
  smallModel: 'gpt-4.1-mini',
  aliases: {
    sonnet: {
      strategy: 'priority',
      targets: [
        { service: 'anthropic', model: 'claude-sonnet-4-5', weight: 1, priority: 0 },
        { service: 'openrouter', model: 'anthropic/claude-sonnet-4.5', weight: 1, priority: 1 },
      ],
    },
  },
}

const route = (model: string, s: Partial<RoutingSettings> = {}) => resolveModel(model, { ...settings, ...s })

describe('resolveModel', () => {
  test('service/model prefixes, stripped once', () => {
    expect(route('mock/echo')).toEqual({ ok: true, kind: 'single', service: 'mock', model: 'echo' })
    expect(route('groq/llama-3.3-70b')).toEqual({ ok: true, kind: 'single', service: 'groq', model: 'llama-3.3-70b' })
    expect(route('openrouter/openai/gpt-4o')).toEqual({ ok: true, kind: 'single', service: 'openrouter', model: 'openai/gpt-4o' })
    expect(route('anthropic/claude-sonnet-4-5')).toEqual({ ok: true, kind: 'single', service: 'anthropic', model: 'claude-sonnet-4-5' })
  })

  test('claude tiers map to the preferred provider', () => {
    expect(route('claude-3-5-haiku-20241022')).toEqual({ ok: true, kind: 'single', service: 'openai', model: 'gpt-4.1-mini' })
    expect(route('claude-sonnet-4-5')).toEqual({ ok: true, kind: 'single', service: 'openai', model: 'gpt-4.1' })
    expect(route('claude-opus-4-1', { preferredProvider: 'google', bigModel: 'gemini-2.5-pro' })).toEqual({
      ok: true,
      kind: 'single',
      service: 'gemini',
      model: 'gemini-2.5-pro',
    })
    expect(route('claude-opus-4-1', { preferredProvider: 'anthropic' })).toEqual({
      ok: true,
      kind: 'single',
      service: 'anthropic',
      model: 'claude-opus-4-1',
    })
    expect(route('claude-opus-4-1', { bigModel: 'groq/llama-3.3-70b' })).toEqual({
      ok: true,
      kind: 'single',
      service: 'groq',
      model: 'llama-3.3-70b',
    })
  })

  test('aliases come after prefixes, before the claude mapping', () => {
    expect(route('sonnet')).toEqual({
      ok: true,
      kind: 'alias',
      alias: 'sonnet',
      strategy: 'priority',
      targets: settings.aliases.sonnet.targets,
    })
    expect(route('claude-sonnet-4-5')).toEqual({ ok: true, kind: 'single', service: 'openai', model: 'gpt-4.1' })
    const r = route('nothing')
    expect(r.ok === false && r.message).toContain('an alias (sonnet)')
  })

  test('known families', () => {
    for (const m of ['gpt-4o', 'o1-mini', 'o3', 'o4-mini', 'chatgpt-4o-latest'])
      expect(route(m)).toEqual({ ok: true, kind: 'single', service: 'openai', model: m })
    expect(route('gemini-2.5-flash')).toEqual({ ok: true, kind: 'single', service: 'gemini', model: 'gemini-2.5-flash' })
    expect(route('claude-3-opus-x', { preferredProvider: 'anthropic' })).toEqual({
      ok: true,
      kind: 'single',
      service: 'anthropic',
      model: 'claude-3-opus-x',
    })
    expect(route('claude-instant-1')).toEqual({ ok: true, kind: 'single', service: 'anthropic', model: 'claude-instant-1' })
  })

  test('unknown models and unknown prefixes name the model and the services', () => {
    // Names that Object.prototype has must not pass for aliases or services.
    for (const m of ['llama-3', 'nope/gpt-4o', 'constructor', 'toString', '__proto__', 'constructor/x']) {
      const r = route(m)
      expect(r.ok).toBe(false)
      if (!r.ok) {
        expect(r.message).toContain(`"${m}"`)
        expect(r.message).toContain('mock, openai, anthropic, gemini, groq, openrouter')
      }
    }
  })
})
