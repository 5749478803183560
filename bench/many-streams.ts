/**
 * Many concurrent streams, as a client sees them: N streams opened in
 * batches (250 every 100 ms), all held open together (the upstream sends a chunk every few
 * hundred ms), each read to its end. Prints one JSON line: failures, time
 * to first event (p50/p99, ms), and how many were open at once.
 * Run it with BUN_CONFIG_MAX_HTTP_REQUESTS set: Bun's fetch holds 256 calls at once by default.
 * Usage: bun bench/many-streams.ts URL N BODY_JSON
 */
const [url, n, body] = [process.argv[2], Number(process.argv[3]), process.argv[4]]
const BATCH = 250
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
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer client' }, body, signal })
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
  // Spread the connects a little: a burst of thousands overflows the listen backlog (a 1 s SYN retry), a client artefact.
  await Bun.sleep(100)
}
await Promise.all(all)
firsts.sort((a, b) => a - b)
const at = (q: number) => firsts[Math.min(firsts.length - 1, Math.floor(firsts.length * q))] ?? NaN
console.log(JSON.stringify({ streams: n, ok: n - Object.values(failures).reduce((a, b) => a + b, 0), failures, peakOpen: peak, p50: at(0.5), p99: at(0.99) }))

export {}
