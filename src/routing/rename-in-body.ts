/**
 * A request body with its top-level `model` changed, written into the
 * client's own text rather than serialising the whole body again (a
 * 50 KB Claude Code request costs hundreds of µs to stringify). Undefined
 * when the text does not make the answer certain: then the caller
 * serialises.
 */
export function withModel(text: string, from: string, to: string): string | undefined {
  const literal = JSON.stringify(from)
  let found = -1
  for (let at = text.indexOf(literal); at !== -1; at = text.indexOf(literal, at + 1)) {
    if (!isModelValue(text, at)) continue
    if (found !== -1) return undefined // several `"model": "..."` pairs: leave it to JSON
    found = at
  }
  if (found === -1 || !atTopLevel(text, found)) return undefined
  return text.slice(0, found) + JSON.stringify(to) + text.slice(found + literal.length)
}

/** Is the string literal at `at` the value of a `"model"` key? */
function isModelValue(text: string, at: number): boolean {
  let i = at - 1
  while (i >= 0 && isSpace(text.charCodeAt(i))) i--
  if (text.charCodeAt(i) !== 58 /* : */) return false
  i--
  while (i >= 0 && isSpace(text.charCodeAt(i))) i--
  // `"model"`, and not the end of a key with an escaped quote in it (`"a\"model"`).
  return i >= 6 && text.startsWith('"model"', i - 6) && text.charCodeAt(i - 7) !== 92 /* \ */
}

/** Whether position `at` is directly inside the outermost object, outside any string: a scan from the start. */
function atTopLevel(text: string, at: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < at; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92 /* \ */) i++
      else if (c === 34 /* " */) inString = false
    } else if (c === 34) inString = true
    else if (c === 123 /* { */ || c === 91 /* [ */) depth++
    else if (c === 125 /* } */ || c === 93 /* ] */) depth--
  }
  return depth === 1 && !inString
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9
}
