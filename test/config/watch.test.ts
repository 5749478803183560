/**
 * A configuration reload follows a save. Editors save in place or by
 * writing a new file and renaming it over the old one (which leaves a
 * watch on the file itself deaf), so both must be noticed; each test waits
 * for the callback itself, never for a time.
 */
import { afterAll, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { watchFiles } from '../../src/config/watch'

const root = mkdtempSync(join(tmpdir(), 'lmlb-watch-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))

let made = 0
function freshDir(): string {
  const dir = join(root, String(made++))
  mkdirSync(dir)
  return dir
}

/** Watches `paths`; `next()` resolves at the next call after it is asked. */
function watching(paths: string[]) {
  let waiting: (() => void) | undefined
  const stop = watchFiles(paths, () => waiting?.(), 0)
  const next = () => new Promise<void>((resolve) => (waiting = resolve))
  return { next, stop }
}

test('saves by rename over the file are noticed, the second too (a watch on the file itself would be deaf by then)', async () => {
  const dir = freshDir()
  const file = join(dir, 'lmlb.yaml')
  writeFileSync(file, 'log_level: info\n')
  const w = watching([file])
  for (const level of ['debug', 'warn']) {
    const changed = w.next()
    writeFileSync(join(dir, '.lmlb.yaml.swp'), `log_level: ${level}\n`)
    renameSync(join(dir, '.lmlb.yaml.swp'), file)
    await changed
  }
  w.stop()
})

test('a save in place is noticed, and so is a file created where none was', async () => {
  const dir = freshDir()
  const existing = join(dir, '.env')
  writeFileSync(existing, 'A=1\n')
  const inPlace = watching([existing])
  const saved = inPlace.next()
  writeFileSync(existing, 'A=2\n')
  await saved
  inPlace.stop()

  const created = watching([join(dir, 'lmlb.yaml')])
  const appeared = created.next()
  writeFileSync(join(dir, 'lmlb.yaml'), 'port: 9000\n')
  await appeared
  created.stop()
})

test('files in two directories: a change in either is noticed', async () => {
  const [a, b] = [freshDir(), freshDir()]
  for (const changedDir of [a, b]) {
    const w = watching([join(a, '.env'), join(b, 'lmlb.yaml')])
    const changed = w.next()
    writeFileSync(join(changedDir, changedDir === a ? '.env' : 'lmlb.yaml'), 'x\n')
    await changed
    w.stop()
  }
})

test('a directory that does not exist yet: no throw, and stopping is safe', () => {
  const w = watchFiles([join(root, 'missing', 'lmlb.yaml')], () => {})
  expect(() => w()).not.toThrow()
})
