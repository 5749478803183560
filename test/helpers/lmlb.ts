/**
 * Starts lmlb as its own process on a free port, as a user would: the real
 * entry point (the compiled binary when LMLB_BIN is set, the Deno entry
 * under Deno when LMLB_RUNTIME=deno), a clean environment, its own working
 * directory.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const ENTRY = resolve(import.meta.dir, '../../src/main.ts')
const DENO = [resolve(import.meta.dir, '../../node_modules/.bin/deno'), 'run', '-A', resolve(import.meta.dir, '../../src/runtime/deno.ts')]
/** True where the suites run against lmlb under Deno: a test of a Bun-only feature skips by name. */
export const UNDER_DENO = process.env.LMLB_RUNTIME === 'deno'
const READY = /listening on (http:\/\/[^\s"]+)/

export interface LmlbOptions {
  env?: Record<string, string>
  args?: string[]
  /** Written to `.env` in lmlb's working directory. */
  dotenv?: string
  /** More files written to its working directory (a config file...). */
  files?: Record<string, string>
  cwd?: string
  /** Another way to run lmlb (its arguments follow), e.g. under Deno. */
  command?: string[]
}

export interface RunningLmlb {
  url: string
  /** Its working directory, where `.env` and config files live. */
  cwd: string
  proc: ReturnType<typeof Bun.spawn>
  /** Everything lmlb wrote to stderr (its log) so far. */
  log(): string
  /** Resolves once the log contains `text` (at least `times` times). */
  waitForLog(text: string, times?: number): Promise<void>
  stop(): Promise<void>
}

function command(args: string[], custom?: string[]): string[] {
  if (custom) return [...custom, ...args]
  if (UNDER_DENO) return [...DENO, ...args]
  const bin = process.env.LMLB_BIN
  return bin ? [resolve(bin), ...args] : [process.execPath, '--no-env-file', ENTRY, ...args]
}

function workdir(options: LmlbOptions): string {
  const cwd = options.cwd ?? mkdtempSync(join(tmpdir(), 'lmlb-test-'))
  if (options.dotenv !== undefined) writeFileSync(join(cwd, '.env'), options.dotenv)
  for (const [name, text] of Object.entries(options.files ?? {})) writeFileSync(join(cwd, name), text)
  return cwd
}

/** A clean environment: nothing of the developer's own keys leaks into a test. */
function environment(extra: Record<string, string> = {}): Record<string, string> {
  // As the npm scripts start it: Bun's fetch limit raised, one process (an empty value leaves it unset: lmlb then starts itself again with it).
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    BUN_CONFIG_MAX_HTTP_REQUESTS: '65535',
    ...(UNDER_DENO && { DENO_NO_UPDATE_CHECK: '1' }),
    ...extra,
  }
  if (env.BUN_CONFIG_MAX_HTTP_REQUESTS === '') delete env.BUN_CONFIG_MAX_HTTP_REQUESTS
  return env
}

export async function startLmlb(options: LmlbOptions = {}): Promise<RunningLmlb> {
  const cwd = workdir(options)
  const proc = Bun.spawn(command(['--port', '0', ...(options.args ?? [])], options.command), {
    cwd,
    env: environment(options.env),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  let log = ''
  const reader = proc.stderr.pipeThrough(new TextDecoderStream()).getReader()
  // Wait for the "listening on" line: an event, not a guess at how long start-up takes.
  let url: string | undefined
  while (!url) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`lmlb exited before listening (code ${await proc.exited}):\n${log}`)
    log += value
    url = READY.exec(log)?.[1]
  }
  const waiters: { text: string; times: number; resolve: () => void }[] = []
  const count = (text: string) => log.split(text).length - 1
  const wake = () => {
    for (const w of waiters.splice(0)) (count(w.text) >= w.times ? w.resolve : () => waiters.push(w))()
  }
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      log += value
      wake()
    }
  })()
  return {
    url,
    cwd,
    proc,
    log: () => log,
    waitForLog: (text, times = 1) =>
      new Promise<void>((resolve) => {
        waiters.push({ text, times, resolve })
        wake()
      }),
    stop: async () => {
      proc.kill('SIGTERM')
      await proc.exited
    },
  }
}

export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs lmlb to completion (`--check`, `--help`, a bad configuration). */
export async function runLmlb(options: LmlbOptions = {}): Promise<RunResult> {
  const proc = Bun.spawn(command(options.args ?? [], options.command), {
    cwd: workdir(options),
    env: environment(options.env),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { code, stdout, stderr }
}
