/**
 * What the bench's stand-in upstream answers, built once: an OpenAI completion and a 50-chunk stream, an
 * Anthropic message and its stream, a Gemini answer and its stream. Shared by bench/upstream.ts (on a socket) and bench/in-process.ts (a stub fetch).
 */
const CHUNKS = 50
const encoder = new TextEncoder()

export const completion = JSON.stringify({
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
export const openaiChunks = [...Array.from({ length: CHUNKS }, (_, i) => openaiChunk(i)), encoder.encode('data: [DONE]\n\n')]

export const message = JSON.stringify({
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
export const anthropicChunks = [
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

/** Gemini's answer, and its stream as Google sends it: one GenerateContentResponse a `data:` line, CRLF apart. */
const geminiOf = (text: string, last: boolean) => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0, ...(last && { finishReason: 'STOP' }) }],
  usageMetadata: { promptTokenCount: 12, ...(last && { candidatesTokenCount: 50 }), totalTokenCount: last ? 62 : 12 },
  modelVersion: 'gemini-x',
  responseId: 'bench',
})
export const geminiAnswer = JSON.stringify(geminiOf('Hello from the bench upstream.', true))
export const geminiChunks = Array.from({ length: CHUNKS }, (_, i) =>
  encoder.encode(`data: ${JSON.stringify(geminiOf(`tok${i} `, i === CHUNKS - 1))}\r\n\r\n`),
)
