/**
 * The Responses API's errors: a whole answer's error is OpenAI's usual
 * shape (apis/openai-chat/errors.ts); a stream that has begun ends with a
 * `response.failed` event instead, the one Codex reads the reason from.
 */
export function failedResponseEvent(code: string, message: string, id = `resp_lmlb_${crypto.randomUUID().replaceAll('-', '')}`) {
  return { type: 'response.failed', response: { id, object: 'response', status: 'failed', error: { code, message }, output: [] } }
}

const SEQUENCE = /"sequence_number"\s*:\s*(\d+)/g

/**
 * Keeps the last `sequence_number` a passed-through stream's events carried
 * (`see` each chunk's text), so the `response.failed` lmlb appends after a
 * break carries the next one, as every event before it did.
 */
export class SequenceWatch {
  private last = -1

  see(text: string): void {
    // Most chunks hold an event or two: the last number in the chunk is the stream's latest.
    const at = text.lastIndexOf('"sequence_number"')
    if (at < 0) return
    SEQUENCE.lastIndex = at
    const found = SEQUENCE.exec(text)
    if (found) this.last = Number(found[1])
  }

  next(): number {
    return this.last + 1
  }
}
