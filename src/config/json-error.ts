/**
 * Where a JSON text first goes wrong, as line and column. JSC's JSON.parse
 * says what is wrong but not where; a configuration error must say both.
 * A small recursive-descent scan, used only after JSON.parse has failed.
 */
export interface JsonErrorLocation {
  line: number
  column: number
  message: string
}

export function locateJsonError(text: string): JsonErrorLocation | undefined {
  let pos = 0
  const fail = (message: string): never => {
    throw { pos, message }
  }
  const ws = () => {
    while (pos < text.length && ' \t\r\n'.includes(text[pos])) pos++
  }
  const describe = () => (pos >= text.length ? 'unexpected end of text' : `unexpected ${JSON.stringify(text[pos])}`)
  const literal = (word: string) => {
    if (text.startsWith(word, pos)) pos += word.length
    else fail(describe())
  }
  const string = () => {
    pos++
    while (pos < text.length && text[pos] !== '"') {
      if (text[pos] === '\n') fail('line break inside a string')
      pos += text[pos] === '\\' ? 2 : 1
    }
    if (pos >= text.length) fail('unterminated string')
    pos++
  }
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(pos))
    if (!m) fail(describe())
    pos += m![0].length
  }
  const value = (): void => {
    ws()
    const c = text[pos]
    if (c === '{') return container('}', true)
    if (c === '[') return container(']', false)
    if (c === '"') return string()
    if (c === 't') return literal('true')
    if (c === 'f') return literal('false')
    if (c === 'n') return literal('null')
    if (c === '-' || (c >= '0' && c <= '9')) return number()
    fail(describe())
  }
  const container = (close: string, isObject: boolean) => {
    pos++
    ws()
    if (text[pos] === close) {
      pos++
      return
    }
    for (;;) {
      if (isObject) {
        ws()
        if (text[pos] !== '"') fail(`expected a quoted key, got ${describe().replace('unexpected ', '')}`)
        string()
        ws()
        if (text[pos] !== ':') fail(`expected ':', got ${describe().replace('unexpected ', '')}`)
        pos++
      }
      value()
      ws()
      if (text[pos] === ',') {
        pos++
        ws()
        if (text[pos] === close) fail(`trailing comma before '${close}'`)
        continue
      }
      if (text[pos] === close) {
        pos++
        return
      }
      fail(`expected ',' or '${close}', got ${describe().replace('unexpected ', '')}`)
    }
  }
  try {
    value()
    ws()
    if (pos < text.length) fail(`unexpected text after the end: ${JSON.stringify(text.slice(pos, pos + 10))}`)
    return undefined
  } catch (e) {
    const { pos: at, message } = e as { pos: number; message: string }
    const before = text.slice(0, at)
    const line = before.split('\n').length
    const column = at - before.lastIndexOf('\n')
    return { line, column, message }
  }
}
