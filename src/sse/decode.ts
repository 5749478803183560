/**
 * SSE decoding in layers, bytes → lines → events, by the WHATWG rules:
 * events may be split at any byte (a multi-byte character included), lines
 * end in LF, CRLF or CR, `data:` lines of one event join with LF, comments
 * (`:` keep-alives) are skipped, and an event still open when the stream
 * ends is delivered by `end()`.
 */
export interface SseEvent {
  event?: string
  data: string
  id?: string
}

export class SseDecoder {
  private readonly text = new TextDecoder()
  private buffer = ''
  /** How much of `buffer` is known to hold no line end (a long line is not rescanned). */
  private scanned = 0
  /** A CR ended the last chunk: an LF opening the next one belongs to it. */
  private pendingCr = false
  private event: string | undefined
  private data: string[] = []
  private id: string | undefined

  push(chunk: Uint8Array | string): SseEvent[] {
    let s = typeof chunk === 'string' ? chunk : this.text.decode(chunk, { stream: true })
    if (this.pendingCr && s.startsWith('\n')) s = s.slice(1)
    this.pendingCr = false
    this.buffer += s
    const out: SseEvent[] = []
    let start = 0
    for (let i = this.scanned; i < this.buffer.length; i++) {
      const c = this.buffer.charCodeAt(i)
      if (c !== 10 && c !== 13) continue
      this.line(this.buffer.slice(start, i), out)
      if (c === 13) {
        if (i + 1 === this.buffer.length) this.pendingCr = true
        else if (this.buffer.charCodeAt(i + 1) === 10) i++
      }
      start = i + 1
    }
    this.buffer = this.buffer.slice(start)
    this.scanned = this.buffer.length
    return out
  }

  /** The stream ended: deliver what is still open. */
  end(): SseEvent[] {
    const out: SseEvent[] = []
    const rest = this.buffer + this.text.decode()
    this.buffer = ''
    this.scanned = 0
    if (rest !== '') this.line(rest, out)
    this.line('', out)
    return out
  }

  private line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.data.length > 0 || this.event !== undefined) {
        out.push({ ...(this.event !== undefined && { event: this.event }), data: this.data.join('\n'), ...(this.id !== undefined && { id: this.id }) })
      }
      this.event = undefined
      this.data = []
      return
    }
    if (line.charCodeAt(0) === 58) return // ':' comment / keep-alive
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.charCodeAt(0) === 32) value = value.slice(1)
    if (field === 'data') this.data.push(value)
    else if (field === 'event') this.event = value
    else if (field === 'id') this.id = value
  }
}
