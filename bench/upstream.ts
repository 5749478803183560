/**
 * A fast stand-in for OpenAI and Anthropic on 127.0.0.1, for the benchmark:
 * small answers, or 50-chunk streams sent as fast as they can go (or one
 * chunk every CHUNK_DELAY_MS, to time the first event).
 * Usage: bun bench/upstream.ts PORT [CHUNK_DELAY_MS]
 */
const port = Number(process.argv[2] ?? 0)
const delay = Number(process.argv[3] ?? 0)
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

function stream(chunks: Uint8Array[]): Response {
  let i = 0
  return new Response(
    new ReadableStream({
      async pull(controller) {
        if (i === chunks.length) return controller.close()
        if (delay > 0 && i > 0) await Bun.sleep(delay)
        controller.enqueue(chunks[i++])
      },
    }),
    { headers: { 'content-type': 'text/event-stream' } },
  )
}

const server = Bun.serve({
  hostname: '127.0.0.1',
  port,
  idleTimeout: 0,
  async fetch(request) {
    const body = (await request.json()) as { stream?: boolean }
    const anthropic = new URL(request.url).pathname.endsWith('/messages')
    if (body.stream) return stream(anthropic ? anthropicChunks : openaiChunks)
    return new Response(anthropic ? message : completion, { headers: { 'content-type': 'application/json' } })
  },
})
console.log(`upstream listening on ${server.port}`)

export {}
