/** The GitHub workflows cannot run here: their YAML is parsed, and what they run is checked to be CI's own scripts. */
import { expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parse } from 'yaml'

const ROOT = resolve(import.meta.dir, '..')
const workflow = (name: string) => parse(readFileSync(join(ROOT, '.github/workflows', name), 'utf8'), { strict: true, uniqueKeys: true })
const runs = (wf: any): string =>
  Object.values(wf.jobs)
    .flatMap((job: any) => job.steps.map((s: any) => s.run ?? ''))
    .join('\n')

test('ci.yml: on every push and pull request, .ci/run', () => {
  const wf = workflow('ci.yml')
  expect(Object.keys(wf.on).sort()).toEqual(['pull_request', 'push'])
  expect(runs(wf)).toContain('bash .ci/run')
})

test('release.yml: on v* tags, the release command, its check, the archives attached, the amd64 and arm64 images pushed', () => {
  const wf = workflow('release.yml')
  expect(wf.on.push.tags).toEqual(['v*'])
  const text = runs(wf)
  for (const step of [
    'npm run release',
    'scripts/check-release.ts',
    'gh release create',
    'dist/release/*',
    'install.sh',
    'scripts/container.sh',
    'docker push',
  ])
    expect(text).toContain(step)
  // Both architectures' images, under one manifest.
  for (const step of [
    'LMLB_IMAGE=lmlb-arm64 bash scripts/container.sh',
    '-linux-arm64.tar.gz',
    'docker manifest create',
    'docker manifest push',
  ])
    expect(text).toContain(step)
  expect(wf.permissions).toEqual({ contents: 'write', packages: 'write' })
  // Every script a workflow names exists.
  for (const script of text.match(/scripts\/[\w.-]+/g) ?? []) expect([script, existsSync(join(ROOT, script))]).toEqual([script, true])
})
