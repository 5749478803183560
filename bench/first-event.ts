/**
 * Time to first event of a stream, as a client sees it: N streams opened
 * AT_ONCE at a time (a batch starts together, the next once all of it has
 * ended), each read to its end so that the first events are timed while the
 * batch is open. Prints one JSON line: median and p90 (ms), and failures.
 * Bounded: a stream not done within STREAM_TIMEOUT_MS counts as failed.
 * Usage: bun bench/first-event.ts URL N AT_ONCE BODY_JSON
 */
const [url, n, atOnce, body] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), process.argv[5]]
const STREAM_TIMEOUT_MS = 10_000
const times: number[] = []
let failed = 0

async function one(): Promise<void> {
  const start = performance.now()
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer client' },
      body,
      signal: AbortSignal.timeout(STREAM_TIMEOUT_MS),
    })
    if (!res.ok || !res.body) throw new Error(`status ${res.status}`)
    const reader = res.body.getReader()
    let first = true
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      if (first && value.length > 0) times.push(performance.now() - start), (first = false)
    }
    if (first) throw new Error('no event')
  } catch {
    failed++
  }
}

for (let started = 0; started < n; started += atOnce) {
  await Promise.all(Array.from({ length: Math.min(atOnce, n - started) }, one))
}
times.sort((a, b) => a - b)
const pct = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))] ?? NaN
console.log(JSON.stringify({ streams: n, atOnce, failed, median: pct(0.5), p90: pct(0.9) }))

export {}
