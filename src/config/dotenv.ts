/**
 * A `.env` reader that understands the seed's own format: an unquoted value
 * opening with `{` or `[` continues over several lines until its brackets
 * balance (Bun's loader, dotenv and node's parseEnv all cut it at `{`).
 * Also: `export ` prefixes, `#` comments, single quotes (literal, may span
 * lines), double quotes (escapes `\n`, `\t`, `\"`, `\\`, may span lines).
 */
export interface DotenvProblem {
  line: number
  message: string
}

export interface DotenvResult {
  values: Record<string, string>
  problems: DotenvProblem[]
  /** The line each variable was set on (its last setting), for messages about its value. */
  lines: Record<string, number>
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/

export function parseDotenv(text: string): DotenvResult {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/)
  const values: Record<string, string> = {}
  const problems: DotenvProblem[] = []
  const lineOf: Record<string, number> = {}
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1
    let line = lines[i].trim()
    if (line === '' || line.startsWith('#')) continue
    if (line.startsWith('export ')) line = line.slice(7).trimStart()
    const eq = line.indexOf('=')
    if (eq <= 0) {
      // The line itself is not quoted back: it may hold a key.
      problems.push({ line: lineNo, message: 'expected NAME=value' })
      continue
    }
    const name = line.slice(0, eq).trim()
    if (!NAME.test(name)) {
      problems.push({ line: lineNo, message: 'not a variable name before "="' })
      continue
    }
    let rest = line.slice(eq + 1).trimStart()
    const quote = rest[0]
    if (quote === '"' || quote === "'") {
      // A quoted value may span lines: gather until the closing quote.
      let body = rest.slice(1)
      let close = findClosingQuote(body, quote)
      while (close < 0 && i + 1 < lines.length) {
        body += '\n' + lines[++i]
        close = findClosingQuote(body, quote)
      }
      if (close < 0) {
        problems.push({ line: lineNo, message: `${name}: missing closing ${quote}` })
        continue
      }
      const raw = body.slice(0, close)
      // After the closing quote only a comment may follow (`K="a" # note`): anything else
      // was silently dropped before. The text itself is not quoted back: it may hold a key.
      const after = body.slice(close + 1).trim()
      if (after !== '' && !after.startsWith('#')) {
        problems.push({
          line: i + 1,
          message: `${name}: text after the closing ${quote} (quote the whole value, or put " #" before a comment)`,
        })
        continue
      }
      values[name] = quote === '"' ? unescapeDouble(raw) : raw
      lineOf[name] = lineNo
      continue
    }
    if (rest.startsWith('{') || rest.startsWith('[')) {
      // The seed's unquoted multi-line JSON: read on until brackets balance.
      let body = rest
      while (!bracketsBalanced(body) && i + 1 < lines.length) body += '\n' + lines[++i]
      values[name] = body.trim()
      lineOf[name] = lineNo
      continue
    }
    const comment = rest.search(/\s#/)
    if (comment >= 0) rest = rest.slice(0, comment)
    values[name] = rest.trim()
    lineOf[name] = lineNo
  }
  return { values, problems, lines: lineOf }
}

function findClosingQuote(s: string, quote: string): number {
  for (let i = 0; i < s.length; i++) {
    if (quote === '"' && s[i] === '\\') i++
    else if (s[i] === quote) return i
  }
  return -1
}

function unescapeDouble(s: string): string {
  return s.replace(/\\([nrt"\\])/g, (_, c: string) => ({ n: '\n', r: '\r', t: '\t' })[c] ?? c)
}

/** True when every `{`/`[` outside JSON strings has been closed. */
function bracketsBalanced(s: string): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < s.length; i++) {
    const c = s[i]
    if (inString) {
      if (c === '\\') i++
      else if (c === '"') inString = false
    } else if (c === '"') inString = true
    else if (c === '{' || c === '[') depth++
    else if (c === '}' || c === ']') depth--
  }
  return depth <= 0
}
