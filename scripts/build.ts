/**
 * The compiled binary: `bun run build` (this machine, → dist/lmlb), or for
 * another platform: `bun scripts/build.ts --target bun-linux-arm64 --outfile F`.
 * The release (scripts/release.ts) builds every target through this same
 * function, so every binary is made with the same flags and carries the
 * git commit it was built from (`lmlb --version`).
 */
import { resolve } from 'node:path'
import { parseArgs } from 'node:util'

const ROOT = resolve(import.meta.dir, '..')

/** The commit of the working tree, `+dirty` when it has changes; `unknown` outside a git checkout. */
export function gitCommit(): string {
  const head = Bun.spawnSync(['git', 'rev-parse', '--short=12', 'HEAD'], { cwd: ROOT, stderr: 'ignore' })
  if (!head.success) return 'unknown'
  const dirty =
    Bun.spawnSync(['git', 'status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, stderr: 'ignore' }).stdout.toString().trim() !== ''
  return `${head.stdout.toString().trim()}${dirty ? '+dirty' : ''}`
}

export function build(outfile: string, target?: string, commit = gitCommit()): void {
  const args = [
    'build',
    '--compile',
    '--minify',
    '--bytecode',
    '--production',
    // lmlb reads .env itself (config/dotenv.ts); Bun's own loader would cut a multi-line value.
    '--no-compile-autoload-dotenv',
    '--compile-exec-argv=--smol',
    `--define=LMLB_BUILD_COMMIT=${JSON.stringify(commit)}`,
    ...(target ? [`--target=${target}`] : []),
    'src/main.ts',
    '--outfile',
    outfile,
  ]
  const run = Bun.spawnSync([process.execPath, ...args], { cwd: ROOT, stdout: 'inherit', stderr: 'inherit' })
  if (!run.success) throw new Error(`bun build${target ? ` --target=${target}` : ''} failed (exit ${run.exitCode})`)
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { target: { type: 'string' }, outfile: { type: 'string', default: 'dist/lmlb' } } })
  build(values.outfile!, values.target)
}
