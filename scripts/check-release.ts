/**
 * CI's check of `npm run release`: SHA256SUMS covers every archive and
 * matches it; each archive holds its folder with the binary, README.md and
 * LICENSE; the archive for this machine, and linux-arm64 under qemu where
 * it is installed, unpack to a binary that names its commit and passes the
 * smoke test; install.sh, pointed at this release on 127.0.0.1, installs a
 * binary that passes it too.
 */
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync } from 'node:fs'
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

const sums = new Map(
  readFileSync(join(OUT, 'SHA256SUMS'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => line.split('  ').reverse() as [string, string]),
)
for (const [, platform] of TARGETS) {
  const windows = platform.startsWith('windows')
  const name = `lmlb-${pkg.version}-${platform}`
  const archive = `${name}${windows ? '.zip' : '.tar.gz'}`
  const sha = createHash('sha256')
    .update(readFileSync(join(OUT, archive)))
    .digest('hex')
  if (sums.get(archive) !== sha) fail(`${archive}: SHA256SUMS says ${sums.get(archive) ?? 'nothing'}, the file is ${sha}`)
  const listing = windows
    ? Bun.which('unzip')
      ? sh(['unzip', '-Z1', archive])
      : (console.log(`check-release: ${archive}: unzip missing, contents not listed (apt-get install unzip)`), undefined)
    : sh(['tar', '-tzf', archive])
  const want = [windows ? 'lmlb.exe' : 'lmlb', 'README.md', 'LICENSE'].map((f) => `${name}/${f}`)
  if (listing !== undefined && want.some((w) => !listing.split('\n').includes(w)))
    fail(`${archive} holds ${listing.trim().split('\n').join(', ')}; wanted ${want.join(', ')}`)
  console.log(`check-release: ${archive} ${(readFileSync(join(OUT, archive)).length / 1048576).toFixed(1)} MiB, checksum ok`)
}
if (sums.size !== TARGETS.length) fail(`SHA256SUMS has ${sums.size} lines for ${TARGETS.length} archives`)

/** Debian's arm64 libraries (libc6-arm64-cross), for qemu. */
const ARM64_LIBS = '/usr/aarch64-linux-gnu'

/** Unpacks a platform's archive; its binary must name this commit and pass the smoke test (through `via`, an emulator, when given). */
function smokeArchive(platform: string, via?: string): void {
  const dir = mkdtempSync(join(tmpdir(), 'lmlb-release-'))
  sh(['tar', '-xzf', join(OUT, `lmlb-${pkg.version}-${platform}.tar.gz`), '-C', dir])
  const bin = join(dir, `lmlb-${pkg.version}-${platform}`, 'lmlb')
  const version = sh([...(via?.split(' ') ?? []), bin, '--version']).trim()
  if (version !== `${pkg.version} (commit ${gitCommit()})`) fail(`${platform} --version says "${version}", wanted commit ${gitCommit()}`)
  const smoke = Bun.spawnSync([process.execPath, '--no-env-file', resolve(import.meta.dir, 'smoke-binary.ts'), bin], {
    cwd: dir,
    env: { ...process.env, SMOKE_VIA: via ?? '', ...(via && { QEMU_LD_PREFIX: ARM64_LIBS }) },
    stdout: 'pipe',
    stderr: 'inherit',
  })
  if (!smoke.success) fail(`${platform}: the smoke test failed`)
  console.log(`check-release: ${platform}: ${version}; ${smoke.stdout.toString().trim()}`)
}

// This machine's own (glibc), and arm64 under Debian's user-mode emulator.
smokeArchive(`linux-${arch() === 'arm64' ? 'arm64' : 'x64'}`)
const qemu = Bun.which('qemu-aarch64-static')
if (arch() === 'arm64') console.log('check-release: an arm64 machine: linux-arm64 ran natively above')
else if (qemu && existsSync(`${ARM64_LIBS}/lib/ld-linux-aarch64.so.1`)) smokeArchive('linux-arm64', `${qemu} -L ${ARM64_LIBS}`)
else
  console.log(
    'check-release: linux-arm64 not run: qemu-aarch64-static or the arm64 libraries missing (apt-get install qemu-user-static libc6-arm64-cross libstdc++6-arm64-cross)',
  )

// install.sh against this release served from 127.0.0.1, as from a mirror; the installed binary passes the smoke test.
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  fetch: (req) => new Response(Bun.file(join(OUT, new URL(req.url).pathname.slice(1).replace(/[/\\]/g, '')))),
})
const into = join(mkdtempSync(join(tmpdir(), 'lmlb-install-')), 'bin')
const installer = Bun.spawn(['sh', resolve(import.meta.dir, '../install.sh')], {
  env: { ...process.env, LMLB_INSTALL_BASE_URL: server.url.href, LMLB_INSTALL_DIR: into },
  stdout: 'pipe',
  stderr: 'inherit',
})
const said = (await new Response(installer.stdout).text()).trim()
if ((await installer.exited) !== 0) fail('install.sh failed against the release')
server.stop(true)
const installed = Bun.spawnSync([process.execPath, '--no-env-file', resolve(import.meta.dir, 'smoke-binary.ts'), join(into, 'lmlb')], {
  stdout: 'pipe',
  stderr: 'inherit',
})
if (!installed.success) fail('the binary install.sh installed failed the smoke test')
console.log(`check-release: install.sh: ${said.split('\n')[0]}; ${installed.stdout.toString().trim()}`)
