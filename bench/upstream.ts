/**
 * A fast stand-in for OpenAI and Anthropic on 127.0.0.1, for the benchmark:
 * small answers, or 50-chunk streams. Unpaced, a stream's 51 events go as one
 * precomputed body in one write (as the mock behind ../shared/HOTPATH.md sent
 * them): the stand-in shares the load core with wrk and must not be what
 * limits the rate. Paced (CHUNK_DELAY_MS), one event per delay, to time the
 * first event. `POST /bench/pace/MS` sets the pace of the streams that start
 * from then on, so the process under test can be warmed by the same stream
 * unpaced and then timed paced.
 * Usage: bun bench/upstream.ts PORT [CHUNK_DELAY_MS]
 */
const port = Number(process.argv[2] ?? 0)
let delay = Number(process.argv[3] ?? 0)
const CHUNKS = 50
const encoder = new TextEncoder()

const completion = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1,
  model: 'gpt-4o-mini',
  choices: [{ index: 0, message: { role: 'assistant', content: 'Hello from the bench upstream.' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
})
const openaiChunk = (i: number) =>
  encoder.encode(
    `data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"tok${i} "},"finish_reason":null}]}\n\n`,
  )
const openaiChunks = [...Array.from({ length: CHUNKS }, (_, i) => openaiChunk(i)), encoder.encode('data: [DONE]\n\n')]

const message = JSON.stringify({
  id: 'msg_bench',
  type: 'message',
  role: 'assistant',
  model: 'claude-x',
  content: [{ type: 'text', text: 'Hello from the bench upstream.' }],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 7 },
})
const ev = (event: string, data: object) => encoder.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
const anthropicChunks = [
  ev('message_start', {
    type: 'message_start',
    message: {
      id: 'msg_bench',
      type: 'message',
      role: 'assistant',
      model: 'claude-x',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 1 },
    },
  }),
  ev('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  ...Array.from({ length: CHUNKS - 4 }, (_, i) =>
    ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: `tok${i} ` } }),
  ),
  ev('content_block_stop', { type: 'content_block_stop', index: 0 }),
  ev('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 50 } }),
  ev('message_stop', { type: 'message_stop' }),
]

const SSE = { 'content-type': 'text/event-stream' }
const whole = (chunks: Uint8Array[]) => new Uint8Array(Buffer.concat(chunks))
const openaiBody = whole(openaiChunks)
const anthropicBody = whole(anthropicChunks)

function stream(chunks: Uint8Array[], body: Uint8Array): Response {
  // A direct stream written once: one send per stream (headers, events and end), chunked as a real SSE upstream
  // frames it. A Uint8Array body would be ~4 µs cheaper here but would hand the proxies a Content-Length instead.
  const pace = delay
  if (pace === 0) {
    return new Response(
      new ReadableStream({
        type: 'direct',
        pull(controller: { write(chunk: Uint8Array): unknown; close(): void }) {
          controller.write(body)
          controller.close()
        },
      } as unknown as UnderlyingDefaultSource<Uint8Array>),
      { headers: SSE },
    )
  }
  let i = 0
  return new Response(
    new ReadableStream({
      async pull(controller) {
        if (i === chunks.length) return controller.close()
        if (i > 0) await Bun.sleep(pace)
        controller.enqueue(chunks[i++])
      },
    }),
    { headers: SSE },
  )
}

const server = Bun.serve({
  hostname: '127.0.0.1',
  port,
  idleTimeout: 0,
  async fetch(request) {
    const url = new URL(request.url)
    if (url.pathname.startsWith('/bench/pace/')) {
      const ms = Number(url.pathname.slice('/bench/pace/'.length))
      if (!Number.isFinite(ms) || ms < 0) return new Response(null, { status: 400 })
      delay = ms
      return new Response(null, { status: 204 })
    }
    const body = (await request.json()) as { stream?: boolean }
    const anthropic = url.pathname.endsWith('/messages')
    if (body.stream) return anthropic ? stream(anthropicChunks, anthropicBody) : stream(openaiChunks, openaiBody)
    return new Response(anthropic ? message : completion, { headers: { 'content-type': 'application/json' } })
  },
})
console.log(`upstream listening on ${server.port}`)

export {}
