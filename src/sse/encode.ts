/** SSE encoding by the rules: multi-line data becomes several `data:` lines; no newline in `event:`. */
export function encodeSse(event: string | undefined, data: string): string {
  if (event !== undefined && (event.includes('\n') || event.includes('\r'))) throw new Error('SSE event name must not contain a line break')
  const head = event === undefined ? '' : `event: ${event}\n`
  // JSON text never holds a raw line break: the common case needs no split.
  const body = data.includes('\n') || data.includes('\r') ? data.split(/\r\n|\r|\n/).join('\ndata: ') : data
  return `${head}data: ${body}\n\n`
}

export function encodeJsonEvent(event: string | undefined, value: unknown): string {
  return encodeSse(event, JSON.stringify(value))
}
