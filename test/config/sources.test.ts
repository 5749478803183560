/**
 * Where configuration comes from on disk: `.env` (or --env-file), and the
 * config file named by --config, LMLB_CONFIG in the environment, or
 * LMLB_CONFIG in `.env`, in that order. Relative paths start at `dir`, but
 * messages name files as the user gave them; a file the user named must
 * exist, a default `.env` need not.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { LoadResult } from '../../src/config/load'
import { readConfig, watchedFiles, type Sources } from '../../src/config/sources'

const dir = mkdtempSync(join(tmpdir(), 'lmlb-sources-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** A directory of its own under `dir`, holding the given files. */
let made = 0
function folder(files: Record<string, string>): string {
  const at = join(dir, String(made++))
  mkdirSync(join(at, 'conf'), { recursive: true })
  for (const [name, text] of Object.entries(files)) writeFileSync(join(at, name), text)
  return at
}

const service = (name: string) => `services:\n  ${name}:\n    endpoints: [https://${name}.example/v1]\n`
const sources = (at: string, more: Partial<Sources> = {}): Sources => ({ envFile: '.env', envFileRequired: false, dir: at, ...more })

function configOf(result: LoadResult) {
  if (!result.ok) throw new Error(result.errors.join('\n'))
  return result.config
}
function errorsOf(result: LoadResult) {
  if (result.ok) throw new Error('expected errors')
  return result.errors
}

describe('readConfig', () => {
  test('.env in `dir` is read; the real environment wins over it', () => {
    const at = folder({ '.env': 'LOG_LEVEL=debug\nBIG_MODEL=from-dotenv\n' })
    const config = configOf(readConfig(sources(at), { BIG_MODEL: 'from-env' }))
    expect(config.logLevel).toBe('debug')
    expect(config.bigModel).toBe('from-env')
  })

  test('no .env, not asked for: the defaults', () => {
    expect(configOf(readConfig(sources(folder({})), {})).port).toBe(8082)
  })

  test('--env-file given and missing: an error naming the file as given', () => {
    const at = folder({ '.env': 'LOG_LEVEL=debug\n' })
    expect(errorsOf(readConfig(sources(at, { envFile: 'conf/dev.env', envFileRequired: true }), {}))).toEqual([
      '--env-file: conf/dev.env does not exist',
    ])
    const found = folder({ 'conf/dev.env': 'LOG_LEVEL=warn\n' })
    expect(configOf(readConfig(sources(found, { envFile: 'conf/dev.env', envFileRequired: true }), {})).logLevel).toBe('warn')
  })

  test('--config, relative to `dir`: its services are loaded', () => {
    const at = folder({ 'conf/lmlb.yaml': service('groq') })
    expect(Object.keys(configOf(readConfig(sources(at, { configFile: 'conf/lmlb.yaml' }), {})).services)).toContain('groq')
  })

  test('LMLB_CONFIG from .env names the file when neither --config nor the environment does', () => {
    const at = folder({
      '.env': 'LMLB_CONFIG=conf/lmlb.yaml\n',
      'conf/lmlb.yaml': service('fromdotenv'),
      'conf/env.yaml': service('fromenv'),
    })
    expect(configOf(readConfig(sources(at), {})).services.fromdotenv).toBeDefined()
    const viaEnv = configOf(readConfig(sources(at), { LMLB_CONFIG: 'conf/env.yaml' })).services
    expect([viaEnv.fromenv !== undefined, viaEnv.fromdotenv !== undefined]).toEqual([true, false])
    const viaFlag = configOf(readConfig(sources(at, { configFile: 'conf/lmlb.yaml' }), { LMLB_CONFIG: 'conf/env.yaml' })).services
    expect([viaFlag.fromdotenv !== undefined, viaFlag.fromenv !== undefined]).toEqual([true, false])
  })

  test('a named config file that is missing: an error saying who named it, the path as given', () => {
    const at = folder({ '.env': 'LMLB_CONFIG=conf/gone.yaml\n' })
    expect(errorsOf(readConfig(sources(at), {}))).toEqual(['LMLB_CONFIG: conf/gone.yaml does not exist'])
    expect(errorsOf(readConfig(sources(at, { configFile: 'nope.yaml' }), {}))).toEqual(['--config: nope.yaml does not exist'])
  })

  test('errors in the files name them as given, not as resolved in `dir`', () => {
    const at = folder({ 'conf/dev.env': 'LOG_LEVEL=debug\nnot a line\n', 'conf/lmlb.yaml': 'servics: {}\n' })
    const errors = errorsOf(readConfig(sources(at, { envFile: 'conf/dev.env', envFileRequired: true, configFile: 'conf/lmlb.yaml' }), {}))
    expect(errors.some((e) => e.startsWith('conf/dev.env:2: '))).toBe(true)
    expect(errors.some((e) => e.startsWith('conf/lmlb.yaml'))).toBe(true)
    for (const e of errors) expect(e).not.toContain(at)
  })

  test('host and port given on the command line win over the files', () => {
    const at = folder({ '.env': 'HOST=0.0.0.0\nPORT=9000\n' })
    const config = configOf(readConfig(sources(at, { host: '127.0.0.2', port: '9100' }), {}))
    expect([config.host, config.port]).toEqual(['127.0.0.2', 9100])
  })
})

test('watchedFiles: the env file and the config file it names, resolved in `dir`', () => {
  const at = folder({ '.env': 'LMLB_CONFIG=conf/lmlb.yaml\n', 'conf/lmlb.yaml': service('groq') })
  expect(watchedFiles(sources(at), {})).toEqual([join(at, '.env'), join(at, 'conf/lmlb.yaml')])
  expect(watchedFiles(sources(folder({})), {})).toHaveLength(1)
})
