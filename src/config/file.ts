/**
 * Reads the configuration file's text (YAML, or JSON, which is YAML too)
 * into a checked ConfigFile, every problem named by its path and line:
 * `lmlb.yaml:12:9: services.groq.endpoints[0]: not an http(s) URL`.
 */
import { createRequire } from 'node:module'
import type * as Yaml from 'yaml'
import { formatPath, schemaErrorsAt } from './schema-errors'
import { ConfigFile } from './file-schema'

/**
 * `yaml` is loaded with the first configuration file, not at start: most run on the environment alone, and it
 * costs 1.5 MB of RSS. A literal `require` is what Bun (and the bundler of its compiled binary) follows; Deno's
 * modules have no `require`, but createRequire.
 */
function yaml(): typeof Yaml {
  return typeof require === 'function' ? require('yaml') : createRequire(import.meta.url)('yaml')
}

export type FileResult = { ok: true; file: ConfigFile } | { ok: false; errors: string[] }

export function parseConfigFile(path: string, text: string): FileResult {
  const { LineCounter, parseDocument } = yaml()
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const at = lines.linePos(e.pos[0])
        return `${path}:${at.line}:${at.col}: ${e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`
      }),
    }
  }
  const value = doc.toJS() ?? {}
  const problems = schemaErrorsAt(ConfigFile, value)
  if (problems.length === 0) return { ok: true, file: value as ConfigFile }
  return {
    ok: false,
    errors: problems.map(({ pointer, message }) => {
      const node = doc.getIn(pointerParts(pointer), true) as { range?: [number, number, number] } | undefined
      // A missing field has no node: point at its parent instead.
      const parent = doc.getIn(pointerParts(pointer).slice(0, -1), true) as { range?: [number, number, number] } | undefined
      const range = node?.range ?? parent?.range
      const where = range ? `:${lines.linePos(range[0]).line}:${lines.linePos(range[0]).col}` : ''
      return `${path}${where}: ${formatPath('', pointer)}: ${message === 'Unexpected property' ? 'unknown field (a typo?)' : message}`
    }),
  }
}

function pointerParts(pointer: string): (string | number)[] {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p))
}
