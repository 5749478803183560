/**
 * Smoke test of the compiled binary, as a user would run it: from a bare
 * directory holding only a seed-style `.env`, start it, time the first 200
 * from /health (cold start), ask mock/echo, stop it with SIGTERM.
 */
import { mkdtempSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const bin = resolve(process.argv[2] ?? 'dist/lmlb')
const port = 20000 + Math.floor(Math.random() * 20000)
const cwd = mkdtempSync(join(tmpdir(), 'lmlb-smoke-'))
writeFileSync(join(cwd, '.env'), `PORT=${port}\nOPENAI_API_KEYS="sk-smoke-aaaa1111"\nSERVICE_ENDPOINTS={\n  "openai": ["http://127.0.0.1:9/v1"]\n}\n`)

const check = (ok: boolean, what: string) => {
  if (!ok) {
    console.error(`smoke: FAILED: ${what}`)
    proc.kill('SIGKILL')
    process.exit(1)
  }
}

const started = performance.now()
const proc = Bun.spawn([bin], { cwd, env: { PATH: process.env.PATH ?? '' }, stdout: 'inherit', stderr: 'pipe' })
let coldStartMs = -1
// Bounded: 500 attempts, each answered at once (refused) or by lmlb.
for (let attempt = 0; attempt < 500 && coldStartMs < 0; attempt++) {
  const res = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined)
  if (res?.status === 200) coldStartMs = performance.now() - started
  else await Bun.sleep(2)
}
check(coldStartMs >= 0, '/health never answered 200')

const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
  method: 'POST',
  body: JSON.stringify({ model: 'mock/echo', messages: [{ role: 'user', content: 'smoke' }] }),
})
const body = (await res.json()) as { choices: { message: { content: string } }[] }
check(res.status === 200 && body.choices[0].message.content === 'You said: smoke', `mock/echo answered ${res.status} ${JSON.stringify(body)}`)
const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { load_balancer: { openai_keys_configured: number } }
check(health.load_balancer.openai_keys_configured === 1, '.env was not read')

proc.kill('SIGTERM')
check((await proc.exited) === 0, 'SIGTERM did not exit 0')
const mb = (statSync(bin).size / 1e6).toFixed(1)
console.log(`smoke: binary ${bin} (${mb} MB): cold start to first 200 from /health ${coldStartMs.toFixed(1)} ms; mock/echo ok; SIGTERM exit 0`)
