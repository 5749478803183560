/**
 * How deep lmlb lets client JSON nest. JSON.parse reads any depth (it does
 * not recurse), but JSON.stringify and lmlb's own walks (Gemini schema
 * cleaning, the count_tokens estimate) recurse: 100,000 levels overflow the
 * stack after ~1.3 s of blocked event loop. Checked once on the parsed body
 * (a few µs on a 49 KB Claude Code request: it visits only arrays and
 * objects), so every later walk is bounded by it.
 */
export const MAX_JSON_DEPTH = 512

/** Whether `value` nests arrays and objects more than `limit` levels (a top-level object is level 1). Recursion bounded by `limit`. */
export function tooDeep(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  return value !== null && typeof value === 'object' && deeper(value, limit)
}

function deeper(x: object, left: number): boolean {
  if (left === 0) return true
  if (Array.isArray(x)) {
    for (let i = 0; i < x.length; i++) {
      const y = x[i]
      if (y !== null && typeof y === 'object' && deeper(y, left - 1)) return true
    }
  } else {
    for (const k in x) {
      const y = (x as Record<string, unknown>)[k]
      if (y !== null && typeof y === 'object' && deeper(y, left - 1)) return true
    }
  }
  return false
}

/** Thrown where nested client JSON turns up inside a string (tool call arguments). */
export class TooDeepError extends Error {
  constructor(readonly what: string) {
    super(`${what} nests deeper than ${MAX_JSON_DEPTH} levels`)
  }
}
