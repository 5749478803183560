/**
 * Stand-in upstreams that play a model's side of a tool round trip, in
 * their own format: a get_weather call while tools are offered and no
 * result came back yet, then text ("It is sunny.").
 */
import { anthropicEvent, chatChunks, chatStream, sseResponse } from './requests'

/** A chunk of the OpenAI stand-in's streams. */
export const chunk = chatChunks({ id: 'chatcmpl-t', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1' })

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
    ? chatStream([
        chunk({ role: 'assistant', content: 'Let me look. ' }),
        chunk({ tool_calls: [{ index: 0, id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":' } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
        chunk({}, 'tool_calls'),
        usage,
      ])
    : chatStream([chunk({ role: 'assistant', content: 'It is ' }), chunk({ content: 'sunny.' }), chunk({}, 'stop'), usage])
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
  const start = anthropicEvent('message_start', {
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
    ? anthropicEvent('content_block_start', {
        index: 0,
        content_block: { type: 'tool_use', id: 'toolu_w', name: 'get_weather', input: {} },
      }) +
      anthropicEvent('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"city":' } }) +
      anthropicEvent('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '"Paris"}' } }) +
      anthropicEvent('content_block_stop', { index: 0 })
    : anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } }) +
      anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'It is ' } }) +
      anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text: 'sunny.' } }) +
      anthropicEvent('content_block_stop', { index: 0 })
  const end =
    anthropicEvent('message_delta', { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 5 } }) +
    anthropicEvent('message_stop', {})
  return sseResponse(start + anthropicEvent('ping', {}) + blocks + end)
}
