/**
 * CI's check of `npm run release`: SHA256SUMS covers every archive and
 * matches it; each archive holds its folder with the binary, README.md and
 * LICENSE; the archive for this machine unpacks to a binary that names its
 * commit and passes the smoke test.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync } from 'node:fs'
import { arch, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import pkg from '../package.json' with { type: 'json' }
import { gitCommit } from './build'
import { TARGETS } from './release'

const OUT = resolve(import.meta.dir, '../dist/release')
const fail = (message: string): never => {
  console.error(`check-release: ${message}`)
  process.exit(1)
}
const sh = (cmd: string[], cwd = OUT) => {
  const r = Bun.spawnSync(cmd, { cwd, stderr: 'pipe' })
  if (!r.success) fail(`${cmd.join(' ')}: ${r.stderr.toString().trim()}`)
  return r.stdout.toString()
}

const sums = new Map(readFileSync(join(OUT, 'SHA256SUMS'), 'utf8').trim().split('\n').map((line) => line.split('  ').reverse() as [string, string]))
for (const [, platform] of TARGETS) {
  const windows = platform.startsWith('windows')
  const name = `lmlb-${pkg.version}-${platform}`
  const archive = `${name}${windows ? '.zip' : '.tar.gz'}`
  const sha = createHash('sha256').update(readFileSync(join(OUT, archive))).digest('hex')
  if (sums.get(archive) !== sha) fail(`${archive}: SHA256SUMS says ${sums.get(archive) ?? 'nothing'}, the file is ${sha}`)
  const listing = windows
    ? Bun.which('unzip')
      ? sh(['unzip', '-Z1', archive])
      : (console.log(`check-release: ${archive}: unzip missing, contents not listed (apt-get install unzip)`), undefined)
    : sh(['tar', '-tzf', archive])
  const want = [windows ? 'lmlb.exe' : 'lmlb', 'README.md', 'LICENSE'].map((f) => `${name}/${f}`)
  if (listing !== undefined && want.some((w) => !listing.split('\n').includes(w))) fail(`${archive} holds ${listing.trim().split('\n').join(', ')}; wanted ${want.join(', ')}`)
  console.log(`check-release: ${archive} ${(readFileSync(join(OUT, archive)).length / 1048576).toFixed(1)} MiB, checksum ok`)
}
if (sums.size !== TARGETS.length) fail(`SHA256SUMS has ${sums.size} lines for ${TARGETS.length} archives`)

// The archive for this machine (glibc): unpacked, it names its commit and serves.
const platform = `linux-${arch() === 'arm64' ? 'arm64' : 'x64'}`
const dir = mkdtempSync(join(tmpdir(), 'lmlb-release-'))
sh(['tar', '-xzf', join(OUT, `lmlb-${pkg.version}-${platform}.tar.gz`), '-C', dir])
const bin = join(dir, `lmlb-${pkg.version}-${platform}`, 'lmlb')
const version = sh([bin, '--version']).trim()
if (version !== `${pkg.version} (commit ${gitCommit()})`) fail(`${bin} --version says "${version}", wanted commit ${gitCommit()}`)
console.log(`check-release: ${platform} binary: ${version}`)
sh([process.execPath, '--no-env-file', resolve(import.meta.dir, 'smoke-binary.ts'), bin], dir)
console.log(`check-release: ${platform} binary passes the smoke test`)
