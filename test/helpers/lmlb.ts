/**
 * lmlb for a test, started as a user would start it: in this process by
 * default (the same start-up as the binary's, src/start.ts `launch`, on a
 * free port, its log captured), or as a process of its own where the test
 * needs one (`process: true`: signals, RSS) and whenever the suites run
 * against the compiled binary (LMLB_BIN) or under Deno (LMLB_RUNTIME=deno).
 * Either way: a clean environment and a working directory of its own.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseCli } from '../../src/cli'
import { bunPlatform } from '../../src/runtime/bun'
import { closeUsage, configuration, launch } from '../../src/start'
import type { Runtime } from '../../src/state/runtime'

const ENTRY = resolve(import.meta.dir, '../../src/main.ts')
const DENO = [resolve(import.meta.dir, '../../node_modules/.bin/deno'), 'run', '-A', resolve(import.meta.dir, '../../src/runtime/deno.ts')]
/** True where the suites run against lmlb under Deno: a test of a Bun-only feature skips by name. */
export const UNDER_DENO = process.env.LMLB_RUNTIME === 'deno'
/** True where every lmlb is a process of its own (the binary, Deno): a test of what only a process can show runs then too. */
export const AS_PROCESS = UNDER_DENO || process.env.LMLB_BIN !== undefined
const READY = /listening on (http:\/\/[^\s"]+)/

export interface LmlbOptions {
  env?: Record<string, string>
  args?: string[]
  /** Written to `.env` in lmlb's working directory. */
  dotenv?: string
  /** More files written to its working directory (a config file...). */
  files?: Record<string, string>
  cwd?: string
  /** Another way to run lmlb (its arguments follow), e.g. under Deno: a process. */
  command?: string[]
  /** A process of its own even where the suites run in-process (signals, its memory, its exit). */
  process?: boolean
}

export interface RunningLmlb {
  url: string
  /** Its working directory, where `.env` and config files live. */
  cwd: string
  /** The process, where lmlb runs as one. */
  proc?: ReturnType<typeof Bun.spawn>
  /** The runtime, where lmlb runs in this process. */
  runtime?: Runtime
  /** Everything lmlb logged so far. */
  log(): string
  /** Resolves once the log contains `text` (at least `times` times). */
  waitForLog(text: string, times?: number): Promise<void>
  /** Whether it still serves (a process: it has not exited). */
  alive(): boolean
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

/** The log so far, and waits on it: each resolves once its text has come often enough (an event, not a guess at a time). */
function logWatch() {
  let log = ''
  const waiters: { text: string; times: number; resolve: () => void }[] = []
  const count = (text: string) => log.split(text).length - 1
  const wake = () => {
    for (const w of waiters.splice(0)) (count(w.text) >= w.times ? w.resolve : () => waiters.push(w))()
  }
  return {
    add(text: string) {
      log += text
      wake()
    },
    log: () => log,
    waitForLog: (text: string, times = 1) =>
      new Promise<void>((resolve) => {
        waiters.push({ text, times, resolve })
        wake()
      }),
  }
}

export async function startLmlb(options: LmlbOptions = {}): Promise<RunningLmlb> {
  const args = ['--port', '0', ...(options.args ?? [])]
  const cli = parseCli(args)
  const own = options.process || options.command !== undefined || AS_PROCESS || cli.workers > 1
  return own ? startProcess(options, args) : startHere(options, cli)
}

/** In this process: src/start.ts's launch, on bun's platform, with the test's environment and working directory. */
async function startHere(options: LmlbOptions, cli: ReturnType<typeof parseCli>): Promise<RunningLmlb> {
  const cwd = workdir(options)
  const env = environment(options.env)
  const { sources, read } = configuration(cli, env, undefined, cwd)
  const loaded = read()
  if (!loaded.ok) throw new Error(`lmlb would not start:\n${loaded.errors.join('\n')}`)
  const watch = logWatch()
  const { runtime, server, stopBackground } = launch(bunPlatform, {
    loaded,
    read,
    sources,
    env,
    workers: 1,
    workerIndex: 0,
    write: (line) => watch.add(`${line}\n`),
  })
  const url = `http://${server.hostname}:${server.port}`
  runtime.logger.always(`lmlb (in the test's process) listening on ${url}`)
  let stopped = false
  return {
    url,
    cwd,
    runtime,
    log: watch.log,
    waitForLog: watch.waitForLog,
    alive: () => !stopped,
    stop: async () => {
      if (stopped) return
      stopped = true
      stopBackground()
      await server.stop(true)
      await closeUsage(runtime)
      await runtime.sharing.close()
    },
  }
}

async function startProcess(options: LmlbOptions, args: string[]): Promise<RunningLmlb> {
  const cwd = workdir(options)
  const proc = Bun.spawn(command(args, options.command), {
    cwd,
    env: environment(options.env),
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const watch = logWatch()
  const reader = proc.stderr.pipeThrough(new TextDecoderStream()).getReader()
  // Wait for the "listening on" line: an event, not a guess at how long start-up takes.
  let url: string | undefined
  while (!url) {
    const { value, done } = await reader.read()
    if (done) throw new Error(`lmlb exited before listening (code ${await proc.exited}):\n${watch.log()}`)
    watch.add(value)
    url = READY.exec(watch.log())?.[1]
  }
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      watch.add(value)
    }
  })()
  return {
    url,
    cwd,
    proc,
    log: watch.log,
    waitForLog: watch.waitForLog,
    alive: () => proc.exitCode === null,
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

/** Runs lmlb to completion as a process (`--check`, `--help`, a bad configuration). */
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
