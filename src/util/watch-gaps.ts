/** A silence detector for a stream read chunk by chunk. */

/**
 * Calls `onExpired` once no byte has come for `ms`: one timer for the whole
 * body, moved on only when it fires (a body of many chunks sets no timer per chunk).
 */
export function watchGaps(ms: number, onExpired: () => void) {
  let last = performance.now()
  let timer: ReturnType<typeof setTimeout> | undefined
  const state = {
    expired: false,
    saw: () => void (last = performance.now()),
    stop: () => clearTimeout(timer),
  }
  const check = () => {
    const left = last + ms - performance.now()
    if (left > 0) return void (timer = setTimeout(check, left))
    state.expired = true
    onExpired()
  }
  timer = setTimeout(check, ms)
  return state
}
