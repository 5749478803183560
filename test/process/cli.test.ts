/** lmlb as a command: flags, --check, and one line per configuration mistake with exit code 2. */
import { describe, expect, test } from 'bun:test'
import pkg from '../../package.json'
import { runLmlb, startLmlb } from '../helpers/lmlb'

const SEED_DOTENV = `# Multiple API Keys (comma-separated)
OPENAI_API_KEYS="sk-key1-aaaaaaaaaaaa,sk-key2-bbbbbbbbbbbb,sk-key3-cccccccccccc"
ANTHROPIC_API_KEYS="sk-ant-key1-dddddddddddd,sk-ant-key2-eeeeeeeeeeee"

# Custom Endpoints (JSON format)
SERVICE_ENDPOINTS={
  "openai": [
    "https://api.openai.com/v1",
    "https://your-proxy-1.com/v1",
    "https://your-proxy-2.com/v1"
  ],
  "anthropic": [
    "https://api.anthropic.com/v1",
    "https://your-anthropic-proxy.com/v1"
  ]
}
`

describe('lmlb command line', () => {
  test('--help names every option and variable', async () => {
    const { code, stdout } = await runLmlb({ args: ['--help'] })
    expect(code).toBe(0)
    for (const word of [
      '--host',
      '--port',
      '--env-file',
      '--check',
      '--version',
      'OPENAI_API_KEYS',
      'ANTHROPIC_API_KEYS',
      'GEMINI_API_KEYS',
      'OPENAI_API_KEY',
      'SERVICE_ENDPOINTS',
      'PREFERRED_PROVIDER',
      'BIG_MODEL',
      'SMALL_MODEL',
      'PROXY_API_KEYS',
      'LOG_LEVEL',
    ])
      expect(stdout).toContain(word)
  })

  test('--version: the version, and the commit a binary was built from', async () => {
    const { code, stdout } = await runLmlb({ args: ['--version'] })
    expect(code).toBe(0)
    if (!process.env.LMLB_BIN) return void expect(stdout.trim()).toBe(`${pkg.version} (from source)`)
    const head = Bun.spawnSync(['git', 'rev-parse', '--short=12', 'HEAD']).stdout.toString().trim()
    expect(stdout.trim()).toMatch(new RegExp(`^${pkg.version.replaceAll('.', '\\.')} \\(commit ${head}(\\+dirty)?\\)$`))
  })

  test("--check reads the seed's .env as the seed writes it, and masks every key", async () => {
    const { code, stdout } = await runLmlb({ args: ['--check'], dotenv: SEED_DOTENV })
    expect(code).toBe(0)
    expect(stdout).toContain('openai (openai): 3 key(s): sk-...aaaa, sk-...bbbb, sk-...cccc')
    expect(stdout).toContain('anthropic (anthropic): 2 key(s)')
    expect(stdout).toContain('https://your-proxy-2.com/v1')
    expect(stdout).toContain('https://your-anthropic-proxy.com/v1')
    expect(stdout).not.toContain('sk-key1-aaaaaaaaaaaa')
    expect(stdout).not.toContain('dddddddddddd')
  })

  test('--env-file reads another file; a missing one is an error', async () => {
    const ok = await runLmlb({
      args: ['--check', '--env-file', 'other.env'],
      cwd: await dirWith('other.env', 'GEMINI_API_KEY=gem-key-123456789'),
    })
    expect(ok.code).toBe(0)
    expect(ok.stdout).toContain('gemini (openai): 1 key(s): gem...6789')
    const missing = await runLmlb({ args: ['--env-file', 'nope.env'] })
    expect(missing.code).toBe(2)
    expect(missing.stderr).toBe('lmlb: --env-file: nope.env does not exist\n')
  })

  const mistakes: [string, Record<string, string>, string][] = [
    [
      'invalid JSON',
      { SERVICE_ENDPOINTS: '{\n "openai": [\n   "https://a/v1" "https://b/v1"\n ]\n}' },
      "lmlb: SERVICE_ENDPOINTS: invalid JSON at line 3, column 19: expected ',' or ']', got \"\\\"\"\n",
    ],
    [
      'a bad URL',
      { SERVICE_ENDPOINTS: '{"openai": ["https://a/v1", "api.openai.com"]}' },
      'lmlb: SERVICE_ENDPOINTS.openai[1]: not an http(s) URL\n',
    ],
    ['a bad port', { PORT: 'x' }, 'lmlb: PORT: must be a port number 0-65535\n'],
    ['a bad log level', { LOG_LEVEL: 'verbose' }, 'lmlb: LOG_LEVEL: must be one of debug, info, warn, error\n'],
    ['a bad provider', { PREFERRED_PROVIDER: 'azure' }, 'lmlb: PREFERRED_PROVIDER: must be one of openai, anthropic, google\n'],
  ]
  for (const [name, env, message] of mistakes) {
    test(`${name}: one line naming the variable, exit 2`, async () => {
      const { code, stderr } = await runLmlb({ env })
      expect(stderr).toBe(message)
      expect(code).toBe(2)
    })
  }

  test('a broken .env line is named by file and line', async () => {
    const { code, stderr } = await runLmlb({ dotenv: 'A=1\nB="unterminated\n' })
    expect(stderr).toBe('lmlb: .env:2: B: missing closing "\n')
    expect(code).toBe(2)
  })

  test('an unknown flag is refused', async () => {
    const { code, stderr } = await runLmlb({ args: ['--frobnicate'] })
    expect(code).toBe(2)
    expect(stderr).toContain('--frobnicate')
  })

  test('starts with zero keys, says so, and serves the mock', async () => {
    const lmlb = await startLmlb({ process: true })
    try {
      expect(lmlb.log()).toContain('No API keys configured')
      const res = await fetch(`${lmlb.url}/v1/chat/completions`, {
        method: 'POST',
        body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'ping' }] }),
      })
      expect((await res.json()).choices[0].message.content).toBe('You said: ping')
    } finally {
      await lmlb.stop()
    }
  })

  test('SIGTERM exits 0', async () => {
    const lmlb = await startLmlb({ process: true })
    lmlb.proc!.kill('SIGTERM')
    expect(await lmlb.proc!.exited).toBe(0)
  })
})

async function dirWith(name: string, text: string): Promise<string> {
  const { mkdtempSync, writeFileSync } = await import('node:fs')
  const dir = mkdtempSync(`${(await import('node:os')).tmpdir()}/lmlb-cli-`)
  writeFileSync(`${dir}/${name}`, text)
  return dir
}

describe('graceful shutdown', () => {
  test('SIGTERM lets an in-flight stream finish, refuses new connections, exits 0', async () => {
    const { startUpstream } = await import('../helpers/upstream')
    const { openaiStreamEvents, pacedStream } = await import('../helpers/canned')
    const up = startUpstream('up')
    const events = openaiStreamEvents('gpt-4o', ['one', 'two'])
    let releaseRest!: () => void
    const rest = new Promise<void>((r) => (releaseRest = r))
    up.handle(() => pacedStream(events, (i) => (i === 0 ? Promise.resolve() : rest)))
    const lmlb = await startLmlb({
      process: true,
      env: { OPENAI_API_KEY: 'k-123456789012', SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }) },
    })
    try {
      const res = await fetch(`${lmlb.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'x' }] }),
      })
      const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
      let text = (await reader.read()).value!
      lmlb.proc!.kill('SIGTERM')
      // Logged in the same tick as the listener closes.
      await lmlb.waitForLog('no new connections')
      const refused = await fetch(`${lmlb.url}/health`, { headers: { connection: 'close' } }).then(
        () => 'served',
        () => 'refused',
      )
      releaseRest()
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        text += value
      }
      expect(text).toBe(events.join(''))
      expect(refused).toBe('refused')
      expect(await lmlb.proc!.exited).toBe(0)
    } finally {
      lmlb.proc!.kill('SIGKILL')
      await up.stop()
    }
  })

  test('the grace period bounds a stream that would not end', async () => {
    const { startUpstream } = await import('../helpers/upstream')
    const { pacedStream } = await import('../helpers/canned')
    const up = startUpstream('up')
    up.handle(() => pacedStream(['data: {}\n\n', 'data: {}\n\n'], (i) => (i === 0 ? Promise.resolve() : new Promise(() => {}))))
    const lmlb = await startLmlb({
      process: true,
      env: { OPENAI_API_KEY: 'k-123456789012', LMLB_SHUTDOWN_GRACE_MS: '300', SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }) },
    })
    try {
      const res = await fetch(`${lmlb.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'gpt-4o', stream: true, messages: [{ role: 'user', content: 'x' }] }),
      })
      const reader = res.body!.getReader()
      await reader.read()
      lmlb.proc!.kill('SIGTERM')
      expect(await lmlb.proc!.exited).toBe(0)
      expect(lmlb.log()).toContain('grace of 300 ms over')
    } finally {
      lmlb.proc!.kill('SIGKILL')
      await up.stop()
    }
  })
})
