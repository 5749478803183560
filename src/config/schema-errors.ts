/** TypeBox errors as `path: message` lines, the path written the way a user reads it (`A.b[1]`). */
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

/** One error per place (the first TypeBox gives), with its JSON pointer. */
export function schemaErrorsAt(schema: TSchema, value: unknown): { pointer: string; message: string }[] {
  const seen = new Set<string>()
  const out: { pointer: string; message: string }[] = []
  for (const error of Value.Errors(schema, value)) {
    if (seen.has(error.path)) continue
    // A union's own message says it better than its members' (which follow at the same path).
    seen.add(error.path)
    out.push({ pointer: error.path, message: error.message })
  }
  return dropNested(out)
}

/** Errors inside a place that already has one say the same thing again, worse. */
function dropNested(errors: { pointer: string; message: string }[]): { pointer: string; message: string }[] {
  return errors.filter((e) => !errors.some((o) => o !== e && e.pointer.startsWith(`${o.pointer}/`)))
}

export function schemaErrors(schema: TSchema, value: unknown, root = ''): string[] {
  return schemaErrorsAt(schema, value).map(({ pointer, message }) => `${formatPath(root, pointer)}: ${message}`)
}

export function formatPath(root: string, pointer: string): string {
  let out = root
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
    out += /^\d+$/.test(key) ? `[${key}]` : out === '' ? key : `.${key}`
  }
  return out || '(root)'
}
