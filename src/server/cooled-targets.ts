/** What another process (a worker, another instance) learned of a key or endpoint, applied in this one. */
import type { Logger } from '../observability/log'
import type { CooledTarget } from './dispatch'
import type { Runtime } from './state'
import { hashOfKey } from '../routing/session-identity'

/** What another process learned of a target, applied here: the same cooldown, or set aside. */
export function adoptCooled(runtime: Runtime, t: CooledTarget, logger: Logger, from = 'another worker'): void {
  const pool = runtime.current.pools.get(t.service)
  // Over Redis a key travels as a hash of its value, never the value.
  const key = t.key !== undefined ? pool?.keys.items.find((k) => k.value === t.key) : t.keyHash !== undefined ? pool?.keys.items.find((k) => hashOfKey(k.value) === t.keyHash) : undefined
  const target = key ?? pool?.endpoints.items.find((e) => e.url === t.endpoint)
  if (!target) return // gone after a reload
  // Known already (told again after a reconnect): nothing to change or say.
  if (t.invalid ? target.health.recoversAt(0) === Infinity : target.health.cooledUntil() >= t.until) return
  if (t.invalid) target.health.setInvalid(t.until)
  else target.health.adoptCooldown(t.until)
  // Set aside before this configuration forgave it: that verdict no longer holds here.
  if (t.invalid && target.health.recoversAt(0) !== Infinity) return
  const what = key ? `key ${key.masked}` : t.endpoint
  logger.info(`${t.service}: ${what} ${t.invalid ? 'set aside' : `cooling until ${new Date(t.until).toISOString()}`} (seen by ${from})`)
}
