/**
 * install.sh (POSIX sh, run by `sh`) against a release folder served from
 * 127.0.0.1: the archive for the platform, checked against SHA256SUMS, into
 * LMLB_INSTALL_DIR; refusals install nothing. `uname` and `ldd` are stand-ins
 * on PATH so every platform can be asked for here; the archives hold a
 * one-line script in place of the binary (scripts/check-release.ts installs
 * the real release the same way in CI).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

const INSTALL = resolve(import.meta.dir, '../install.sh')
const PLATFORMS = ['linux-x64', 'linux-x64-musl', 'linux-arm64', 'linux-arm64-musl', 'darwin-x64', 'darwin-arm64']
const root = mkdtempSync(join(tmpdir(), 'lmlb-install-'))
const release = join(root, 'release')
let server: ReturnType<typeof Bun.serve>

function sh(cmd: string[], cwd: string) {
  const r = Bun.spawnSync(cmd, { cwd, stderr: 'pipe' })
  if (!r.success) throw new Error(`${cmd.join(' ')}: ${r.stderr}`)
}

/** A release folder as `npm run release` lays it out, each "binary" saying which archive it came from. */
function writeRelease(dir: string) {
  const stage = join(root, 'stage')
  mkdirSync(dir, { recursive: true })
  const sums: string[] = []
  for (const platform of PLATFORMS) {
    const name = `lmlb-9.9.9-${platform}`
    mkdirSync(join(stage, name), { recursive: true })
    writeFileSync(join(stage, name, 'lmlb'), `#!/bin/sh\necho "lmlb from ${platform}"\n`)
    chmodSync(join(stage, name, 'lmlb'), 0o755)
    sh(['tar', '-czf', join(dir, `${name}.tar.gz`), '-C', stage, name], root)
    sums.push(
      `${createHash('sha256')
        .update(readFileSync(join(dir, `${name}.tar.gz`)))
        .digest('hex')}  ${name}.tar.gz`,
    )
  }
  writeFileSync(join(dir, 'SHA256SUMS'), `${sums.join('\n')}\n`)
}

/** Runs install.sh as `uname -s`/`uname -m` say, `ldd` claiming musl when asked, into a fresh directory. */
async function install(os: string, machine: string, options: { musl?: boolean; base?: string } = {}) {
  const fakes = mkdtempSync(join(root, 'bin-'))
  writeFileSync(join(fakes, 'uname'), `#!/bin/sh\ncase "$1" in -s) echo ${os} ;; -m) echo ${machine} ;; esac\n`)
  writeFileSync(join(fakes, 'ldd'), `#!/bin/sh\necho "${options.musl ? 'musl libc (x86_64)' : 'ldd (GNU libc) 2.36'}"\n`)
  for (const f of ['uname', 'ldd']) chmodSync(join(fakes, f), 0o755)
  const into = join(mkdtempSync(join(root, 'home-')), 'bin')
  // Not spawnSync: the file server is in this process, and must answer meanwhile.
  const r = Bun.spawn(['sh', INSTALL], {
    env: {
      PATH: `${fakes}:${process.env.PATH}`,
      HOME: root,
      LMLB_INSTALL_BASE_URL: options.base ?? `${server.url}release`,
      LMLB_INSTALL_DIR: into,
    },
    stdout: 'pipe',
    stderr: 'pipe',
  })
  const [stdout, stderr, code] = await Promise.all([new Response(r.stdout).text(), new Response(r.stderr).text(), r.exited])
  const bin = join(into, 'lmlb')
  return {
    code,
    out: stdout + stderr,
    installed: existsSync(bin) ? Bun.spawnSync([bin]).stdout.toString().trim() : undefined,
  }
}

beforeAll(() => {
  writeRelease(release)
  // A copy whose linux-x64 archive was swapped for another after SHA256SUMS was written.
  writeRelease(join(root, 'tampered'))
  writeFileSync(join(root, 'tampered', 'lmlb-9.9.9-linux-x64.tar.gz'), readFileSync(join(release, 'lmlb-9.9.9-linux-arm64.tar.gz')))
  server = Bun.serve({
    hostname: '127.0.0.1',
    port: 0,
    fetch: (req) => {
      const path = join(root, decodeURIComponent(new URL(req.url).pathname))
      return path.startsWith(root) && existsSync(path) ? new Response(Bun.file(path)) : new Response('not found', { status: 404 })
    },
  })
})
afterAll(() => server.stop(true))

const downloader = Bun.which('curl') ?? Bun.which('wget')
if (!downloader) console.log('install.test: neither curl nor wget (apt-get install curl): skipped')

describe.skipIf(!downloader)('install.sh', () => {
  const cases: [string, string, boolean, string][] = [
    ['Linux', 'x86_64', false, 'linux-x64'],
    ['Linux', 'x86_64', true, 'linux-x64-musl'],
    ['Linux', 'aarch64', false, 'linux-arm64'],
    ['Linux', 'aarch64', true, 'linux-arm64-musl'],
    ['Darwin', 'x86_64', false, 'darwin-x64'],
    ['Darwin', 'arm64', false, 'darwin-arm64'],
  ]
  for (const [os, machine, musl, platform] of cases) {
    test(`${os} ${machine}${musl ? ' (musl)' : ''} → ${platform}`, async () => {
      const r = await install(os, machine, { musl })
      expect([r.code, r.installed]).toEqual([0, `lmlb from ${platform}`])
      expect(r.out).toContain(`installed`)
      expect(r.out).toContain(`lmlb-9.9.9-${platform}.tar.gz`)
    })
  }

  test('an archive that does not match SHA256SUMS: refused by name, nothing installed', async () => {
    const r = await install('Linux', 'x86_64', { base: `${server.url}tampered` })
    expect(r.code).toBe(1)
    expect(r.out).toMatch(/lmlb-9\.9\.9-linux-x64\.tar\.gz does not match SHA256SUMS .*nothing installed/)
    expect(r.installed).toBeUndefined()
  })

  test('an unknown system or processor: a clear message, nothing installed', async () => {
    const bsd = await install('FreeBSD', 'x86_64')
    expect([bsd.code, bsd.installed]).toEqual([1, undefined])
    expect(bsd.out).toContain('no lmlb build for this system (FreeBSD)')
    const riscv = await install('Linux', 'riscv64')
    expect([riscv.code, riscv.installed]).toEqual([1, undefined])
    expect(riscv.out).toContain('no lmlb build for this processor (riscv64)')
  })

  test('a base URL with no release there: says which download failed', async () => {
    const r = await install('Linux', 'x86_64', { base: `${server.url}nowhere` })
    expect([r.code, r.installed]).toEqual([1, undefined])
    expect(r.out).toContain(`could not download ${server.url}nowhere/SHA256SUMS`)
  })
})
