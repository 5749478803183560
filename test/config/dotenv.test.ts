import { describe, expect, test } from 'bun:test'
import { parseDotenv } from '../../src/config/dotenv'

describe('parseDotenv', () => {
  test("the seed's unquoted multi-line SERVICE_ENDPOINTS is read whole", () => {
    const text = `# keys
OPENAI_API_KEYS="sk-key1,sk-key2,sk-key3"
SERVICE_ENDPOINTS={
  "openai": [
    "https://api.openai.com/v1",
    "https://your-proxy-1.com/v1"
  ],
  "anthropic": ["https://api.anthropic.com/v1"]
}
LOG_LEVEL=debug
`
    const { values, problems } = parseDotenv(text)
    expect(problems).toEqual([])
    expect(values.OPENAI_API_KEYS).toBe('sk-key1,sk-key2,sk-key3')
    expect(JSON.parse(values.SERVICE_ENDPOINTS)).toEqual({
      openai: ['https://api.openai.com/v1', 'https://your-proxy-1.com/v1'],
      anthropic: ['https://api.anthropic.com/v1'],
    })
    expect(values.LOG_LEVEL).toBe('debug')
  })

  test("the seed's single-quoted multi-line form", () => {
    const { values } = parseDotenv(`SERVICE_ENDPOINTS='{\n  "openai": ["https://a/v1"]\n}'\nX=1`)
    expect(JSON.parse(values.SERVICE_ENDPOINTS)).toEqual({ openai: ['https://a/v1'] })
    expect(values.X).toBe('1')
  })

  test('braces inside JSON strings do not end the value early', () => {
    const { values } = parseDotenv(`A={"x": ["}{", "]"]}\nB=2`)
    expect(JSON.parse(values.A)).toEqual({ x: ['}{', ']'] })
    expect(values.B).toBe('2')
  })

  test('quotes, escapes, export, comments, CRLF', () => {
    const { values } = parseDotenv('export A=plain # comment\r\nB="line\\nnext \\"q\\""\r\nC=\'lit\\n\'\r\nD=\r\nE=a#b\r\n')
    expect(values).toEqual({ A: 'plain', B: 'line\nnext "q"', C: 'lit\\n', D: '', E: 'a#b' })
  })

  test('problems name the line', () => {
    const { problems } = parseDotenv('GOOD=1\njust words\nB="open')
    expect(problems).toEqual([
      { line: 2, message: 'expected NAME=value' },
      { line: 3, message: 'B: missing closing "' },
    ])
  })

  test('text after a closing quote is a problem on its line; a comment there is not', () => {
    const { values, problems, lines } = parseDotenv('A="a"junk\nB=\'b\' more\nC="c" # note\nD=\'d\'#x\nE="multi\nline"tail\nF=1')
    expect(problems).toEqual([
      { line: 1, message: 'A: text after the closing " (quote the whole value, or put " #" before a comment)' },
      { line: 2, message: 'B: text after the closing \' (quote the whole value, or put " #" before a comment)' },
      { line: 6, message: 'E: text after the closing " (quote the whole value, or put " #" before a comment)' },
    ])
    expect(values).toEqual({ C: 'c', D: 'd', F: '1' })
    expect(lines).toEqual({ C: 3, D: 4, F: 7 })
    // The dropped text is not quoted back: it may be part of a key.
    expect(JSON.stringify(problems)).not.toContain('junk')
  })
})
