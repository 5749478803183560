/**
 * `npm run release`: the binary for every platform lmlb ships on, each in
 * an archive with README.md and LICENSE, into dist/release/, with
 * SHA256SUMS over the archives. Bun fetches each target's runtime from the
 * npm registry the first time.
 */
import { createHash } from 'node:crypto'
import { copyFileSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import pkg from '../package.json' with { type: 'json' }
import { build, gitCommit } from './build'
import { zip } from './zip'

const ROOT = resolve(import.meta.dir, '..')
const OUT = join(ROOT, 'dist/release')

/** Bun's target → the archive's platform part. */
export const TARGETS: [bunTarget: string, platform: string][] = [
  ['bun-linux-x64', 'linux-x64'],
  ['bun-linux-x64-musl', 'linux-x64-musl'],
  ['bun-linux-arm64', 'linux-arm64'],
  ['bun-linux-arm64-musl', 'linux-arm64-musl'],
  ['bun-darwin-x64', 'darwin-x64'],
  ['bun-darwin-arm64', 'darwin-arm64'],
  ['bun-windows-x64', 'windows-x64'],
]

function run(cmd: string[], cwd: string): void {
  const r = Bun.spawnSync(cmd, { cwd, stdout: 'ignore', stderr: 'inherit' })
  if (!r.success) throw new Error(`${cmd[0]} failed (exit ${r.exitCode}) in ${cwd}`)
}

if (import.meta.main) {
  const commit = gitCommit()
  rmSync(OUT, { recursive: true, force: true })
  const sums: string[] = []
  for (const [target, platform] of TARGETS) {
    const windows = platform.startsWith('windows')
    const name = `lmlb-${pkg.version}-${platform}`
    const stage = join(OUT, 'stage', name)
    mkdirSync(stage, { recursive: true })
    build(join(stage, windows ? 'lmlb.exe' : 'lmlb'), target, commit)
    for (const file of ['README.md', 'LICENSE']) copyFileSync(join(ROOT, file), join(stage, file))
    // One folder per archive, named as the archive is; a zip for Windows, tar.gz elsewhere.
    const archive = `${name}${windows ? '.zip' : '.tar.gz'}`
    if (windows) {
      const files = ['lmlb.exe', 'README.md', 'LICENSE'].map((f) => ({
        name: `${name}/${f}`,
        data: readFileSync(join(stage, f)),
        mode: statSync(join(stage, f)).mode & 0o777,
      }))
      writeFileSync(join(OUT, archive), zip(files))
    } else run(['tar', '-czf', join(OUT, archive), '-C', join(OUT, 'stage'), name], ROOT)
    sums.push(
      `${createHash('sha256')
        .update(readFileSync(join(OUT, archive)))
        .digest('hex')}  ${archive}`,
    )
    console.log(`release: ${archive}`)
  }
  rmSync(join(OUT, 'stage'), { recursive: true })
  await Bun.write(join(OUT, 'SHA256SUMS'), `${sums.join('\n')}\n`)
  console.log(`release: ${TARGETS.length} archives and SHA256SUMS in dist/release (lmlb ${pkg.version}, commit ${commit})`)
}
