/** The release's zip writer, read back by Info-ZIP's unzip (Debian: apt-get install unzip; skipped without it). */
import { expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { zip } from '../../scripts/zip'

const unzip = Bun.which('unzip')
if (!unzip) console.log('zip.test: unzip missing (apt-get install unzip): skipped')

test.skipIf(!unzip)('files come back whole, names and modes kept, the archive passes unzip -t', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lmlb-zip-'))
  const big = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7919) % 251))
  writeFileSync(
    join(dir, 'a.zip'),
    zip([
      { name: 'lmlb-x/lmlb.exe', data: big, mode: 0o755 },
      { name: 'lmlb-x/README — ü.md', data: Buffer.from('# hi\n') },
      { name: 'lmlb-x/empty', data: new Uint8Array(0) },
    ]),
  )
  const check = Bun.spawnSync([unzip!, '-t', 'a.zip'], { cwd: dir })
  expect([check.exitCode, check.stdout.toString()]).toEqual([0, expect.stringContaining('No errors detected')])
  expect(Bun.spawnSync([unzip!, '-q', 'a.zip'], { cwd: dir }).exitCode).toBe(0)
  expect(readFileSync(join(dir, 'lmlb-x/lmlb.exe')).equals(big)).toBe(true)
  expect(statSync(join(dir, 'lmlb-x/lmlb.exe')).mode & 0o777).toBe(0o755)
  expect(readFileSync(join(dir, 'lmlb-x/README — ü.md'), 'utf8')).toBe('# hi\n')
  expect(readFileSync(join(dir, 'lmlb-x/empty')).length).toBe(0)
})
