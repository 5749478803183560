/**
 * CI's run of the image `npm run container` built (LMLB_IMAGE, default
 * lmlb; an arm64 image runs under qemu through binfmt_misc), with a real engine
 * (CONTAINER_ENGINE, default podman): `.env` mounted into /app and a
 * variable given with -e; /health, mock/echo, and a passthrough to an
 * upstream on 127.0.0.1 (host network) that must see the key from .env;
 * SIGTERM stops it with exit 0 within the grace. Prints the image size.
 */
import { mkdtempSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const image = process.env.LMLB_IMAGE ?? 'lmlb'
const engine = (process.env.CONTAINER_ENGINE ?? 'podman').split(' ').filter(Boolean)
// Flags this sandbox needs (../shared/CONTAINERS.md): no systemd for cgroups, no rootless networking.
const runFlags = (process.env.CONTAINER_RUN_FLAGS ?? '--network host --cgroup-manager cgroupfs').split(' ').filter(Boolean)
const fail = (message: string): never => {
  console.error(`container: FAILED: ${message}`)
  process.exit(1)
}
const run = (args: string[]) => {
  const r = Bun.spawnSync([...engine, ...args], { stdout: 'pipe', stderr: 'pipe' })
  return { ok: r.success, out: r.stdout.toString().trim(), err: r.stderr.toString().trim() }
}
const freePort = () =>
  new Promise<number>((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => done(port))
    })
  })

let seenAuthorization: string | null = null
const upstream = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch(req) {
    seenAuthorization = req.headers.get('authorization')
    return Response.json({
      id: 'c1',
      object: 'chat.completion',
      created: 1,
      model: 'gpt-4o',
      choices: [{ index: 0, message: { role: 'assistant', content: 'from the upstream' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
    })
  },
})
const port = await freePort()
const dir = mkdtempSync(join(tmpdir(), 'lmlb-container-'))
writeFileSync(
  join(dir, '.env'),
  `OPENAI_API_KEYS="sk-container-key-0001"\nSERVICE_ENDPOINTS={"openai": ["http://127.0.0.1:${upstream.port}/v1"]}\n`,
)
const name = `lmlb-check-${process.pid}`
const started = run([
  'run',
  '-d',
  '--name',
  name,
  ...runFlags,
  '-v',
  `${join(dir, '.env')}:/app/.env:ro`,
  '-e',
  `PORT=${port}`,
  '-e',
  'LOG_LEVEL=debug',
  image,
])
if (!started.ok) fail(`run: ${started.err}`)
const cleanup = () => run(['rm', '-f', name])
try {
  const base = `http://127.0.0.1:${port}`
  // Bounded: 60 s for the first 200 from /health (seconds under emulation).
  const startedAt = performance.now()
  let health: Response | undefined
  for (let i = 0; i < 600 && health?.status !== 200; i++) {
    health = await fetch(`${base}/health`).catch(() => undefined)
    if (health?.status !== 200) await Bun.sleep(100)
  }
  if (health?.status !== 200) fail(`/health did not answer on port ${port} (-e PORT); logs:\n${run(['logs', name]).err}`)
  const startMs = performance.now() - startedAt
  const keys = ((await health!.json()) as { load_balancer: { openai_keys_configured: number } }).load_balancer.openai_keys_configured
  if (keys !== 1) fail(`the mounted .env was not read (${keys} OpenAI keys)`)
  const post = (model: string) =>
    fetch(`${base}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
    }).then((r) => r.json() as Promise<any>)
  const echo = await post('mock/echo')
  if (echo.choices?.[0]?.message?.content !== 'You said: hi') fail(`mock/echo answered ${JSON.stringify(echo)}`)
  const passed = await post('gpt-4o')
  if (passed.choices?.[0]?.message?.content !== 'from the upstream' || seenAuthorization !== 'Bearer sk-container-key-0001')
    fail(`passthrough answered ${JSON.stringify(passed)}, the upstream saw ${seenAuthorization}`)
  if (!run(['logs', name]).err.includes('DEBUG')) fail('-e LOG_LEVEL=debug was not applied')
  const stopAt = performance.now()
  run(['stop', '-t', '30', name])
  const stopMs = performance.now() - stopAt
  const code = run(['inspect', name, '--format', '{{.State.ExitCode}}']).out
  if (code !== '0') fail(`SIGTERM: exit ${code}`)
  const [arch, size] = run(['image', 'inspect', image, '--format', '{{.Architecture}} {{.Size}}']).out.split(' ')
  console.log(
    `container: ${image} image (${arch}) ${(Number(size) / 1e6).toFixed(1)} MB; first 200 from /health ${startMs.toFixed(0)} ms after run; .env mounted and -e read; /health, mock/echo, passthrough to 127.0.0.1 ok; SIGTERM exit 0 in ${stopMs.toFixed(0)} ms`,
  )
} finally {
  cleanup()
  upstream.stop(true)
}
