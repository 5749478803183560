/**
 * Calls `onChange` (debounced) when any of the given files changes. Watches
 * their directories, not the files: an editor that saves by writing a new
 * file and renaming it over the old one leaves a file watch deaf.
 */
import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname, resolve } from 'node:path'

export const WATCH_DEBOUNCE_MS = 150

export function watchFiles(paths: string[], onChange: () => void, debounceMs = WATCH_DEBOUNCE_MS): () => void {
  const byDir = new Map<string, Set<string>>()
  for (const path of paths.map((p) => resolve(p))) {
    const names = byDir.get(dirname(path)) ?? new Set()
    names.add(basename(path))
    byDir.set(dirname(path), names)
  }
  let timer: ReturnType<typeof setTimeout> | undefined
  const fire = () => {
    clearTimeout(timer)
    timer = setTimeout(onChange, debounceMs)
  }
  const watchers: FSWatcher[] = []
  for (const [dir, names] of byDir) {
    try {
      // A changed name we cannot see (null) may be ours: reload, it is cheap.
      watchers.push(watch(dir, (_, name) => (name === null || names.has(String(name)) ? fire() : undefined)))
    } catch {
      // A directory that does not exist yet cannot be watched; SIGHUP and /admin/reload still work.
    }
  }
  return () => {
    clearTimeout(timer)
    for (const w of watchers) w.close()
  }
}
