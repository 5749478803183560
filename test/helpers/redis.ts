/**
 * A real `redis-server` (Debian's package) for the shared-state tests,
 * started on a free 127.0.0.1 port and stopped by the test. Tests skip
 * when it is not installed.
 */
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const REDIS_SERVER = Bun.which('redis-server')

export function freePort(): Promise<number> {
  return new Promise<number>((done) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => done(port))
    })
  })
}

export interface RedisServer {
  port: number
  /** Resolves once its output contains `text` (an event it logs: a failover...). */
  waitFor(text: string): Promise<void>
  stop(): Promise<void>
}

/** Starts redis-server (more arguments: `--replicaof`, a Sentinel's config...) and resolves once it says it is ready. */
export async function startRedisServer(port: number, more: string[] = [], ready = 'Ready to accept connections'): Promise<RedisServer> {
  // A directory of its own: a replica's sync writes a dump there, which a later server would read as its own.
  const dir = mkdtempSync(join(tmpdir(), 'lmlb-redis-'))
  const proc = Bun.spawn(
    [REDIS_SERVER!, ...more, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir],
    { stdout: 'pipe', stderr: 'pipe' },
  )
  // Its output is read to the end (a full pipe would stall it); waiters are told as the text they wait for arrives.
  let out = ''
  const waiting = new Set<{ text: string; resolve: () => void }>()
  const reader = (proc.stdout as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  const ended = (async () => {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) return
      out += decoder.decode(value, { stream: true })
      for (const w of waiting) if (out.includes(w.text)) waiting.delete(w), w.resolve()
    }
  })()
  const waitFor = (text: string) =>
    out.includes(text)
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((resolve) => waiting.add({ text, resolve })),
          ended.then(() => {
            throw new Error(`redis-server ended before saying "${text}":\n${out}`)
          }),
        ])
  await waitFor(ready)
  return {
    port,
    waitFor,
    async stop() {
      proc.kill()
      await proc.exited
    },
  }
}

/**
 * Until `check` holds: what another instance tells arrives by pub/sub, with
 * no event the test process could await. Polled every 10 ms, bounded.
 */
export async function until(check: () => Promise<boolean>, what: string, ms = 3_000): Promise<void> {
  for (let n = 0; n < ms / 10; n++) {
    if (await check()) return
    await Bun.sleep(10)
  }
  throw new Error(`waited ${ms} ms for ${what}`)
}
