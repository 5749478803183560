/**
 * Time to first event of a stream, as a client sees it: N requests one
 * after another; prints one JSON line with the median and p90 (ms).
 * Usage: bun bench/first-event.ts URL N BODY_JSON
 */
const [url, n, body] = [process.argv[2], Number(process.argv[3]), process.argv[4]]
const times: number[] = []
for (let i = 0; i < n; i++) {
  const start = performance.now()
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer client' }, body })
  const reader = res.body!.getReader()
  await reader.read()
  times.push(performance.now() - start)
  await reader.cancel()
}
times.sort((a, b) => a - b)
console.log(JSON.stringify({ median: times[Math.floor(n / 2)], p90: times[Math.floor(n * 0.9)] }))

export {}
