/**
 * `--check` prints the resolved configuration so a user can see what lmlb
 * will do. It must list every service with its endpoints, strategy and
 * models, the built-in mock and the aliases, and never print a secret:
 * keys masked, proxy keys counted, headers and Redis credentials left out.
 */
import { describe, expect, test } from 'bun:test'
import { describeConfig } from '../../src/config/describe'
import { loadConfig, type LoadInput } from '../../src/config/load'

const configOf = (input: LoadInput) => {
  const result = loadConfig(input)
  if (!result.ok) throw new Error(result.errors.join('\n'))
  return result.config
}

const SECRETS = [
  'sk-proj-aaaaaaaaaaaa1111',
  'sk-proj-bbbbbbbbbbbb2222',
  'gsk-secret-value-9999',
  'proxy-key-secret-0001',
  'hdr-secret-xyz',
  'redis-pass-123',
]

const text = describeConfig(
  configOf({
    env: {
      OPENAI_API_KEYS: `${SECRETS[0]},${SECRETS[1]}`,
      PROXY_API_KEYS: SECRETS[3],
      LMLB_REDIS_URL: `redis://:${SECRETS[5]}@127.0.0.1:6379`,
    },
    file: {
      path: 'lmlb.yaml',
      text: `
services:
  groq:
    strategy: weighted
    endpoints: [{ url: https://api.groq.com/openai/v1, weight: 3 }, https://b.example/v1]
    keys: [${SECRETS[2]}]
    headers: { X-Secret: ${SECRETS[4]} }
    models: [llama-3.3-70b]
aliases:
  fast:
    targets: [groq/llama-3.3-70b, openai/gpt-4o-mini]
`,
    },
  }),
)
const lines = text.split('\n')

describe('describeConfig', () => {
  test('no secret appears: keys masked to a head and a tail, proxy keys counted, headers and Redis left out', () => {
    for (const secret of SECRETS) expect(text).not.toContain(secret)
    expect(lines).toContain('  openai (openai): 2 key(s): sk-...1111, sk-...2222')
    expect(lines).toContain('client auth: 1 proxy key(s)')
  })

  test('every service with its format and endpoints; strategy, weights and models where they are not the default', () => {
    expect(lines.slice(lines.indexOf('services:') + 1)).toEqual([
      '  openai (openai): 2 key(s): sk-...1111, sk-...2222',
      '    https://api.openai.com/v1',
      '  anthropic (anthropic): no keys',
      '    https://api.anthropic.com/v1',
      '  gemini (openai): no keys',
      '    https://generativelanguage.googleapis.com/v1beta/openai',
      '  groq (openai): 1 key(s): gsk...9999; strategy weighted; models llama-3.3-70b',
      '    https://api.groq.com/openai/v1 (weight 3)',
      '    https://b.example/v1 (weight 1)',
      '  mock (both formats): built in, no key',
      'aliases:',
      '  fast (round-robin) → groq/llama-3.3-70b, openai/gpt-4o-mini',
    ])
  })

  test('where it listens, its log level and the Claude model mapping come first', () => {
    expect(lines.slice(0, 3)).toEqual([
      'listen: http://127.0.0.1:8082',
      'log level: info',
      'claude models: sonnet/opus → gpt-4.1, haiku → gpt-4.1-mini (preferred provider openai)',
    ])
  })

  test('nothing configured: client auth off, no aliases section, the mock still listed', () => {
    const bare = describeConfig(configOf({ env: {} })).split('\n')
    expect(bare).toContain('client auth: off (PROXY_API_KEYS unset)')
    expect(bare).not.toContain('aliases:')
    expect(bare.at(-1)).toBe('  mock (both formats): built in, no key')
  })
})
