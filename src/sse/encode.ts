/** SSE encoding by the rules: multi-line data becomes several `data:` lines; no newline in `event:`. */
export function encodeSse(event: string | undefined, data: string): string {
  if (event !== undefined && /[\r\n]/.test(event)) throw new Error('SSE event name must not contain a line break')
  const head = event === undefined ? '' : `event: ${event}\n`
  return `${head}data: ${data.split(/\r\n|\r|\n/).join('\ndata: ')}\n\n`
}

export function encodeJsonEvent(event: string | undefined, value: unknown): string {
  return encodeSse(event, JSON.stringify(value))
}
