/** Minimal well-formed upstream answers in each wire format. */
import { chatChunks, SSE_HEADERS, sseEvent, sseResponse } from './requests'

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
  const chunk = chatChunks({ id: 'chatcmpl-test', object: 'chat.completion.chunk', created: 1, model }, { logprobs: true })
  return [
    sseEvent(undefined, chunk({ role: 'assistant', content: '' }, null)),
    ...pieces.map((p) => sseEvent(undefined, chunk({ content: p }, null))),
    sseEvent(undefined, chunk({}, 'stop')),
    sseEvent(undefined, '[DONE]'),
  ]
}

export function openaiStream(model: string, pieces: string[]): Response {
  return sseResponse(openaiStreamEvents(model, pieces).join(''))
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
    sseEvent('message_start', {
      type: 'message_start',
      message: {
        id: 'msg_test',
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 5, output_tokens: 1 },
      },
    }),
    sseEvent('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    ...pieces.map((p) =>
      sseEvent('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } }),
    ),
    sseEvent('content_block_stop', { type: 'content_block_stop', index: 0 }),
    sseEvent('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: 3 },
    }),
    sseEvent('message_stop', { type: 'message_stop' }),
  ]
}

export function anthropicStream(model: string, pieces: string[]): Response {
  return sseResponse(anthropicStreamEvents(model, pieces).join(''))
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
    { headers: SSE_HEADERS },
  )
}

/** A Responses API `response` object holding one message of `text`. */
export function responsesObject(model: string, text: string, status = 'completed') {
  return {
    id: 'resp_test',
    object: 'response',
    created_at: 1,
    status,
    model,
    output: [
      {
        id: 'msg_test',
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text, annotations: [] }],
      },
    ],
    usage: {
      input_tokens: 11,
      input_tokens_details: { cached_tokens: 4 },
      output_tokens: 6,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 17,
    },
  }
}

export function responsesAnswer(model: string, text: string): Response {
  return Response.json(responsesObject(model, text))
}

/** The Responses API's stream for one text message, event by event, as OpenAI sends it. */
export function responsesStreamEvents(model: string, pieces: string[]): string[] {
  const done = responsesObject(model, pieces.join(''))
  const item = done.output[0]
  const events: object[] = [
    { type: 'response.created', response: { ...done, status: 'in_progress', output: [], usage: null } },
    { type: 'response.in_progress', response: { ...done, status: 'in_progress', output: [], usage: null } },
    { type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress', content: [] } },
    {
      type: 'response.content_part.added',
      item_id: item.id,
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [] },
    },
    ...pieces.map((delta) => ({ type: 'response.output_text.delta', item_id: item.id, output_index: 0, content_index: 0, delta })),
    { type: 'response.output_text.done', item_id: item.id, output_index: 0, content_index: 0, text: pieces.join('') },
    { type: 'response.content_part.done', item_id: item.id, output_index: 0, content_index: 0, part: item.content[0] },
    { type: 'response.output_item.done', output_index: 0, item },
    { type: 'response.completed', response: done },
  ]
  return events.map((e, i) => sseEvent((e as { type: string }).type, { ...e, sequence_number: i }))
}

export function responsesStream(model: string, pieces: string[]): Response {
  return sseResponse(responsesStreamEvents(model, pieces).join(''))
}
