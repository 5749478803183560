/**
 * Smoke test of the compiled binary, as a user would run it: from a bare
 * directory holding only a seed-style `.env`, start it, time the first 200
 * from /health (cold start), ask mock/echo, stop it with SIGTERM.
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** A port the kernel just handed out, so it is not one of its ephemeral client ports in use (a random pick once was). */
function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().once('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => done(port))
    })
  })
}

const bin = resolve(process.argv[2] ?? 'dist/lmlb')
// Another architecture's binary runs through a user-mode emulator: SMOKE_VIA="qemu-aarch64-static -L /usr/aarch64-linux-gnu".
const via = process.env.SMOKE_VIA?.split(' ').filter(Boolean) ?? []
const startWithinMs = via.length > 0 ? 120_000 : 10_000
const port = await freePort()
const cwd = mkdtempSync(join(tmpdir(), 'lmlb-smoke-'))
writeFileSync(
  join(cwd, '.env'),
  `PORT=${port}\nOPENAI_API_KEYS="sk-smoke-aaaa1111"\nSERVICE_ENDPOINTS={\n  "openai": ["http://127.0.0.1:9/v1"]\n}\n`,
)

const started = performance.now()
// lmlb may start itself again (Bun's fetch limit); where binfmt_misc hands that start to qemu, QEMU_LD_PREFIX finds its libraries.
const qemuPrefix = process.env.QEMU_LD_PREFIX ? { QEMU_LD_PREFIX: process.env.QEMU_LD_PREFIX } : {}
const proc = Bun.spawn([...via, bin], { cwd, env: { PATH: process.env.PATH ?? '', ...qemuPrefix }, stdout: 'inherit', stderr: 'pipe' })
// Drain stderr as it comes (a full pipe would stall lmlb) and keep it to show on failure.
let log = ''
const drained = (async () => {
  for await (const text of proc.stderr.pipeThrough(new TextDecoderStream()) as unknown as AsyncIterable<string>) log += text
})()
let exitCode: number | undefined
void proc.exited.then((code) => (exitCode = code))

const check = async (ok: boolean, what: string) => {
  if (ok) return
  proc.kill('SIGKILL')
  await drained
  console.error(`smoke: FAILED: ${what}\n-- lmlb's stderr (exit ${exitCode ?? 'none, killed'}):\n${log}`)
  process.exit(1)
}

let coldStartMs = -1
// Bounded by time (a slow CI machine may start slowly) and by lmlb exiting.
const deadline = started + startWithinMs
while (coldStartMs < 0 && exitCode === undefined && performance.now() < deadline) {
  const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined)
  if (res?.status === 200) coldStartMs = performance.now() - started
  else await Bun.sleep(2)
}
await check(
  coldStartMs >= 0,
  exitCode === undefined
    ? `/health did not answer 200 on port ${port} within ${startWithinMs / 1000} s`
    : 'lmlb exited before /health answered',
)

const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
  method: 'POST',
  body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'smoke' }] }),
})
const body = (await res.json()) as { choices: { message: { content: string } }[] }
await check(
  res.status === 200 && body.choices[0].message.content === 'You said: smoke',
  `mock/echo answered ${res.status} ${JSON.stringify(body)}`,
)
const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { load_balancer: { openai_keys_configured: number } }
await check(health.load_balancer.openai_keys_configured === 1, '.env was not read')

proc.kill('SIGTERM')
await check((await proc.exited) === 0, 'SIGTERM did not exit 0')
const mb = (statSync(bin).size / 1e6).toFixed(1)
console.log(
  `smoke: binary ${bin} (${mb} MB)${via.length ? ` via ${via[0]}` : ''}: cold start to first 200 from /health ${coldStartMs.toFixed(1)} ms; mock/echo ok; SIGTERM exit 0`,
)
