/**
 * Many concurrent streams, as a client sees them: N streams opened in
 * batches (MANY_STREAMS_BATCH, default 100, every 100 ms), all held open together (the upstream sends a chunk every few
 * hundred ms), each read to its end. Prints one JSON line: failures, time
 * to first event (p50/p99, ms), and how many were open at once.
 * Run it with BUN_CONFIG_MAX_HTTP_REQUESTS set: Bun's fetch holds 256 calls at once by default.
 * Usage: bun bench/many-streams.ts URL N BODY_JSON
 */
const [url, n, body] = [process.argv[2], Number(process.argv[3]), process.argv[4]]
// New streams per 100 ms: 1,000/s opens 5,000 in 5 s, all held together (20 s streams). At 2,500/s lmlb's accept queue
// (Bun's fixed listen backlog, 512) overflowed and clients retried their SYN after 1 s: a measure of the burst, not of lmlb's added latency.
const BATCH = Number(process.env.MANY_STREAMS_BATCH ?? 100)
const STREAM_TIMEOUT_MS = 90_000
const firsts: number[] = []
const failures: Record<string, number> = {}
const fail = (why: string) => (failures[why] = (failures[why] ?? 0) + 1)
let open = 0
let peak = 0

async function one(): Promise<void> {
  const start = performance.now()
  try {
    // Bounded: a stream not done in STREAM_TIMEOUT_MS counts as a failure (the streams here last about 20 s).
    const signal = AbortSignal.timeout(STREAM_TIMEOUT_MS)
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer client' },
      body,
      signal,
    })
    if (res.status !== 200) return void (fail(`status_${res.status}`), await res.text())
    const reader = res.body!.getReader()
    const decoder = new TextDecoder()
    let text = ''
    let first = true
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      if (first) {
        first = false
        firsts.push(performance.now() - start)
        peak = Math.max(peak, ++open)
      }
      text += decoder.decode(value, { stream: true })
      if (text.length > 4096) text = text.slice(-4096)
    }
    if (!first) open--
    if (!text.includes('[DONE]')) fail('cut')
  } catch (error) {
    fail((error as Error).name === 'TimeoutError' ? 'timeout' : `error: ${(error as Error).message}`)
  }
}

const all: Promise<void>[] = []
for (let i = 0; i < n; i += BATCH) {
  for (let j = i; j < Math.min(n, i + BATCH); j++) all.push(one())
  await Bun.sleep(100)
}
await Promise.all(all)
firsts.sort((a, b) => a - b)
const at = (q: number) => firsts[Math.min(firsts.length - 1, Math.floor(firsts.length * q))] ?? NaN
console.log(
  JSON.stringify({
    streams: n,
    ok: n - Object.values(failures).reduce((a, b) => a + b, 0),
    failures,
    peakOpen: peak,
    p50: at(0.5),
    p99: at(0.99),
  }),
)

export {}
