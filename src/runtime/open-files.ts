/** The open-files limit and what it allows: node:fs only, so both runtimes use it. */
import { readFileSync } from 'node:fs'

/** The soft limit on open files (Bun and Deno raise it to the hard limit as they start), or undefined where unknown. */
export function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l: string) => l.startsWith('Max open files'))
    const soft = Number(line?.split(/\s{2,}/)[1])
    return Number.isFinite(soft) && soft > 0 ? soft : undefined
  } catch {
    return undefined
  }
}

/** Upstream calls that fit in `openFiles`: two sockets per proxied call, with room for the rest. */
export function callsForOpenFiles(openFiles: number | undefined): number {
  return openFiles === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor((openFiles - 128) / 2))
}
