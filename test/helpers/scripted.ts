/**
 * Stand-in upstreams that play a model's side of a tool round trip, in
 * their own format: a get_weather call while tools are offered and no
 * result came back yet, then text ("It is sunny.").
 */
export const sse = (chunks: object[], done = true) =>
  new Response(chunks.map((c) => `data: ${JSON.stringify(c)}\n\n`).join('') + (done ? 'data: [DONE]\n\n' : ''), {
    headers: { 'content-type': 'text/event-stream' },
  })
export const chunk = (delta: object, finish_reason: string | null = null) => ({
  id: 'chatcmpl-t',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4.1',
  choices: [{ index: 0, delta, finish_reason }],
})
export const ev = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`

/** The OpenAI stand-in: a tool call when tools are offered and no result came back yet, else text. */
export function scriptedOpenAI(r: { body: any }): Response {
  const wantsTool = r.body.tools?.length > 0 && !r.body.messages.some((m: { role: string }) => m.role === 'tool')
  if (!r.body.stream) {
    const message = wantsTool
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        }
      : { role: 'assistant', content: 'It is sunny.' }
    return Response.json({
      id: 'chatcmpl-t',
      object: 'chat.completion',
      created: 1,
      model: r.body.model,
      choices: [{ index: 0, message, finish_reason: wantsTool ? 'tool_calls' : 'stop' }],
      usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 },
    })
  }
  const usage = {
    id: 'chatcmpl-t',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-4.1',
    choices: [],
    usage: { prompt_tokens: 20, completion_tokens: 5, total_tokens: 25 },
  }
  return wantsTool
    ? sse([
        chunk({ role: 'assistant', content: 'Let me look. ' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
        chunk({}, 'tool_calls'),
        usage,
      ])
    : sse([chunk({ role: 'assistant', content: 'It is ' }), chunk({ content: 'sunny.' }), chunk({}, 'stop'), usage])
}

/** The Anthropic stand-in, likewise. */
export function scriptedAnthropic(r: { body: any }): Response {
  const wantsTool = r.body.tools?.length > 0 && !JSON.stringify(r.body.messages).includes('tool_result')
  const content = wantsTool
    ? [{ type: 'tool_use', id: 'toolu_w', name: 'get_weather', input: { city: 'Paris' } }]
    : [{ type: 'text', text: 'It is sunny.' }]
  const stop = wantsTool ? 'tool_use' : 'end_turn'
  if (!r.body.stream) {
    return Response.json({
      id: 'msg_t',
      type: 'message',
      role: 'assistant',
      model: r.body.model,
      content,
      stop_reason: stop,
      stop_sequence: null,
      usage: { input_tokens: 20, output_tokens: 5 },
    })
  }
  const start = ev('message_start', {
    message: {
      id: 'msg_t',
      type: 'message',
      role: 'assistant',
      model: r.body.model,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 20, output_tokens: 1 },
    },
  })
  const blocks = wantsTool
    ? ev('content_block_start', { index: 0, content_block: { type: 'tool_use', id: 'toolu_w', name: 'get_weather', input: {} } }) +
      ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"city":' } }) +
      ev('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } }) +
      ev('content_block_stop', { index: 0 })
    : ev('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'It is ' } }) +
      ev('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'sunny.' } }) +
      ev('content_block_stop', { index: 0 })
  const end =
    ev('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 5 } }) + ev('message_stop', {})
  return new Response(start + ev('ping', {}) + blocks + end, { headers: { 'content-type': 'text/event-stream' } })
}
