/**
 * Open-loop load at a fixed rate (requests are sent on schedule, whether or
 * not earlier ones have answered), so latency is measured as a client at
 * that rate sees it. Prints one JSON line: sent, errors, p50, p99 (ms).
 * Usage: bun bench/fixed-rate.ts URL RATE SECONDS BODY_JSON
 */
const [url, rate, seconds, body] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4]), process.argv[5]]
// Requests go out every millisecond or so, not in bursts (a burst of ten every 10 ms queues them behind each other).
const TICK_MS = 1
const perTick = (rate * TICK_MS) / 1000
const latencies: number[] = []
let errors = 0
const pending: Promise<void>[] = []

const one = async () => {
  const start = performance.now()
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer client' }, body })
    await res.arrayBuffer()
    if (res.ok) latencies.push(performance.now() - start)
    else errors++
  } catch {
    errors++
  }
}

const started = performance.now()
let sent = 0
// Bounded: exactly rate × seconds requests.
while (sent < rate * seconds) {
  const due = Math.min(rate * seconds, Math.floor(((performance.now() - started) / TICK_MS + 1) * perTick))
  while (sent < due) {
    pending.push(one())
    sent++
  }
  await Bun.sleep(TICK_MS)
}
await Promise.all(pending)
latencies.sort((a, b) => a - b)
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN
console.log(JSON.stringify({ sent, errors, p50: pct(50), p99: pct(99) }))

export {}
