/**
 * The status page's script is typed functions that the page embeds as their
 * source text (src/status/page-script.ts's PAGE_FUNCTIONS), so each may name
 * nothing but its own locals, the other functions of that list and the
 * browser's globals: any other module-level value would be missing in the
 * page. Bun folds module-level constants into the text it keeps, which
 * would hide one here; Deno keeps the source as written, and the compiled
 * binary's minifier renames module-level names. So: TypeScript's checker on
 * the source, and on the script a minified bundle serves, each against the
 * DOM library, and the CSP hash of each text. No browser needed (the
 * Chromium test is test/e2e/status-page.test.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import ts from 'typescript'
import { PAGE_FUNCTIONS, startStatusPage } from '../../src/status/page-script'
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from '../../src/status/status-page'

const ROOT = resolve(import.meta.dir, '../..')
const PAGE_SCRIPT = join(ROOT, 'src/status/page-script.ts')
// Files that exist only in the compiler host below: a control module beside page-script.ts, and scripts as a page would hold them.
const CONTROL_MODULE = join(ROOT, 'src/status/page-script-control.ts')
const CONTROL_SCRIPT = '/virtual/control.js'
const SERVED_SCRIPT = '/virtual/served.js'
const MINIFIED_SCRIPT = '/virtual/minified.js'

/**
 * A module-level constant, a helper left out of the list, an imported value (all three would be missing in a page), beside
 * what is allowed: a function of the list, and the list's functions calling each other.
 */
const CONTROL = `
import { mergeStats, type Stats } from '../observability/stats'
interface Shape { n: number }
const LIMIT = 3
function helper(): number { return 1 }
function listed(): number { return uses() + helper() }
export function uses(): number {
  const local: Shape = { n: 2 }
  const typed: Stats | null = null
  const shorthand = { LIMIT }
  return shorthand.LIMIT + helper() + listed() + local.n + Math.max(1, 2) + mergeStats.length + (typed ? 1 : 0) + document.title.length
}
export const CONTROL_FUNCTIONS = [uses, listed]
`

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`
const scriptOf = (html: string) => /<script>([\s\S]*?)<\/script>/.exec(html)?.[1] ?? ''

function typeScriptProgram(virtual: Record<string, string>): ts.Program {
  const options: ts.CompilerOptions = {
    noEmit: true,
    strict: true,
    allowJs: true,
    checkJs: true,
    skipLibCheck: true,
    types: [],
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ['lib.es2023.d.ts', 'lib.dom.d.ts'],
  }
  const host = ts.createCompilerHost(options)
  const { getSourceFile, fileExists, readFile } = host
  const has = (name: string) => Object.hasOwn(virtual, name)
  host.getSourceFile = (name, version, ...rest) =>
    has(name) ? ts.createSourceFile(name, virtual[name], version) : getSourceFile.call(host, name, version, ...rest)
  host.fileExists = (name) => has(name) || fileExists.call(host, name)
  host.readFile = (name) => (has(name) ? virtual[name] : readFile.call(host, name))
  return ts.createProgram([PAGE_SCRIPT, ...Object.keys(virtual)], options, host)
}

const MEMBER = ts.SymbolFlags.Property | ts.SymbolFlags.Method | ts.SymbolFlags.Accessor | ts.SymbolFlags.EnumMember

/**
 * The functions the array `list` at the top of `file` holds (each a function declared at the top of `file`), and for each,
 * the values declared or imported at the top of `file` that it refers to, other than the list's functions. Types are
 * erased: they do not count.
 */
function moduleValuesUsedBy(program: ts.Program, file: string, list: string): Record<string, string[]> {
  const checker = program.getTypeChecker()
  const source = program.getSourceFile(file)
  const declaration = source?.statements
    .flatMap((s) => (ts.isVariableStatement(s) ? [...s.declarationList.declarations] : []))
    .find((d) => ts.isIdentifier(d.name) && d.name.text === list)
  if (!source || !declaration?.initializer || !ts.isArrayLiteralExpression(declaration.initializer))
    throw new Error(`no array ${list} in ${file}`)
  const functions = declaration.initializer.elements.map((item) => {
    const fn = source.statements.find(
      (s): s is ts.FunctionDeclaration => ts.isFunctionDeclaration(s) && ts.isIdentifier(item) && s.name?.text === item.text,
    )
    if (!fn?.name || !fn.body) throw new Error(`${item.getText(source)}, in ${list}, is no function declared in ${file}`)
    return fn
  })
  const listed = new Set(functions.map((fn) => checker.getSymbolAtLocation(fn.name as ts.Identifier)))
  const usedBy = (fn: ts.FunctionDeclaration): string[] => {
    const outside = (symbol: ts.Symbol) =>
      symbol.flags & (ts.SymbolFlags.Value | ts.SymbolFlags.Alias) &&
      !(symbol.flags & MEMBER) &&
      !listed.has(symbol) &&
      symbol.declarations?.some((d) => d.getSourceFile() === source && (d.end <= fn.pos || d.pos >= fn.end))
    const used = new Set<string>()
    const visit = (node: ts.Node): void => {
      if (ts.isTypeNode(node) || ts.isInterfaceDeclaration(node) || ts.isTypeAliasDeclaration(node)) return
      const symbol = ts.isShorthandPropertyAssignment(node)
        ? checker.getShorthandAssignmentValueSymbol(node)
        : ts.isIdentifier(node)
          ? checker.getSymbolAtLocation(node)
          : undefined
      if (symbol && outside(symbol)) used.add(symbol.name)
      ts.forEachChild(node, visit)
    }
    visit(fn.body as ts.Block)
    return [...used].sort()
  }
  return Object.fromEntries(functions.map((fn) => [fn.name?.text, usedBy(fn)]))
}

/** How a classic script reads to TypeScript with the DOM library: its syntax errors, and the names nothing declares. */
function asPageScript(program: ts.Program, file: string): { syntaxErrors: number; undeclared: string[] } {
  const source = program.getSourceFile(file)
  const undeclared = program
    .getSemanticDiagnostics(source)
    .map((d) => /^Cannot find name '([^']+)'/.exec(ts.flattenDiagnosticMessageText(d.messageText, '\n'))?.[1])
    .filter((n): n is string => n !== undefined)
  return { syntaxErrors: program.getSyntacticDiagnostics(source).length, undeclared: [...new Set(undeclared)].sort() }
}

/** The script as TypeScript prints it for `target`: syntax newer than the target is rewritten, the rest printed alike. */
const printedFor = (script: string, target: ts.ScriptTarget) => ts.transpileModule(script, { compilerOptions: { target } }).outputText
/** Nothing in the script needs rewriting for ES2018. */
const withinES2018 = (script: string) => printedFor(script, ts.ScriptTarget.ES2018) === printedFor(script, ts.ScriptTarget.ESNext)

let minified: { STATUS_PAGE_HTML: string; STATUS_PAGE_CSP: string }
let program: ts.Program
const served = scriptOf(STATUS_PAGE_HTML)
const dir = mkdtempSync(join(tmpdir(), 'lmlb-page-script-'))

beforeAll(async () => {
  // The page as the compiled binary holds it: status-page.ts bundled and minified, as scripts/build.ts has `bun build` do.
  const built = await Bun.build({ entrypoints: [join(ROOT, 'src/status/status-page.ts')], outdir: dir, target: 'bun', minify: true })
  if (!built.success) throw new AggregateError(built.logs, 'bun build failed')
  minified = await import(built.outputs[0].path)
  program = typeScriptProgram({
    [CONTROL_MODULE]: CONTROL,
    [CONTROL_SCRIPT]: "'use strict';(function () { return document.title + notDeclaredAnywhere })()",
    [SERVED_SCRIPT]: served,
    [MINIFIED_SCRIPT]: scriptOf(minified.STATUS_PAGE_HTML),
  })
}, 30_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('the status page script', () => {
  test('the checks below find what they look for: module-level values a function uses, and names a page script leaves undeclared', () => {
    expect(moduleValuesUsedBy(program, CONTROL_MODULE, 'CONTROL_FUNCTIONS')).toEqual({
      uses: ['LIMIT', 'helper', 'mergeStats'],
      listed: ['helper'],
    })
    expect(asPageScript(program, CONTROL_SCRIPT)).toEqual({ syntaxErrors: 0, undeclared: ['notDeclaredAnywhere'] })
    expect(withinES2018('(function (a) { return a && a.b })({})')).toBe(true)
    expect(withinES2018('(function (a) { return a?.b })({})')).toBe(false)
  })

  test('its functions, as written (what Deno embeds), use no module-level value but each other: only their locals, browser globals and types', () => {
    expect(moduleValuesUsedBy(program, PAGE_SCRIPT, 'PAGE_FUNCTIONS')).toEqual(Object.fromEntries(PAGE_FUNCTIONS.map((f) => [f.name, []])))
  })

  test("the page embeds the functions' own text inside one function called at once in strict mode, and its CSP admits exactly that text", () => {
    const functions = PAGE_FUNCTIONS.map((f) => f.toString()).join('\n')
    expect(served).toBe(`'use strict';(function(){\n${functions}\n${startStatusPage.name}()\n})()`)
    expect(STATUS_PAGE_CSP).toContain(`script-src ${sha256(served)}`)
    expect(asPageScript(program, SERVED_SCRIPT)).toEqual({ syntaxErrors: 0, undeclared: [] })
    // Nothing in it ends the <script> element early or opens an HTML comment.
    expect(served).not.toMatch(/<\/script|<!--/i)
  })

  test('its syntax stays within ES2018, as the page always was: browsers that ran it before still do', () => {
    expect(withinES2018(served)).toBe(true)
    expect(withinES2018(scriptOf(minified.STATUS_PAGE_HTML))).toBe(true)
  })

  test('minified as in the compiled binary: still a whole script naming only browser globals, and the CSP hash is of the minified text', () => {
    const script = scriptOf(minified.STATUS_PAGE_HTML)
    expect(script).not.toBe(served)
    expect(script.startsWith("'use strict';(function")).toBe(true)
    expect(asPageScript(program, MINIFIED_SCRIPT)).toEqual({ syntaxErrors: 0, undeclared: [] })
    expect(minified.STATUS_PAGE_CSP).toContain(`script-src ${sha256(script)}`)
    expect(script).not.toMatch(/<\/script|<!--/i)
  })
})
