/** A silence detector for a body read chunk by chunk, on the shared deadline timer. */
import { after, cancel, type Deadline } from './deadlines'

/**
 * Calls `onExpired` once no byte has come for `ms`. `saw()` only notes the
 * time; the one deadline moves on when it fires, so a body of many chunks
 * arms no timer per chunk.
 */
export function watchGaps(ms: number, onExpired: () => void) {
  let last = Date.now()
  let deadline: Deadline
  const state = {
    expired: false,
    saw: () => void (last = Date.now()),
    stop: () => cancel(deadline),
  }
  const check = () => {
    const left = last + ms - Date.now()
    if (left > 0) return void (deadline = after(left, check))
    state.expired = true
    onExpired()
  }
  deadline = after(ms, check)
  return state
}
