/** A usage store in a fresh temporary directory, on the clock `now` (daily rows kept 400 days, request records 7). */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bunPlatform } from '../../src/runtime/bun'
import { UsageStore } from '../../src/state/usage-store'

export function tempUsageStore(now: () => number): UsageStore {
  return new UsageStore(
    bunPlatform.openDatabase(join(mkdtempSync(join(tmpdir(), 'lmlb-usage-')), 'usage.sqlite')),
    () => 400,
    () => 7,
    now,
  )
}
