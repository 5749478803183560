/**
 * `npm test`: the whole suite in two `bun test` processes at once, the
 * suites that run lmlb as a process of their own (test/process: Redis,
 * workers, signals: mostly waiting) beside everything else, then one count
 * of both. With arguments it is `bun test` with those arguments.
 */
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'

const ROOT = resolve(import.meta.dir, '..')
const args = process.argv.slice(2)
const bun = [process.execPath, '--no-env-file', 'test']

if (args.length > 0) {
  const proc = Bun.spawn([...bun, ...args], { cwd: ROOT, stdio: ['inherit', 'inherit', 'inherit'] })
  process.exit(await proc.exited)
}

const top = readdirSync(join(ROOT, 'test'), { withFileTypes: true })
const rest = top.filter((e) => (e.isDirectory() ? !['process', 'helpers', 'fixtures'].includes(e.name) : e.name.endsWith('.test.ts')))
const groups = [['test/process'], rest.map((e) => `test/${e.name}`)]

const runs = groups.map(async (files) => {
  const proc = Bun.spawn([...bun, ...files], { cwd: ROOT, stdout: 'pipe', stderr: 'pipe' })
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
  return { out: out + err, code }
})
let pass = 0
let fail = 0
let failed = false
for (const { out, code } of await Promise.all(runs)) {
  process.stdout.write(out)
  pass += Number(/^ *(\d+) pass$/m.exec(out)?.[1] ?? 0)
  fail += Number(/^ *(\d+) fail$/m.exec(out)?.[1] ?? 0)
  failed ||= code !== 0
}
// As bun test says it, so CI reads one count for both.
console.log(`\nboth groups:\n ${pass} pass\n ${fail} fail`)
process.exit(failed ? 1 : 0)
