/** TypeBox errors as `path: message` lines, the path written the way a user reads it (`A.b[1]`). */
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

export function schemaErrors(schema: TSchema, value: unknown, root = ''): string[] {
  const seen = new Set<string>()
  const lines: string[] = []
  for (const error of Value.Errors(schema, value)) {
    const path = formatPath(root, error.path)
    if (seen.has(path)) continue // one message per place is enough
    seen.add(path)
    lines.push(`${path}: ${error.message}`)
  }
  return lines
}

export function formatPath(root: string, pointer: string): string {
  let out = root
  for (const part of pointer.split('/').slice(1)) {
    const key = part.replace(/~1/g, '/').replace(/~0/g, '~')
    out += /^\d+$/.test(key) ? `[${key}]` : out === '' ? key : `.${key}`
  }
  return out || '(root)'
}
