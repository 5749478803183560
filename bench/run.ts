/**
 * `bun run bench`: lmlb's overhead, measured side by side in one run against
 * (a) the upstream called directly and (b) the bare passthrough the project
 * holds lmlb's hot path to, bun-minimal (bench/bun-minimal.ts, a verbatim
 * copy of ../shared/bench/bun-minimal.ts), as ratios.
 *
 * Load generator: wrk (Debian's `wrk`). It is a small C program on epoll: on
 * a 2-core machine it takes little CPU from the process under test, it keeps
 * 50 connections busy with no per-request allocation, and it reports latency
 * percentiles. A Node or Bun generator (autocannon...) would itself need most
 * of a core to push 40k req/s. For a fixed request rate (wrk has none) and
 * time to first event, two small Bun scripts beside this one do the timing.
 *
 * Layout: with taskset and 2+ cores, the proxy under test runs alone on core
 * 1; wrk, the upstream and the timing scripts share core 0. Every load is
 * bounded in time, all traffic goes to 127.0.0.1, and every child process is
 * stopped at the end, on error and on Ctrl-C too.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { connect, createServer } from 'node:net'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dir, '..')
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const CONNECTIONS = 50
const BUN = process.execPath
const pinned = availableParallelism() >= 2 && Bun.which('taskset') !== null
const LOAD_CORE = '0'
const PROXY_CORE = '1'

if (!Bun.which('wrk')) {
  console.error('bench: wrk is not installed. On Debian/Ubuntu: apt-get install wrk (macOS: brew install wrk)')
  process.exit(1)
}

const children: ReturnType<typeof Bun.spawn>[] = []
const stopAll = () => {
  for (const c of children) c.kill('SIGKILL')
}
process.on('SIGINT', () => (stopAll(), process.exit(130)))
process.on('exit', stopAll)

function onCore(core: string | undefined, cmd: string[]): string[] {
  return pinned && core ? ['taskset', '-c', core, ...cmd] : cmd
}

/** Spawns a child that is stopped with the others, keeping what it prints to wait on. */
function spawnWatched(name: string, cmd: string[], core?: string, env: Record<string, string> = {}, cwd = ROOT) {
  const proc = Bun.spawn(onCore(core, cmd), { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdout: 'pipe', stderr: 'pipe' })
  children.push(proc)
  let seen = ''
  const waiters: { text: string; resolve: () => void }[] = []
  const decoder = new TextDecoder()
  const read = async (stream: ReadableStream<Uint8Array>) => {
    const reader = stream.getReader()
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      seen += decoder.decode(value, { stream: true })
      for (const w of waiters.filter((w) => seen.includes(w.text))) waiters.splice(waiters.indexOf(w), 1), w.resolve()
    }
  }
  void read(proc.stdout)
  void read(proc.stderr)
  /** Resolves when the child has printed `text` (an event, not a sleep); rejects if it exits first, or after `ms`. */
  const waitFor = (text: string, ms = 10_000): Promise<void> => {
    if (seen.includes(text)) return Promise.resolve()
    let timer: ReturnType<typeof setTimeout> | undefined
    return Promise.race([
      new Promise<void>((resolve) => waiters.push({ text, resolve })),
      proc.exited.then(() => Promise.reject(new Error(`${name} exited before printing "${text}":\n${seen}`))),
      new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`${name} did not print "${text}" within ${ms} ms:\n${seen}`)), ms)),
      ),
    ]).finally(() => clearTimeout(timer))
  }
  return { proc, waitFor, output: () => seen }
}

/** Starts a server and resolves with the port it printed ("listening on ...PORT"). */
async function startServer(name: string, cmd: string[], core?: string, env: Record<string, string> = {}, cwd = ROOT) {
  const { proc, waitFor, output } = spawnWatched(name, cmd, core, env, cwd)
  for (let i = 0; i < 500; i++) {
    const m = /listening on (?:http:\/\/[^:]+:)?(\d+)/.exec(output())
    if (m) return { proc, port: Number(m[1]), waitFor }
    if (proc.exitCode !== null) break
    await Bun.sleep(10)
  }
  throw new Error(`${name} did not start:\n${output()}`)
}

const freePort = () =>
  new Promise<number>((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => done(port))
    })
  })

const YARDSTICK = join(ROOT, 'bench/bun-minimal.ts')
const SHARED_YARDSTICK = resolve(ROOT, '../shared/bench/bun-minimal.ts')

/** Whether bench/bun-minimal.ts is still the project's yardstick: its shared original below a header of comments. */
function checkYardstick(): string {
  if (!existsSync(SHARED_YARDSTICK)) return `not checked (${SHARED_YARDSTICK} not found)`
  const local = readFileSync(YARDSTICK, 'utf8')
  const shared = readFileSync(SHARED_YARDSTICK, 'utf8')
  const header = local.slice(0, local.length - shared.length).split('\n')
  const same = local.endsWith(shared) && header.every((line) => line === '' || line.startsWith('//'))
  return same ? `matches ${SHARED_YARDSTICK}` : `DIFFERS from ${SHARED_YARDSTICK}: the ratios below are not against the project's yardstick`
}

/**
 * bun-minimal relaying to the upstream on `upstreamPort`, on a free port. It prints nothing, so it is ready once
 * it accepts a connection: polled, bounded, as start-up only.
 */
async function startBunMinimal(upstreamPort: number) {
  const port = await freePort()
  const { proc, waitFor, output } = spawnWatched('bun-minimal', [BUN, YARDSTICK], PROXY_CORE, {
    PORT: String(port),
    OPENAI_API_KEYS: 'sk-bench-key-000001,sk-bench-key-000002,sk-bench-key-000003',
    SERVICE_ENDPOINTS: JSON.stringify({ openai: [`http://127.0.0.1:${upstreamPort}/v1`] }),
  })
  const accepts = () =>
    new Promise<boolean>((done) => {
      const socket = connect(port, '127.0.0.1')
      socket.once('connect', () => (socket.destroy(), done(true)))
      socket.once('error', () => (socket.destroy(), done(false)))
    })
  for (let i = 0; i < 500 && proc.exitCode === null; i++) {
    if (await accepts()) return { proc, port, waitFor }
    await Bun.sleep(10)
  }
  throw new Error(`bun-minimal did not accept a connection on ${port}:\n${output()}`)
}

/**
 * A throwaway redis-server on a free 127.0.0.1 port, nothing written to disk;
 * undefined (and one line saying so) when it is not installed. On core 0 with
 * the load: in production Redis runs elsewhere, so core 1 measures lmlb alone.
 */
async function startRedis(): Promise<number | undefined> {
  const redisServer = Bun.which('redis-server')
  if (!redisServer) {
    console.log('bench: Redis cell skipped, no redis-server (apt-get install redis-server)')
    return undefined
  }
  const port = await freePort()
  const redis = spawnWatched(
    'redis-server',
    [redisServer, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    LOAD_CORE,
  )
  await redis.waitFor('Ready to accept connections')
  return port
}

interface Load {
  rps: number
  p50: number
  p99: number
  errors: number
  /** CPU time (user + system) the process under test spent per request, in µs: steadier than req/s on a shared machine. */
  cpuUs?: number
}

const TICKS_PER_SECOND = 100 // USER_HZ on Linux
/** CPU ticks of a process and its children (lmlb's workers): utime + stime. */
const cpuTicks = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number)
  return Number(fields[11]) + Number(fields[12]) + children.reduce((n, child) => n + cpuTicks(child), 0)
}

const WRK_SCRIPT = join(mkdtempSync(join(tmpdir(), 'lmlb-bench-')), 'post.lua')

/** wrk against one URL with one POST body, for SECONDS. */
async function wrk(
  url: string,
  body: object,
  seconds = SECONDS,
  connections = CONNECTIONS,
  core: string | undefined = LOAD_CORE,
  pid?: number,
): Promise<Load> {
  writeFileSync(
    WRK_SCRIPT,
    `wrk.method = "POST"
wrk.body = ${JSON.stringify(JSON.stringify(body))}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer client-key"
wrk.headers["anthropic-version"] = "2023-06-01"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d\\n", summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.status + e.timeout))
end
`,
  )
  const proc = Bun.spawn(onCore(core, ['wrk', '-t', '1', '-c', String(connections), '-d', `${seconds}s`, '-s', WRK_SCRIPT, url]), {
    stdout: 'pipe',
    stderr: 'pipe',
  })
  children.push(proc)
  const ticks = pid === undefined ? 0 : cpuTicks(pid)
  const out = await new Response(proc.stdout).text()
  await proc.exited
  const m = /RESULT (\d+) (\d+) (\d+) (\d+) (\d+)/.exec(out)
  if (!m) throw new Error(`wrk gave no result:\n${out}`)
  const [requests, durationUs, p50, p99, errors] = m.slice(1).map(Number)
  const cpuUs = pid === undefined ? undefined : ((cpuTicks(pid) - ticks) / TICKS_PER_SECOND / requests) * 1e6
  return { rps: requests / (durationUs / 1e6), p50: p50 / 1000, p99: p99 / 1000, errors, cpuUs }
}

async function script(name: string, args: string[]): Promise<Record<string, number>> {
  return scriptWith(name, args)
}

async function scriptWith(name: string, args: string[], env: Record<string, string> = {}): Promise<Record<string, number>> {
  const proc = Bun.spawn(onCore(LOAD_CORE, [BUN, join(ROOT, 'bench', name), ...args]), {
    stdout: 'pipe',
    stderr: 'inherit',
    env: { ...process.env, ...env },
  })
  children.push(proc)
  const out = await new Response(proc.stdout).text()
  await proc.exited
  return JSON.parse(out.trim().split('\n').at(-1)!)
}

const rssMb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024
/** The kernel's count of connections dropped from full listen queues (each costs its client a 1 s SYN retry); undefined off Linux. */
const listenOverflows = (): number | undefined => {
  try {
    const [names, values] = readFileSync('/proc/net/netstat', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('TcpExt:'))
      .map((l) => l.split(' '))
    const i = names.indexOf('ListenOverflows')
    return i > 0 ? Number(values[i]) : undefined
  } catch {
    return undefined
  }
}
/** The process ids of `pid` and all its descendants (lmlb's workers, or a child it restarted as). */
const processTree = (pid: number): number[] => {
  let children: number[] = []
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number)
  } catch {}
  return [pid, ...children.flatMap(processTree)]
}
/** RSS of the process that serves: `pid`, or the sum over its tree when it has children (workers). */
const treeRssMb = (pid: number) => processTree(pid).reduce((n, p) => n + rssMb(p), 0)

const chat = (stream: boolean, model = 'gpt-4o-mini') => ({
  model,
  stream,
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
})
const messages = (stream: boolean, model: string) => ({
  model,
  stream,
  max_tokens: 64,
  messages: [{ role: 'user', content: 'Say hello in five words.' }],
})
/** As Google's SDKs send a turn (the model and streaming are in the path). */
const gemini = () => ({ contents: [{ role: 'user', parts: [{ text: 'Say hello in five words.' }] }] })
/** As Codex sends a turn, small. */
const responses = (stream: boolean, model: string) => ({
  model,
  stream,
  store: false,
  max_output_tokens: 64,
  input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Say hello in five words.' }] }],
})

function lmlbEnv(upstream: number): Record<string, string> {
  const base = `http://127.0.0.1:${upstream}/v1`
  // A Gemini-format service (the configuration file is the only place a format is set), named `google`.
  const config = join(mkdtempSync(join(tmpdir(), 'lmlb-bench-config-')), 'lmlb.json')
  writeFileSync(config, JSON.stringify({ services: { google: { format: 'gemini', endpoints: [`${base}beta`] } } }))
  return {
    LMLB_CONFIG: config,
    GOOGLE_API_KEYS: 'bench-google-key-000001,bench-google-key-000002',
    OPENAI_API_KEYS: 'sk-bench-key-000001,sk-bench-key-000002,sk-bench-key-000003',
    ANTHROPIC_API_KEYS: 'sk-ant-bench-key-000001',
    // Gemini's OpenAI endpoint has no Responses API: a Responses request there is translated.
    GEMINI_API_KEYS: 'bench-gemini-key-000001',
    SERVICE_ENDPOINTS: JSON.stringify({ openai: [base], anthropic: [base], gemini: [base] }),
    LOG_LEVEL: 'warn',
    // As `npm start` sets it (else lmlb starts itself again with it, and the pid here would be the first process's).
    BUN_CONFIG_MAX_HTTP_REQUESTS: '65535',
  }
}

/** `bun run bench -- --only many-streams,slow-reader,streaming,ratios,first-event,usage`: just those scenarios (default: all of them). */
const onlyArg = process.argv.indexOf('--only')
const ONLY = onlyArg > 0 ? new Set(process.argv[onlyArg + 1]?.split(',')) : undefined
const wanted = (name: string) => ONLY === undefined || ONLY.has(name)
/** `bun run bench -- --repeat 5` (or BENCH_REPEAT=5): rounds of the ratio cells that carry goals (default 1, the table's). */
const repeatArg = process.argv.indexOf('--repeat')
const REPEAT = Number(repeatArg > 0 ? process.argv[repeatArg + 1] : (process.env.BENCH_REPEAT ?? 1))
if (!Number.isInteger(REPEAT) || REPEAT < 1) {
  console.error('bench: --repeat (or BENCH_REPEAT) takes a whole number of rounds, 1 or more')
  process.exit(1)
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '—')
const rows: string[][] = []
const results: Record<string, unknown> = { seconds: SECONDS, connections: CONNECTIONS, pinned }
const row = (...cells: string[]) => rows.push(cells)
/** A row of the table for one target's load: rate, latencies, errors, CPU per request, then its ratios. */
const loadRow = (scenario: string, target: string, l: Load, ...ratios: string[]) =>
  row(scenario, target, fmt(l.rps), fmt(l.p50, 2), fmt(l.p99, 2), String(l.errors), fmt(l.cpuUs!, 1), ...ratios)

/** The ratio cells that carry the hot-path goals: lmlb's call, bun-minimal's same untranslated call, the goal. */
interface GoalCell {
  name: string
  label: string
  path: string
  body: object
  barePath: string
  bareBody: object
  goal: number
  /** The table measures translations lmlb first, the passthrough cells bun-minimal first. */
  lmlbFirstInTable: boolean
}
const GOAL_CELLS: GoalCell[] = [
  {
    name: 'non-streaming',
    label: 'non-streaming passthrough',
    path: '/v1/chat/completions',
    body: chat(false),
    barePath: '/v1/chat/completions',
    bareBody: chat(false),
    goal: 0.75,
    lmlbFirstInTable: false,
  },
  {
    name: 'streaming, 50 chunks',
    label: '50-chunk stream passthrough',
    path: '/v1/chat/completions',
    body: chat(true),
    barePath: '/v1/chat/completions',
    bareBody: chat(true),
    goal: 0.6,
    lmlbFirstInTable: false,
  },
  {
    name: 'Anthropic → OpenAI, stream',
    label: 'Anthropic → OpenAI stream',
    path: '/v1/messages',
    body: messages(true, 'gpt-4o-mini'),
    barePath: '/v1/chat/completions',
    bareBody: chat(true),
    goal: 0.45,
    lmlbFirstInTable: true,
  },
]
interface Round {
  bare: Load
  lmlb: Load
}
interface Target {
  port: number
  proc: { pid: number }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

/**
 * REPEAT rounds of the goal cells, each a bare and an lmlb load back to back; which goes first alternates from
 * round to round, so a steady drift of the machine's speed favours neither. Round 1 is `first`'s when it has one
 * (the table's); the rounds are per cell, in GOAL_CELLS' order.
 */
async function goalRounds(bare: Target, lmlb: Target, first: (cell: GoalCell) => Round | undefined): Promise<Round[][]> {
  const rounds: Round[][] = GOAL_CELLS.map(() => [])
  const load = (target: Target, path: string, body: object) =>
    wrk(at(target.port, path), body, SECONDS, CONNECTIONS, LOAD_CORE, target.proc.pid)
  // Per cell, whether the last round measured lmlb first: round 1 as the table did, if it is the table's.
  const lmlbFirst = GOAL_CELLS.map((cell) => !cell.lmlbFirstInTable)
  for (let round = 1; round <= REPEAT; round++) {
    for (const [i, cell] of GOAL_CELLS.entries()) {
      const given = round === 1 ? first(cell) : undefined
      lmlbFirst[i] = given ? cell.lmlbFirstInTable : !lmlbFirst[i]
      if (given) {
        rounds[i].push(given)
      } else if (lmlbFirst[i]) {
        const ours = await load(lmlb, cell.path, cell.body)
        rounds[i].push({ lmlb: ours, bare: await load(bare, cell.barePath, cell.bareBody) })
      } else {
        const yard = await load(bare, cell.barePath, cell.bareBody)
        rounds[i].push({ bare: yard, lmlb: await load(lmlb, cell.path, cell.body) })
      }
    }
  }
  results.rounds = Object.fromEntries(GOAL_CELLS.map((cell, i) => [cell.name, rounds[i]]))
  return rounds
}

/** One line per goal cell: lmlb ÷ bare per round and the median, CPU µs/request bare → lmlb per round and the median. */
function printRounds(rounds: Round[][], firstFromTable: boolean): number[] {
  console.log(
    `ratios to bun-minimal, ${REPEAT} round${REPEAT === 1 ? '' : 's'}${firstFromTable ? ' (round 1 is the table above)' : ''}; ` +
      'bare and lmlb back to back, which goes first alternating by round:',
  )
  return GOAL_CELLS.map((cell, i) => {
    const ratios = rounds[i].map((r) => r.lmlb.rps / r.bare.rps)
    const errors = rounds[i].reduce((n, r) => n + r.bare.errors + r.lmlb.errors, 0)
    const cpu = rounds[i].map((r) => `${fmt(r.bare.cpuUs!, 1)} → ${fmt(r.lmlb.cpuUs!, 1)}`).join(', ')
    console.log(
      `  ${cell.label}: lmlb ÷ bare ${ratios.map((x) => fmt(x, 2)).join(', ')}, median ${fmt(median(ratios), 2)}; ` +
        `CPU µs/req bare → lmlb ${cpu}, median ${fmt(median(rounds[i].map((r) => r.bare.cpuUs!)), 1)} → ${fmt(median(rounds[i].map((r) => r.lmlb.cpuUs!)), 1)}` +
        (errors > 0 ? ` (${errors} errors)` : ''),
    )
    return median(ratios)
  })
}

async function main() {
  if (ONLY !== undefined && !ONLY.has('all')) return scenarios()
  console.log(
    `bench: ${SECONDS} s per cell, ${CONNECTIONS} connections, ${pinned ? 'proxy on core 1, load and upstream on core 0' : 'no pinning (taskset missing or 1 core)'}`,
  )
  results.yardstick = checkYardstick()
  console.log(`bench: the bare passthrough is bun-minimal, bench/bun-minimal.ts: ${results.yardstick}`)
  const upstream = await startServer('upstream', [BUN, join(ROOT, 'bench/upstream.ts'), '0'], LOAD_CORE)
  const bare = await startBunMinimal(upstream.port)
  const cwd = mkdtempSync(join(tmpdir(), 'lmlb-bench-cwd-'))
  const lmlb = await startServer(
    'lmlb',
    [BUN, '--no-env-file', '--smol', join(ROOT, 'src/main.ts'), '--port', '0'],
    PROXY_CORE,
    lmlbEnv(upstream.port),
    cwd,
  )
  const ready = performance.now() // lmlb's listening line; bun-minimal accepted a connection before lmlb started
  // The same lmlb sharing state through a local Redis: loaded only once it says it is connected.
  const redisPort = await startRedis()
  let lmlbRedis: Awaited<ReturnType<typeof startServer>> | undefined
  if (redisPort !== undefined) {
    lmlbRedis = await startServer(
      'lmlb with Redis',
      [BUN, '--no-env-file', '--smol', join(ROOT, 'src/main.ts'), '--port', '0'],
      PROXY_CORE,
      { ...lmlbEnv(upstream.port), LMLB_REDIS_URL: `redis://127.0.0.1:${redisPort}` },
      cwd,
    )
    await lmlbRedis.waitFor(`shared state: Redis at 127.0.0.1:${redisPort} connected`)
  }
  // Idle RSS, before any request, once both have settled for 2 s after they were ready (a settle, not an event:
  // a forced GC cannot be asked for from outside, so this is what each holds then).
  await Bun.sleep(Math.max(0, ready + 2000 - performance.now()))
  const idleRss = { lmlb: treeRssMb(lmlb.proc.pid), bare: treeRssMb(bare.proc.pid) }
  const at = (port: number, path: string) => `http://127.0.0.1:${port}${path}`

  // Throughput and latency under load, side by side.
  const cells: [string, string, object][] = [
    ['non-streaming', '/v1/chat/completions', chat(false)],
    ['streaming, 50 chunks', '/v1/chat/completions', chat(true)],
  ]
  row('scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'CPU µs/req', '÷ direct', '÷ bare')
  let redisCell: { without: Load[]; with: Load[] } | undefined
  let usageCell: { on: Load[]; off: Load[] } | undefined
  for (const [name, path, body] of cells) {
    // Both sides warm: a cold side runs its first second unoptimised and bends the ratio.
    await wrk(at(lmlb.port, path), body, 1)
    await wrk(at(bare.port, path), body, 1)
    // Redis only on the plain passthrough, warmed here so its load follows lmlb's without a gap.
    const withRedis = name === 'non-streaming' ? lmlbRedis : undefined
    if (withRedis) await wrk(at(withRedis.port, path), body, 1)
    const direct = await wrk(at(upstream.port, path), body)
    const yard = await wrk(at(bare.port, path), body, SECONDS, CONNECTIONS, LOAD_CORE, bare.proc.pid)
    const ours = await wrk(at(lmlb.port, path), body, SECONDS, CONNECTIONS, LOAD_CORE, lmlb.proc.pid)
    results[name] = { direct, bare: yard, lmlb: ours }
    row(name, 'direct', fmt(direct.rps), fmt(direct.p50, 2), fmt(direct.p99, 2), String(direct.errors), '', '', '')
    loadRow('', 'bare (bun-minimal)', yard, fmt(yard.rps / direct.rps, 2), '')
    loadRow('', 'lmlb', ours, fmt(ours.rps / direct.rps, 2), fmt(ours.rps / yard.rps, 2))
    if (withRedis) {
      // Without, with, with, without: rates on this VM drift within a minute (adjacent runs 20% apart), and this order cancels a steady drift.
      const shared = await wrk(at(withRedis.port, path), body, SECONDS, CONNECTIONS, LOAD_CORE, withRedis.proc.pid)
      const shared2 = await wrk(at(withRedis.port, path), body, SECONDS, CONNECTIONS, LOAD_CORE, withRedis.proc.pid)
      const ours2 = await wrk(at(lmlb.port, path), body, SECONDS, CONNECTIONS, LOAD_CORE, lmlb.proc.pid)
      redisCell = { without: [ours, ours2], with: [shared, shared2] }
      results['passthrough with Redis'] = { lmlb: [ours, ours2], lmlbRedis: [shared, shared2] }
      loadRow('', 'lmlb with Redis', shared, fmt(shared.rps / direct.rps, 2), fmt(shared.rps / yard.rps, 2))
    }
  }

  usageCell = await usageRounds(upstream.port)
  results['usage kept'] = usageCell

  // A request as Claude Code sends it (49 KB: system prompt, tools, history), routed by a service prefix.
  const claudeCode = {
    ...JSON.parse(readFileSync(join(ROOT, 'test/fixtures/claude-code/request.json'), 'utf8')),
    model: 'anthropic/claude-x',
    stream: false,
  }
  {
    const name = 'Claude Code request, 49 KB'
    await wrk(at(lmlb.port, '/v1/messages'), claudeCode, 1)
    await wrk(at(bare.port, '/v1/messages'), claudeCode, 1)
    const yard = await wrk(at(bare.port, '/v1/messages'), claudeCode, SECONDS, CONNECTIONS, LOAD_CORE, bare.proc.pid)
    const ours = await wrk(at(lmlb.port, '/v1/messages'), claudeCode, SECONDS, CONNECTIONS, LOAD_CORE, lmlb.proc.pid)
    results[name] = { bare: yard, lmlb: ours }
    loadRow(name, 'bare (bun-minimal)', yard, '', '')
    loadRow('', 'lmlb', ours, '', fmt(ours.rps / yard.rps, 2))
  }

  // Translation (a client of one API served by the other), against the bare passthrough's same-format rate.
  const geminiPath = (model: string, stream: boolean) =>
    `/v1beta/models/${model}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`
  // Against bun-minimal passing the upstream's own call through (Gemini's: the same path, its model unprefixed).
  const translations: [string, string, object, string, object?][] = [
    ['Gemini passthrough', geminiPath('google/gemini-x', false), gemini(), geminiPath('gemini-x', false), gemini()],
    ['Gemini passthrough, stream', geminiPath('google/gemini-x', true), gemini(), geminiPath('gemini-x', true), gemini()],
    ['Gemini → OpenAI', geminiPath('gpt-4o-mini', false), gemini(), '/v1/chat/completions', chat(false)],
    ['Gemini → OpenAI, stream', geminiPath('gpt-4o-mini', true), gemini(), '/v1/chat/completions', chat(true)],
    ['OpenAI → Gemini', '/v1/chat/completions', chat(false, 'google/gemini-x'), geminiPath('gemini-x', false), gemini()],
    ['OpenAI → Gemini, stream', '/v1/chat/completions', chat(true, 'google/gemini-x'), geminiPath('gemini-x', true), gemini()],
    ['Anthropic → OpenAI', '/v1/messages', messages(false, 'gpt-4o-mini'), '/v1/chat/completions'],
    ['Anthropic → OpenAI, stream', '/v1/messages', messages(true, 'gpt-4o-mini'), '/v1/chat/completions'],
    ['OpenAI → Anthropic', '/v1/chat/completions', chat(false, 'anthropic/claude-x'), '/v1/messages'],
    ['OpenAI → Anthropic, stream', '/v1/chat/completions', chat(true, 'anthropic/claude-x'), '/v1/messages'],
    ['Responses → Chat', '/v1/responses', responses(false, 'gemini/gpt-4o-mini'), '/v1/chat/completions'],
    ['Responses → Chat, stream', '/v1/responses', responses(true, 'gemini/gpt-4o-mini'), '/v1/chat/completions'],
    ['Responses → Anthropic', '/v1/responses', responses(false, 'anthropic/claude-x'), '/v1/messages'],
    ['Responses → Anthropic, stream', '/v1/responses', responses(true, 'anthropic/claude-x'), '/v1/messages'],
  ]
  for (const [name, path, body, barePath, bareBody] of translations) {
    await wrk(at(lmlb.port, path), body, 1) // each translation's own code, warm (bun-minimal's is the same passthrough)
    const ours = await wrk(at(lmlb.port, path), body, SECONDS, CONNECTIONS, LOAD_CORE, lmlb.proc.pid)
    if (ours.errors > 0 && ours.rps > 0 && ours.errors >= ours.rps * SECONDS * 0.5) {
      row(name, 'lmlb', 'n/a', '', '', 'not served', '', '', '')
      continue
    }
    const upstreamBody =
      bareBody ??
      (barePath === '/v1/messages'
        ? messages((body as { stream: boolean }).stream, 'claude-x')
        : chat((body as { stream: boolean }).stream))
    const yard = await wrk(at(bare.port, barePath), upstreamBody, SECONDS, CONNECTIONS, LOAD_CORE, bare.proc.pid)
    results[name] = { bare: yard, lmlb: ours }
    row(
      name,
      'lmlb',
      fmt(ours.rps),
      fmt(ours.p50, 2),
      fmt(ours.p99, 2),
      String(ours.errors),
      `${fmt(ours.cpuUs!, 1)} (bare ${fmt(yard.cpuUs!, 1)})`,
      '',
      fmt(ours.rps / yard.rps, 2),
    )
  }

  // The goal cells again, REPEAT rounds in all: the table's is the first.
  const rounds = await goalRounds(bare, lmlb, (cell) => {
    const r = results[cell.name] as Partial<Round> | undefined
    return r?.bare && r.lmlb ? { bare: r.bare, lmlb: r.lmlb } : undefined
  })

  // Added latency at a fixed, moderate rate, and time to first event from a paced upstream.
  const body = JSON.stringify(chat(false))
  const fixedRate = (port: number) => script('fixed-rate.ts', [at(port, '/v1/chat/completions'), '1000', String(SECONDS), body])
  const directFixed = await fixedRate(upstream.port)
  const bareFixed = await fixedRate(bare.port)
  const lmlbFixed = await fixedRate(lmlb.port)
  results.fixedRate = { direct: directFixed, bare: bareFixed, lmlb: lmlbFixed }
  const firstEvents = await firstEventCells(upstream, bare, lmlb)

  // Memory: RSS after about 100,000 requests, then after 100,000 more.
  const rate = (results['non-streaming'] as { lmlb: Load }).lmlb.rps
  const span = Math.max(2, Math.ceil(100_000 / rate))
  await wrk(at(lmlb.port, '/v1/chat/completions'), chat(false), span)
  const rss1 = treeRssMb(lmlb.proc.pid)
  await wrk(at(lmlb.port, '/v1/chat/completions'), chat(false), span)
  const rss2 = treeRssMb(lmlb.proc.pid)
  // bun-minimal has served every cell above as well: its RSS for scale.
  const bareRss = treeRssMb(bare.proc.pid)
  results.memory = { idle: idleRss, afterFirst: rss1, afterSecond: rss2, requestsEach: Math.round(rate * span), bare: bareRss }

  // All cores: 1 worker against 2, nothing pinned.
  lmlb.proc.kill('SIGKILL')
  lmlbRedis?.proc.kill('SIGKILL')
  bare.proc.kill('SIGKILL')
  const workers: Record<string, Load> = {}
  for (const n of [1, 2]) {
    const w = await startServer(
      `lmlb --workers ${n}`,
      [BUN, '--no-env-file', '--smol', join(ROOT, 'src/main.ts'), '--port', '0', '--workers', String(n)],
      undefined,
      lmlbEnv(upstream.port),
      cwd,
    )
    await Bun.sleep(300) // the other workers bind after the first prints its line
    await wrk(at(w.port, '/v1/chat/completions'), chat(false), 1, CONNECTIONS, undefined)
    workers[n] = await wrk(at(w.port, '/v1/chat/completions'), chat(false), SECONDS, CONNECTIONS, undefined, w.proc.pid)
    w.proc.kill('SIGTERM')
    await w.proc.exited
  }
  results.workers = workers

  // Cold start of the compiled binary: spawn → first 200 from /health (median of 10).
  let coldStart: number | undefined
  const binary = join(ROOT, 'dist/lmlb')
  if (existsSync(binary)) {
    const times: number[] = []
    for (let i = 0; i < 10; i++) {
      const port = 21000 + i
      const started = performance.now()
      const proc = Bun.spawn([binary, '--port', String(port)], {
        cwd,
        env: { PATH: process.env.PATH ?? '' },
        stdout: 'ignore',
        stderr: 'ignore',
      })
      children.push(proc)
      for (let t = 0; t < 1000; t++) {
        const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.ok,
          () => false,
        )
        if (ok) break
        await Bun.sleep(1)
      }
      times.push(performance.now() - started)
      proc.kill('SIGKILL')
      await proc.exited
    }
    coldStart = times.sort((a, b) => a - b)[5]
  }
  results.coldStartMs = coldStart

  printTable()
  console.log('')
  const ratios = printRounds(rounds, true)
  if (redisCell) {
    const { without, with: shared } = redisCell
    const total = (loads: Load[], of: (l: Load) => number) => loads.reduce((n, l) => n + of(l), 0)
    const list = (loads: Load[], of: (l: Load) => number, digits = 0) => loads.map((l) => fmt(of(l), digits)).join(' and ')
    console.log(
      `passthrough with Redis (LMLB_REDIS_URL, a local redis-server), non-streaming, rounds without, with, with, without: ` +
        `with ${list(shared, (l) => l.rps)} req/s, without ${list(without, (l) => l.rps)}: ×${fmt(total(shared, (l) => l.rps) / total(without, (l) => l.rps), 2)} (target ≥ 0.95); ` +
        `CPU per request ${list(without, (l) => l.cpuUs!, 1)} → ${list(shared, (l) => l.cpuUs!, 1)} µs (×${fmt(total(shared, (l) => l.cpuUs!) / total(without, (l) => l.cpuUs!), 2)})`,
    )
  }
  if (usageCell) printUsage(usageCell)
  console.log(
    `added p50 at a fixed 1,000 req/s: lmlb ${fmt(lmlbFixed.p50 - directFixed.p50, 3)} ms, bare (bun-minimal) ${fmt(bareFixed.p50 - directFixed.p50, 3)} ms ` +
      `(p50 direct ${fmt(directFixed.p50, 3)}, bare ${fmt(bareFixed.p50, 3)}, lmlb ${fmt(lmlbFixed.p50, 3)} ms; p99 ${fmt(directFixed.p99, 2)} / ${fmt(bareFixed.p99, 2)} / ${fmt(lmlbFixed.p99, 2)} ms)`,
  )
  printFirstEvents(firstEvents)
  console.log(
    `RSS, MB: lmlb ${fmt(idleRss.lmlb, 1)} idle (2 s after its listening line, no request yet); after the cells, ` +
      `${fmt(rss1, 1)} after ~${Math.round(rate * span).toLocaleString()} more requests and ${fmt(rss2, 1)} after as many again (${fmt(((rss2 - rss1) / rss1) * 100, 1)}%); ` +
      `bun-minimal ${fmt(idleRss.bare, 1)} idle (read with lmlb's), ${fmt(bareRss, 1)} after the cells above`,
  )
  console.log(
    `all cores, non-streaming: 1 worker ${fmt(workers[1].rps)} req/s, 2 workers ${fmt(workers[2].rps)} req/s (×${fmt(workers[2].rps / workers[1].rps, 2)}); ` +
      `CPU per request, all lmlb processes: ${fmt(workers[1].cpuUs!, 1)} / ${fmt(workers[2].cpuUs!, 1)} µs (wrk and the upstream share the same ${availableParallelism()} cores)`,
  )
  console.log(
    coldStart === undefined
      ? 'cold start: build dist/lmlb first (bun run build)'
      : `binary cold start to first 200 from /health: ${fmt(coldStart, 1)} ms (median of 10)`,
  )
  const added = firstEvents.lmlb.failed > 0 ? NaN : firstEvents.lmlb.median - firstEvents.direct.median
  const goals: Goal[] = [
    ...GOAL_CELLS.map((cell, i) => ({
      goal: `${cell.label}, median of ${REPEAT} round${REPEAT === 1 ? '' : 's'}`,
      value: ratios[i],
      limit: cell.goal,
      atLeast: true,
      unit: '×',
    })),
    { goal: `time to first event added, ${FIRST_EVENT_AT_ONCE} streams at once`, value: added, limit: 0.5, atLeast: false, unit: 'ms' },
    { goal: 'lmlb RSS after the bench', value: rss2, limit: 70, atLeast: false, unit: 'MB' },
    { goal: 'lmlb RSS idle', value: idleRss.lmlb, limit: 45, atLeast: false, unit: 'MB' },
  ]
  results.goals = goals
  // The goals last, after the scenarios that follow, and even if one of them fails.
  try {
    await scenarios(true)
  } finally {
    printGoals(goals)
  }
}

/** A hot-path goal of the project's issue and the figure this run measured (NaN: not measured). */
interface Goal {
  goal: string
  value: number
  limit: number
  atLeast: boolean
  unit: string
}

function printGoals(goals: Goal[]) {
  const lines = goals.map((g) => {
    const digits = g.unit === '×' ? 2 : g.unit === 'ms' ? 3 : 1
    const unit = g.unit === '×' ? '×' : ` ${g.unit}`
    const status = !Number.isFinite(g.value) ? 'n/a' : (g.atLeast ? g.value >= g.limit : g.value <= g.limit) ? 'ok' : 'short'
    return [`${g.goal}: ${g.atLeast ? '≥' : '≤'} ${g.limit}${unit}`, `${fmt(g.value, digits)}${unit}`, status]
  })
  const widths = [0, 1].map((i) => Math.max(...lines.map((l) => l[i].length)))
  console.log(`\ngoals (this run${pinned ? `, lmlb alone on core ${PROXY_CORE}` : ', nothing pinned'}):`)
  for (const [goal, figure, status] of lines) console.log(`  ${goal.padEnd(widths[0])}  ${figure.padStart(widths[1])}  ${status}`)
}

/** The scenarios beyond the main table, alone (--only) or after it. */
async function scenarios(afterMain = false) {
  if (!afterMain && ['ratios', 'first-event', 'streaming'].some(wanted)) {
    results.yardstick = checkYardstick()
    console.log(`bench: the bare passthrough is bun-minimal, bench/bun-minimal.ts: ${results.yardstick}`)
  }
  if (!afterMain && wanted('ratios')) await ratioCells()
  if (!afterMain && wanted('first-event')) await firstEventOnly()
  if (!afterMain && wanted('streaming')) await streamingCells()
  if (!afterMain && wanted('usage')) await usageOnly()
  if (wanted('slow-reader')) await slowReader()
  if (wanted('many-streams')) await manyStreams()
  const file = join(ROOT, afterMain ? 'bench/last-run.json' : 'bench/last-scenarios.json')
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`)
}

const lmlbCommand = [BUN, '--no-env-file', '--smol', join(ROOT, 'src/main.ts'), '--port', '0']
const at = (port: number, path: string) => `http://127.0.0.1:${port}${path}`

/** What bench/first-event.ts prints. */
interface FirstEvents {
  streams: number
  atOnce: number
  failed: number
  median: number
  p90: number
}

const FIRST_EVENT_STREAMS = 60
const FIRST_EVENT_AT_ONCE = 10
const FIRST_EVENT_PACE_MS = 20

/**
 * Time to first event with 10 streams at once (../shared/HOTPATH.md, trap 7: a probe on cold code, one stream at a
 * time, says little about lmlb at work): each target first warmed by a second of wrk on the same stream, unpaced,
 * then 60 streams, 10 at a time, from the upstream paced at an event every 20 ms, each read to its end.
 */
async function firstEventCells(upstream: Target, bare: Target, lmlb: Target) {
  const pace = async (ms: number) => {
    const res = await fetch(at(upstream.port, `/bench/pace/${ms}`), { method: 'POST' })
    if (res.status !== 204) throw new Error(`the upstream did not take pace ${ms}: ${res.status}`)
  }
  const probe = async (target: Target): Promise<FirstEvents> => {
    await wrk(at(target.port, '/v1/chat/completions'), chat(true), 1)
    await pace(FIRST_EVENT_PACE_MS)
    try {
      const args = [String(FIRST_EVENT_STREAMS), String(FIRST_EVENT_AT_ONCE), JSON.stringify(chat(true))]
      return (await script('first-event.ts', [at(target.port, '/v1/chat/completions'), ...args])) as unknown as FirstEvents
    } finally {
      await pace(0)
    }
  }
  const out = { direct: await probe(upstream), bare: await probe(bare), lmlb: await probe(lmlb) }
  results.firstEvent = out
  return out
}

function printFirstEvents({ direct, bare, lmlb }: Record<'direct' | 'bare' | 'lmlb', FirstEvents>) {
  const failed = direct.failed + bare.failed + lmlb.failed
  console.log(
    `time to first event, ${FIRST_EVENT_STREAMS} streams ${FIRST_EVENT_AT_ONCE} at a time, an event every ${FIRST_EVENT_PACE_MS} ms, each target warmed first: ` +
      `added median lmlb ${fmt(lmlb.median - direct.median, 3)} ms, bare ${fmt(bare.median - direct.median, 3)} ms ` +
      `(median direct ${fmt(direct.median, 3)}, bare ${fmt(bare.median, 3)}, lmlb ${fmt(lmlb.median, 3)} ms; ` +
      `p90 ${fmt(direct.p90, 2)} / ${fmt(bare.p90, 2)} / ${fmt(lmlb.p90, 2)} ms)${failed > 0 ? `; ${failed} streams failed` : ''}`,
  )
}

/** Time to first event alone (`--only first-event`). */
async function firstEventOnly() {
  const upstream = await startServer('upstream', [BUN, join(ROOT, 'bench/upstream.ts'), '0'], LOAD_CORE)
  const bare = await startBunMinimal(upstream.port)
  const lmlb = await startServer('lmlb', lmlbCommand, PROXY_CORE, lmlbEnv(upstream.port), mkdtempSync(join(tmpdir(), 'lmlb-bench-cwd-')))
  printFirstEvents(await firstEventCells(upstream, bare, lmlb))
  for (const p of [upstream, bare, lmlb]) p.proc.kill('SIGKILL')
}

/** The goal cells alone (`--only ratios`, with `--repeat N`): lmlb against bun-minimal, both warmed first. */
async function ratioCells() {
  const upstream = await startServer('upstream', [BUN, join(ROOT, 'bench/upstream.ts'), '0'], LOAD_CORE)
  const bare = await startBunMinimal(upstream.port)
  const lmlb = await startServer('lmlb', lmlbCommand, PROXY_CORE, lmlbEnv(upstream.port), mkdtempSync(join(tmpdir(), 'lmlb-bench-cwd-')))
  for (const cell of GOAL_CELLS) {
    await wrk(at(lmlb.port, cell.path), cell.body, 1)
    await wrk(at(bare.port, cell.barePath), cell.bareBody, 1)
  }
  printRounds(await goalRounds(bare, lmlb, () => undefined), false)
  for (const p of [upstream, bare, lmlb]) p.proc.kill('SIGKILL')
}

type Server = Awaited<ReturnType<typeof startServer>>

/** Rounds of the usage line: each SECONDS long, both processes loaded at once (`--repeat N`: N times as many). */
const USAGE_ROUNDS = 6 * REPEAT

/**
 * Usage kept (the default) against LMLB_USAGE=off, non-streaming: two lmlb processes of their own, started for this,
 * both on the proxy's core at once, each loaded by a wrk of its own, in USAGE_ROUNDS rounds, the one loaded first
 * alternating. Sharing the core, each serves at the rate its own work per request allows under the same conditions,
 * so the ratio of their rates is the cost of keeping usage: run one after the other, rounds swung ±5-10% on these
 * machines as the host's speed drifted, more than the 3% the target allows, where paired rounds differ by about 1%.
 * Half the rounds on a pair started usage kept first, half on a pair started the other way: the process started
 * first served about 1% more when both kept nothing (two runs: 1.013, 1.009; with both orders 1.000, 0.992).
 */
async function usageRounds(upstreamPort: number): Promise<{ on: Load[]; off: Load[] }> {
  const start = (name: string, env: Record<string, string>) =>
    startServer(name, lmlbCommand, PROXY_CORE, { ...lmlbEnv(upstreamPort), ...env }, mkdtempSync(join(tmpdir(), 'lmlb-bench-cwd-')))
  const [path, body] = ['/v1/chat/completions', chat(false)]
  const loads: { on: Load[]; off: Load[] } = { on: [], off: [] }
  for (const keptFirst of [true, false]) {
    const kept = keptFirst ? await start('lmlb', {}) : undefined
    const off = await start('lmlb with LMLB_USAGE=off', { LMLB_USAGE: 'off' })
    const on = kept ?? (await start('lmlb', {}))
    const run = (server: Server, seconds = SECONDS) => wrk(at(server.port, path), body, seconds, CONNECTIONS, LOAD_CORE, server.proc.pid)
    await Promise.all([run(on, 1), run(off, 1)])
    for (let round = 0; round < USAGE_ROUNDS / 2; round++) {
      const [onLoad, offLoad] =
        round % 2 === 0 ? await Promise.all([run(on), run(off)]) : (await Promise.all([run(off), run(on)])).reverse()
      loads.on.push(onLoad)
      loads.off.push(offLoad)
    }
    for (const p of [on, off]) p.proc.kill('SIGKILL')
  }
  return loads
}

function printUsage({ on, off }: { on: Load[]; off: Load[] }) {
  const sum = (loads: Load[], of: (l: Load) => number) => loads.reduce((n, l) => n + of(l), 0)
  const ratios = on.map((l, i) => l.rps / off[i].rps)
  console.log(
    `usage kept (the default) against LMLB_USAGE=off, non-streaming, ${on.length} rounds of both at once on one core: ` +
      `on ${fmt(sum(on, (l) => l.rps) / on.length)} req/s, off ${fmt(sum(off, (l) => l.rps) / off.length)}: ` +
      `×${fmt(sum(on, (l) => l.rps) / sum(off, (l) => l.rps), 3)} (target ≥ 0.97; rounds ${fmt(Math.min(...ratios), 3)}-${fmt(Math.max(...ratios), 3)}); ` +
      `CPU per request ${fmt(sum(off, (l) => l.cpuUs!) / off.length, 1)} → ${fmt(sum(on, (l) => l.cpuUs!) / on.length, 1)} µs`,
  )
}

/** Usage kept against off alone (`--only usage`, `--repeat N` rounds). */
async function usageOnly() {
  const upstream = await startServer('upstream', [BUN, join(ROOT, 'bench/upstream.ts'), '0'], LOAD_CORE)
  const loads = await usageRounds(upstream.port)
  results['usage kept'] = loads
  printUsage(loads)
  upstream.proc.kill('SIGKILL')
}

/** Streaming throughput alone: lmlb against bun-minimal (the cells of the main table, for before/after runs). */
async function streamingCells() {
  const upstream = await startServer('upstream', [BUN, join(ROOT, 'bench/upstream.ts'), '0'], LOAD_CORE)
  const bare = await startBunMinimal(upstream.port)
  const lmlb = await startServer('lmlb', lmlbCommand, PROXY_CORE, lmlbEnv(upstream.port), mkdtempSync(join(tmpdir(), 'lmlb-bench-cwd-')))
  const cells: [string, string, object, string, object][] = [
    ['streaming, 50 chunks', '/v1/chat/completions', chat(true), '/v1/chat/completions', chat(true)],
    ['Anthropic → OpenAI, stream', '/v1/messages', messages(true, 'gpt-4o-mini'), '/v1/chat/completions', chat(true)],
  ]
  for (const [name, path, body, barePath, bareBody] of cells) {
    await wrk(at(lmlb.port, path), body, 1)
    await wrk(at(bare.port, barePath), bareBody, 1)
    const yard = await wrk(at(bare.port, barePath), bareBody, SECONDS, CONNECTIONS, LOAD_CORE, bare.proc.pid)
    const ours = await wrk(at(lmlb.port, path), body, SECONDS, CONNECTIONS, LOAD_CORE, lmlb.proc.pid)
    results[name] = { bare: yard, lmlb: ours }
    console.log(
      `${name}: lmlb ${fmt(ours.rps)} req/s (${fmt(ours.cpuUs!, 1)} µs CPU/req), bare ${fmt(yard.rps)} req/s (${fmt(yard.cpuUs!, 1)} µs); ÷ bare ${fmt(ours.rps / yard.rps, 2)}`,
    )
  }
  for (const p of [upstream, bare, lmlb]) p.proc.kill('SIGKILL')
}

/**
 * Many long streams on one process: MANY_STREAMS (5,000) concurrent 20 s
 * streams (a chunk every 400 ms), first straight to the upstream, then
 * through lmlb: failures, lmlb's peak RSS, p99 time to first event added.
 */
/** What bench/many-streams.ts prints. */
interface StreamsResult {
  streams: number
  ok: number
  failures: Record<string, number>
  peakOpen: number
  p50: number
  p99: number
}

async function manyStreams() {
  const n = Number(process.env.MANY_STREAMS ?? 5000)
  // Bun raises the soft open-files limit to the hard one by itself; the hard one must allow the sockets.
  const upstream = await startServer('upstream (20 s streams)', [BUN, join(ROOT, 'bench/upstream.ts'), '0', '400'], LOAD_CORE)
  const lmlb = await startServer(
    'lmlb',
    lmlbCommand,
    PROXY_CORE,
    { ...lmlbEnv(upstream.port), LOG_LEVEL: 'info' },
    mkdtempSync(join(tmpdir(), 'lmlb-bench-cwd-')),
  )
  const client = async (port: number) => {
    const before = listenOverflows()
    const r = (await scriptWith('many-streams.ts', [at(port, '/v1/chat/completions'), String(n), JSON.stringify(chat(true))], {
      BUN_CONFIG_MAX_HTTP_REQUESTS: '65535',
    })) as unknown as StreamsResult
    const after = listenOverflows()
    return { ...r, listenOverflows: before === undefined || after === undefined ? NaN : after - before }
  }
  const direct = await client(upstream.port)
  // lmlb has served nothing yet: its idle RSS. Then sampled every 100 ms while the streams run
  // (the tree: were lmlb to run as a child of the pid we started, that child is the one that grows).
  const pids = processTree(lmlb.proc.pid)
  const idleRss = treeRssMb(lmlb.proc.pid)
  let peakRss = idleRss
  let samples = 0
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, treeRssMb(lmlb.proc.pid))
    samples++
  }, 100)
  const ours = await client(lmlb.port)
  clearInterval(sampler)
  // 20 s streams sampled every 100 ms: a handful of samples means the sampler starved, and the peak is not one.
  if (samples < 50) console.error(`bench: the RSS sampler ran only ${samples} times during the streams: the peak below is a low bound`)
  const stats = (await (await fetch(at(lmlb.port, '/stats'))).json()) as {
    load_balancer_stats: Record<string, { endpoint_stats: { errors: object; overflow: number; health: { state: string } }[] }>
  }
  const endpoint = stats.load_balancer_stats.openai.endpoint_stats[0]
  results.manyStreams = {
    streams: n,
    direct,
    lmlb: ours,
    lmlbRssIdleMb: idleRss,
    lmlbRssPeakMb: peakRss,
    rssSamples: samples,
    lmlbPids: pids,
    endpoint,
  }
  const failed = (r: StreamsResult) => Object.values(r.failures).reduce((a, b) => a + b, 0)
  console.log(
    `${n.toLocaleString()} concurrent 20 s streams: through lmlb ${failed(ours)} failed ${JSON.stringify(ours.failures)} (direct ${failed(direct)}), ` +
      `${ours.peakOpen} open at once; lmlb RSS ${fmt(idleRss, 1)} MB idle → ${fmt(peakRss, 1)} MB at peak (${samples} samples); ` +
      `first event p99 ${fmt(ours.p99, 1)} ms vs direct ${fmt(direct.p99, 1)} ms (added ${fmt(ours.p99 - direct.p99, 1)} ms; p50 ${fmt(direct.p50, 1)} → ${fmt(ours.p50, 1)} ms; ` +
      `listen-queue overflows, each a 1 s SYN retry: ${fmt(ours.listenOverflows)} through lmlb, ${fmt(direct.listenOverflows)} direct); ` +
      `endpoint ${endpoint.health.state}, errors ${JSON.stringify(endpoint.errors)}, overflow ${endpoint.overflow}`,
  )
  for (const p of [upstream, lmlb]) p.proc.kill('SIGKILL')
}

/**
 * Slow readers: a fast upstream (64 MiB streams on a bare socket, as fast as
 * it can) and clients that read the head, then stop reading. Upstream bytes
 * sent while the clients are paused, and lmlb's RSS, for 1 and 4 readers.
 */
/** Recv-Q + Send-Q of the established TCP sockets on these ports (`ss`, iproute2); NaN without it. */
function kernelQueuedBytes(ports: number[]): number {
  const ss = Bun.spawnSync(['ss', '-tnH', 'state', 'established'], { stdout: 'pipe', stderr: 'ignore' })
  if (!ss.success) return NaN
  let bytes = 0
  for (const line of ss.stdout.toString().split('\n')) {
    const [recvQ, sendQ, local, peer] = line.trim().split(/\s+/)
    if (ports.some((p) => local?.endsWith(`:${p}`) || peer?.endsWith(`:${p}`))) bytes += Number(recvQ) + Number(sendQ)
  }
  return bytes
}

async function slowReader() {
  const { createServer, connect } = await import('node:net')
  const TOTAL = 64 * 1024 * 1024
  let written = 0
  const event = Buffer.from(
    `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'gpt-4o-mini', choices: [{ index: 0, delta: { content: 'x'.repeat(16 * 1024) }, finish_reason: null }] })}\n\n`,
  )
  const server = createServer((socket) => {
    let head = ''
    socket.on('error', () => {})
    socket.on('data', (d) => {
      if (head.includes('\r\n\r\n')) return
      head += d.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n')
      let sent = 0
      const pump = () => {
        while (sent < TOTAL && !socket.destroyed) {
          sent += event.length
          written += event.length
          if (!socket.write(event)) return void socket.once('drain', pump)
        }
        if (!socket.destroyed) socket.end('data: [DONE]\n\n')
      }
      pump()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const upPort = (server.address() as { port: number }).port
  const base = `http://127.0.0.1:${upPort}/v1`
  const lmlb = await startServer(
    'lmlb',
    lmlbCommand,
    PROXY_CORE,
    { ...lmlbEnv(upPort), SERVICE_ENDPOINTS: JSON.stringify({ openai: [base], anthropic: [base] }) },
    mkdtempSync(join(tmpdir(), 'lmlb-bench-cwd-')),
  )
  const MiB = 1024 * 1024
  const out: Record<string, unknown> = {}
  for (const [label, path, body] of [
    ['passthrough', '/v1/chat/completions', chat(true)],
    ['translated (Anthropic client)', '/v1/messages', messages(true, 'gpt-4o-mini')],
  ] as const) {
    for (const readers of [1, 4]) {
      const rssBefore = treeRssMb(lmlb.proc.pid)
      const json = JSON.stringify(body)
      const sockets: ReturnType<typeof connect>[] = []
      const started = written
      let clientRead = 0
      const heads = Promise.all(
        Array.from(
          { length: readers },
          () =>
            new Promise<void>((resolve, reject) => {
              const socket = connect(lmlb.port, '127.0.0.1')
              sockets.push(socket)
              let read = 0
              socket.on('error', reject)
              const onData = (d: Buffer) => {
                read += d.length
                clientRead += d.length
                if (read > 64 * 1024) socket.pause(), socket.off('data', onData), resolve()
              }
              socket.on('data', onData)
              socket.write(
                `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\n\r\n${json}`,
              )
            }),
        ),
      )
      // Bounded: the first 64 KiB within 10 s, or the scenario fails.
      let timer: ReturnType<typeof setTimeout> | undefined
      const late = new Promise<never>(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`slow reader, ${label}: no 64 KiB head within 10 s`)), 10_000)),
      )
      try {
        await Promise.race([heads, late])
      } catch (error) {
        for (const s of sockets) s.destroy()
        throw error
      } finally {
        clearTimeout(timer)
      }
      // Until the upstream's writes stop progressing (bounded: 30 s).
      let last = -1
      let still = 0
      for (let i = 0; i < 300 && still < 5; i++) {
        await Bun.sleep(100)
        still = written === last ? still + 1 : 0
        last = written
      }
      const sentMiB = (written - started) / MiB
      // What the kernel holds on the path (both hops, both ends); the rest of what was sent sits in user space: lmlb's buffers.
      const queuedMiB = kernelQueuedBytes([lmlb.port, upPort]) / MiB
      const heldMiB = sentMiB - clientRead / MiB - queuedMiB
      const rssPaused = treeRssMb(lmlb.proc.pid)
      for (const s of sockets) s.destroy()
      out[`${label}, ${readers}`] = {
        upstreamMiBWhilePaused: sentMiB,
        kernelQueuedMiB: queuedMiB,
        heldInUserSpaceMiB: heldMiB,
        rssBeforeMb: rssBefore,
        rssPausedMb: rssPaused,
      }
      console.log(
        `slow reader, ${label}, ${readers} paused: upstream sent ${fmt(sentMiB, 1)} MiB of ${readers * 64} MiB, ${fmt(queuedMiB, 1)} MiB of it in kernel socket queues, ` +
          `${fmt(heldMiB, 2)} MiB in user space (lmlb, and the upstream's last unflushed write); lmlb RSS ${fmt(rssBefore, 1)} → ${fmt(rssPaused, 1)} MB (+${fmt(rssPaused - rssBefore, 1)})`,
      )
      await Bun.sleep(300) // let lmlb see the clients go
    }
  }
  results.slowReader = out
  lmlb.proc.kill('SIGKILL')
  server.close()
}

function printTable() {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)))
  for (const r of rows) console.log(r.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '))
}

try {
  await main()
} finally {
  stopAll()
}
process.exit(0)
