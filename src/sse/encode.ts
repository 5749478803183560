/** SSE encoding by the rules: multi-line data becomes several `data:` lines; no newline in `event:`. */
export function encodeSse(event: string | undefined, data: string): string {
  // JSON text never holds a raw line break: the common case needs no split.
  const body = data.includes('\n') || data.includes('\r') ? data.split(/\r\n|\r|\n/).join('\ndata: ') : data
  return `${head(event)}data: ${body}\n\n`
}

/** One event of JSON data: JSON text holds no raw line break, so it is one `data:` line as it is. */
export function encodeJsonEvent(event: string | undefined, value: unknown): string {
  return `${head(event)}data: ${JSON.stringify(value)}\n\n`
}

function head(event: string | undefined): string {
  if (event === undefined) return ''
  if (event.includes('\n') || event.includes('\r')) throw new Error('SSE event name must not contain a line break')
  return `event: ${event}\n`
}
