/** Minimal well-formed upstream answers in each wire format. */
const SSE = { 'content-type': 'text/event-stream' }

const sse = (event: string | undefined, data: unknown) =>
  `${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`

export function openaiCompletion(model: string, text: string): Response {
  return Response.json({
    id: 'chatcmpl-test',
    object: 'chat.completion',
    created: 1,
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
  })
}

export function openaiStreamEvents(model: string, pieces: string[]): string[] {
  const chunk = (delta: object, finish: string | null) => ({
    id: 'chatcmpl-test',
    object: 'chat.completion.chunk',
    created: 1,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  })
  return [
    sse(undefined, chunk({ role: 'assistant', content: '' }, null)),
    ...pieces.map((p) => sse(undefined, chunk({ content: p }, null))),
    sse(undefined, chunk({}, 'stop')),
    sse(undefined, '[DONE]'),
  ]
}

export function openaiStream(model: string, pieces: string[]): Response {
  return new Response(openaiStreamEvents(model, pieces).join(''), { headers: SSE })
}

export function anthropicMessage(model: string, text: string): Response {
  return Response.json({
    id: 'msg_test',
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 5, output_tokens: 3 },
  })
}

export function anthropicStreamEvents(model: string, pieces: string[]): string[] {
  return [
    sse('message_start', {
      type: 'message_start',
      message: { id: 'msg_test', type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } },
    }),
    sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ...pieces.map((p) => sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } })),
    sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
    sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 3 } }),
    sse('message_stop', { type: 'message_stop' }),
  ]
}

export function anthropicStream(model: string, pieces: string[]): Response {
  return new Response(anthropicStreamEvents(model, pieces).join(''), { headers: SSE })
}

/** A stream whose events go out one by one, each when `release(i)` resolves. */
export function pacedStream(events: string[], release: (i: number) => Promise<void>): Response {
  const encoder = new TextEncoder()
  let i = 0
  return new Response(
    new ReadableStream({
      async pull(controller) {
        if (i === events.length) return controller.close()
        await release(i)
        controller.enqueue(encoder.encode(events[i++]))
      },
    }),
    { headers: SSE },
  )
}
