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
  const scan = new Scan(text)
  try {
    scan.document()
    return undefined
  } catch (e) {
    if (!(e instanceof Wrong)) throw e
    const before = text.slice(0, e.at)
    return { line: before.split('\n').length, column: e.at - before.lastIndexOf('\n'), message: e.message }
  }
}

/** The first thing wrong, and where. */
class Wrong {
  constructor(
    readonly at: number,
    readonly message: string,
  ) {}
}

class Scan {
  private pos = 0

  constructor(private readonly text: string) {}

  document(): void {
    this.value()
    this.ws()
    if (this.pos < this.text.length) this.fail(`unexpected text after the end: ${JSON.stringify(this.text.slice(this.pos, this.pos + 10))}`)
  }

  private fail(message: string): never {
    throw new Wrong(this.pos, message)
  }

  private ws(): void {
    while (this.pos < this.text.length && ' \t\r\n'.includes(this.text[this.pos])) this.pos++
  }

  private describe(): string {
    return this.pos >= this.text.length ? 'unexpected end of text' : `unexpected ${JSON.stringify(this.text[this.pos])}`
  }

  /** What stands here instead of what was expected. */
  private got(): string {
    return this.describe().replace('unexpected ', '')
  }

  private literal(word: string): void {
    if (this.text.startsWith(word, this.pos)) this.pos += word.length
    else this.fail(this.describe())
  }

  private string(): void {
    const { text } = this
    this.pos++
    while (this.pos < text.length && text[this.pos] !== '"') {
      if (text[this.pos] === '\n') this.fail('line break inside a string')
      this.pos += text[this.pos] === '\\' ? 2 : 1
    }
    if (this.pos >= text.length) this.fail('unterminated string')
    this.pos++
  }

  private number(): void {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.pos))
    if (!m) this.fail(this.describe())
    this.pos += m[0].length
  }

  private value(): void {
    this.ws()
    const c = this.text[this.pos]
    if (c === '{') return this.container('}', true)
    if (c === '[') return this.container(']', false)
    if (c === '"') return this.string()
    if (c === 't') return this.literal('true')
    if (c === 'f') return this.literal('false')
    if (c === 'n') return this.literal('null')
    if (c === '-' || (c >= '0' && c <= '9')) return this.number()
    this.fail(this.describe())
  }

  private container(close: string, isObject: boolean): void {
    this.pos++
    this.ws()
    if (this.text[this.pos] === close) {
      this.pos++
      return
    }
    for (;;) {
      if (isObject) this.key()
      this.value()
      this.ws()
      if (this.text[this.pos] === close) {
        this.pos++
        return
      }
      if (this.text[this.pos] !== ',') this.fail(`expected ',' or '${close}', got ${this.got()}`)
      this.pos++
      this.ws()
      if (this.text[this.pos] === close) this.fail(`trailing comma before '${close}'`)
    }
  }

  private key(): void {
    this.ws()
    if (this.text[this.pos] !== '"') this.fail(`expected a quoted key, got ${this.got()}`)
    this.string()
    this.ws()
    if (this.text[this.pos] !== ':') this.fail(`expected ':', got ${this.got()}`)
    this.pos++
  }
}
