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
    const buffer = this.buffer
    let start = 0
    // Line ends found with native searches; a CR is looked for again only once passed.
    let lf = buffer.indexOf('\n', this.scanned)
    let cr = buffer.indexOf('\r', this.scanned)
    while (lf !== -1 || cr !== -1) {
      const end = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr
      // The usual end of an event, one `data: ` line and an empty line, taken whole.
      if (end === lf && this.data.length === 0 && buffer.charCodeAt(lf + 1) === 10 && buffer.startsWith('data: ', start)) {
        const event: SseEvent = { data: buffer.slice(start + 6, lf) }
        if (this.event !== undefined) event.event = this.event
        if (this.id !== undefined) event.id = this.id
        out.push(event)
        this.event = undefined
        start = lf + 2
        lf = buffer.indexOf('\n', start)
        continue
      }
      // The line before it in Anthropic's streams.
      if (end === lf && buffer.startsWith('event: ', start)) {
        this.event = buffer.slice(start + 7, lf)
        start = lf + 1
        lf = buffer.indexOf('\n', start)
        continue
      }
      this.line(buffer.slice(start, end), out)
      start = end + 1
      if (end === cr) {
        if (start === buffer.length) this.pendingCr = true
        else if (buffer.charCodeAt(start) === 10) start++
      }
      if (lf !== -1 && lf < start) lf = buffer.indexOf('\n', start)
      if (cr !== -1 && cr < start) cr = buffer.indexOf('\r', start)
    }
    this.buffer = buffer.slice(start)
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
        const event: SseEvent = { data: this.data.length === 1 ? this.data[0] : this.data.join('\n') }
        if (this.event !== undefined) event.event = this.event
        if (this.id !== undefined) event.id = this.id
        out.push(event)
      }
      this.event = undefined
      this.data = []
      return
    }
    if (line.charCodeAt(0) === 58) return // ':' comment / keep-alive
    // The line nearly every event is made of, first.
    if (line.startsWith('data: ')) return void this.data.push(line.slice(6))
    const colon = line.indexOf(':')
    const field = colon < 0 ? line : line.slice(0, colon)
    let value = colon < 0 ? '' : line.slice(colon + 1)
    if (value.charCodeAt(0) === 32) value = value.slice(1)
    if (field === 'data') this.data.push(value)
    else if (field === 'event') this.event = value
    else if (field === 'id') this.id = value
  }
}
