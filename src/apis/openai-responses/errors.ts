/**
 * The Responses API's errors: a whole answer's error is OpenAI's usual
 * shape (apis/openai-chat/errors.ts); a stream that has begun ends with a
 * `response.failed` event instead, the one Codex reads the reason from.
 */
export function failedResponseEvent(code: string, message: string, id = `resp_lmlb_${crypto.randomUUID().replaceAll('-', '')}`) {
  return { type: 'response.failed', response: { id, object: 'response', status: 'failed', error: { code, message }, output: [] } }
}
