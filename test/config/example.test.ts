/** The example config passes --check, and config.schema.json is the schema lmlb actually uses. */
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { configFileJsonSchema } from '../../src/config/json-schema'
import { runLmlb } from '../helpers/lmlb'

const root = resolve(import.meta.dir, '../..')

describe('examples/lmlb.yaml', () => {
  test('--check accepts it and prints every service, keys masked', async () => {
    const { code, stdout, stderr } = await runLmlb({
      args: ['--check', '--config', resolve(root, 'examples/lmlb.yaml')],
      env: {
        OPENAI_API_KEYS: 'sk-example-openai-00000001,sk-example-openai-00000002',
        ANTHROPIC_API_KEYS: 'sk-ant-example-000000004',
        GEMINI_API_KEYS: 'AIza-example-00000000005',
        OPENROUTER_API_KEY: 'sk-or-example-0000000006',
      },
    })
    expect(stderr).toBe('')
    expect(code).toBe(0)
    for (const service of ['openai', 'anthropic', 'gemini', 'openrouter', 'vllm']) expect(stdout).toContain(`  ${service} (`)
    expect(stdout).toContain('openai (openai): 2 key(s): sk-...0001, sk-...0002')
    expect(stdout).toContain('sonnet (priority) → anthropic/claude-sonnet-4-5, openrouter/anthropic/claude-sonnet-4.5')
    expect(stdout).toContain('http://127.0.0.1:8000/v1 (weight 3)')
    expect(stdout).not.toContain('example-openai-00000001')
  })

  test('--check names a missing key variable', async () => {
    const { code, stderr } = await runLmlb({ args: ['--check', '--config', resolve(root, 'examples/lmlb.yaml')] })
    expect(code).toBe(2)
    expect(stderr).toContain('services.openai.keys[0]: environment variable OPENAI_API_KEYS is not set')
  })
})

test('config.schema.json is up to date (bun run schema)', () => {
  expect(readFileSync(resolve(root, 'config.schema.json'), 'utf8')).toBe(configFileJsonSchema())
})

test('docs/configuration.md names every field of the schema in its reference', async () => {
  const { ConfigFile, ServiceFile } = await import('../../src/config/file-schema')
  const doc = readFileSync(resolve(root, 'docs/configuration.md'), 'utf8')
  const reference = doc.slice(doc.indexOf('### Reference'), doc.indexOf('### Reloading'))
  const fields = [
    ...Object.keys(ConfigFile.properties).filter((f) => f !== '$schema'),
    ...Object.keys(ServiceFile.properties),
    ...Object.keys((ConfigFile.properties.limits as unknown as { properties: object }).properties),
  ]
  for (const field of fields) expect([field, reference.includes(`\`${field}\``)]).toEqual([field, true])
})
