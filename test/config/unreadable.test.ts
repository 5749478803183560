/**
 * What the `.env` reader and the loader cannot use is a configuration error
 * naming the file, line and variable: text after a closing quote, and keys
 * holding a character an HTTP header cannot carry (they would fail every
 * call with `502 Header 'Authorization' has invalid value`).
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { runLmlb, startLmlb } from '../helpers/lmlb'
import { startUpstream } from '../helpers/upstream'

const running: { stop(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()))
})

const NEWLINE_KEY = 'OPENAI_API_KEYS="sk-good-key-000001,sk-bad-key\\n-000002"\n'

describe('--check refuses what it cannot use', () => {
  test('text after a closing quote: file, line, variable; the text is not shown', async () => {
    const { code, stdout, stderr } = await runLmlb({
      args: ['--check'],
      dotenv: 'LOG_LEVEL=info\nOPENAI_API_KEY="sk-abc-0000000001"junk-tail\n',
    })
    expect(code).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toContain('lmlb: .env:2: OPENAI_API_KEY: text after the closing "')
    expect(stderr).not.toContain('junk-tail')
    expect(stderr).not.toContain('sk-abc-0000000001')
  })

  test('a comment after the closing quote stays legal', async () => {
    const { code, stdout } = await runLmlb({ args: ['--check'], dotenv: 'OPENAI_API_KEY="sk-abc-0000000001" # the team key\n' })
    expect(code).toBe(0)
    expect(stdout).toContain('sk-...0001')
  })

  test('a key with an embedded newline (.env): file, line, variable and index; the key is not shown', async () => {
    const { code, stderr } = await runLmlb({ args: ['--check'], dotenv: `LOG_LEVEL=info\n${NEWLINE_KEY}` })
    expect(code).toBe(2)
    expect(stderr).toContain('lmlb: .env:2: OPENAI_API_KEYS[1]: contains a character that cannot go in an HTTP header (a newline')
    expect(stderr).not.toContain('sk-bad-key')
    expect(stderr).not.toContain('sk-good-key-000001')
  })

  test('from a real environment variable, a config file, and PROXY_API_KEYS too', async () => {
    const fromEnv = await runLmlb({ args: ['--check'], env: { ANTHROPIC_API_KEY: 'sk-ant\rkey-000001' } })
    expect(fromEnv.code).toBe(2)
    expect(fromEnv.stderr).toContain('lmlb: ANTHROPIC_API_KEY[0]: contains a character that cannot go in an HTTP header (a carriage return')

    const yaml =
      'services:\n  local:\n    endpoints: ["http://127.0.0.1:9/v1"]\n    keys: ["key\\u2019one-00001"]\nproxy_api_keys: ["p\\u0000x"]\n'
    const fromFile = await runLmlb({ args: ['--check', '--config', 'lmlb.yaml'], files: { 'lmlb.yaml': yaml } })
    expect(fromFile.code).toBe(2)
    expect(fromFile.stderr).toContain(
      'lmlb: lmlb.yaml: services.local.keys[0]: contains a character that cannot go in an HTTP header (U+2019, not Latin-1',
    )
    expect(fromFile.stderr).toContain('lmlb: lmlb.yaml: proxy_api_keys[0]: contains a character that cannot go in an HTTP header (a NUL')

    const proxy = await runLmlb({ args: ['--check'], dotenv: 'PROXY_API_KEYS="client-1,client\\n2"\n' })
    expect(proxy.code).toBe(2)
    expect(proxy.stderr).toContain('lmlb: .env:1: PROXY_API_KEYS[1]: contains a character that cannot go in an HTTP header (a newline')
  })
})

describe('start-up and reload', () => {
  test('start-up fails on such a key, with the same message', async () => {
    const { code, stderr } = await runLmlb({ dotenv: NEWLINE_KEY })
    expect(code).toBe(2)
    expect(stderr).toContain('lmlb: .env:1: OPENAI_API_KEYS[1]: contains a character that cannot go in an HTTP header (a newline')
    expect(stderr).not.toContain('listening on')
  })

  test('a reload that would bring such a key is refused; the old configuration keeps serving', async () => {
    const up = startUpstream('up')
    const endpoints = `SERVICE_ENDPOINTS={"openai": ["${up.base}"]}\n`
    const lmlb = await startLmlb({ dotenv: `OPENAI_API_KEYS=sk-old-key-00000001\n${endpoints}` })
    running.push(up, lmlb)
    writeFileSync(join(lmlb.cwd, '.env'), NEWLINE_KEY + endpoints)
    const reload = await fetch(`${lmlb.url}/admin/reload`, { method: 'POST' })
    expect(reload.status).toBe(422)
    const body = await reload.json()
    expect(body.errors).toEqual([
      expect.stringContaining('.env:1: OPENAI_API_KEYS[1]: contains a character that cannot go in an HTTP header (a newline'),
    ])
    expect(JSON.stringify(body)).not.toContain('sk-bad-key')
    const res = await fetch(`${lmlb.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'x' }] }),
    })
    expect(res.status).toBe(200)
    await res.text()
    expect(up.received.at(-1)!.headers.authorization).toBe('Bearer sk-old-key-00000001')
  })
})
