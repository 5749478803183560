/**
 * Which lmlb owns a port now: the first process of each instance writes its
 * pid to `port-<port>.owner` in LMLB_DATA_DIR when it starts. A worker
 * whose primary died (`kill -9`) serves on alone, and drains and exits once
 * a new lmlb has taken the port (a supervisor restarted it): the file then
 * names another process.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const LOOK_MS = 1_000

const ownerFile = (dataDir: string, port: number) => join(dataDir, `port-${port}.owner`)

/** This process owns `port` from now on. False when it could not say so (the data directory is not writable). */
export function claimPort(dataDir: string, port: number): boolean {
  try {
    mkdirSync(dataDir, { recursive: true })
    writeFileSync(ownerFile(dataDir, port), String(process.pid))
    return true
  } catch {
    return false
  }
}

/**
 * The lmlb that owned `port` before and is gone, if any: its workers may
 * still hold the port. (A live owner is another lmlb serving it: then the
 * port is in use, as it would be without this file.)
 */
export function formerOwner(dataDir: string, port: number): number | undefined {
  let owner: number
  try {
    owner = Number(readFileSync(ownerFile(dataDir, port), 'utf8'))
  } catch {
    return undefined
  }
  if (!(owner > 0) || owner === process.pid) return undefined
  try {
    process.kill(owner, 0)
    return undefined
  } catch {
    return owner
  }
}

/** Calls `taken` once the owner of `port` is neither `formerOwner` nor this process; returns the stop. */
export function watchOwner(dataDir: string, port: number, formerOwner: number, taken: () => void): () => void {
  const timer = setInterval(() => {
    let owner: number
    try {
      owner = Number(readFileSync(ownerFile(dataDir, port), 'utf8'))
    } catch {
      return
    }
    if (owner > 0 && owner !== formerOwner && owner !== process.pid) {
      clearInterval(timer)
      taken()
    }
  }, LOOK_MS)
  ;(timer as { unref?: () => void }).unref?.()
  return () => clearInterval(timer)
}
