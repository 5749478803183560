/**
 * The yardstick: the least a Bun proxy can do. Forward to one upstream,
 * swap the client's key for ours, hand the answer back as it streams.
 * Usage: bun bench/bare-passthrough.ts PORT UPSTREAM_BASE
 */
const port = Number(process.argv[2] ?? 0)
const upstream = process.argv[3] ?? 'http://127.0.0.1:9/v1'
const KEY = 'sk-bench-upstream-key'

const server = Bun.serve({
  hostname: '127.0.0.1',
  port,
  idleTimeout: 0,
  async fetch(request) {
    const path = new URL(request.url).pathname.replace(/^\/v1/, '')
    const headers = new Headers(request.headers)
    headers.delete('host')
    headers.delete('x-api-key')
    headers.set('authorization', `Bearer ${KEY}`)
    const response = await fetch(upstream + path, { method: request.method, headers, body: await request.arrayBuffer() })
    const out = new Headers(response.headers)
    out.delete('content-encoding')
    out.delete('content-length')
    return new Response(response.body, { status: response.status, headers: out })
  },
})
console.log(`bare passthrough listening on ${server.port}`)

export {}
