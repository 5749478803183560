/** settleAndApply with a scripted file and a fake clock: when a changed file is applied, and what is held back. */
import { describe, expect, test } from 'bun:test'
import type { LoadResult } from '../../src/config/load'
import type { Config } from '../../src/config/schema'
import { createSettler, servicesLosingAllKeys, settleAndApply, type SettleDeps } from '../../src/config/settle'

const config = (services: Record<string, number>) =>
  ({
    services: Object.fromEntries(
      Object.entries(services).map(([name, n]) => [name, { name, keys: Array.from({ length: n }, (_, i) => ({ value: `k${i}` })) }]),
    ),
  }) as unknown as Config

/** File contents: "keys" (openai has 2 keys), "broken..." (does not parse), anything else (no keys); writes land at given times. */
function fakeFiles(start: string, writes: [at: number, text: string][], now = 0) {
  let text = start
  const log: string[] = []
  const applied: { at: number; text: string }[] = []
  const settle = () => {
    while (writes.length > 0 && writes[0][0] <= now) text = writes.shift()![1]
  }
  const deps: SettleDeps = {
    snapshot: () => (settle(), text),
    read: (): LoadResult =>
      text.startsWith('broken')
        ? { ok: false, errors: ['bad'] }
        : { ok: true, config: config({ openai: text === 'keys' ? 2 : 0 }), warnings: [] },
    running: () => config({ openai: 2, anthropic: 0 }),
    apply: () => applied.push({ at: now, text }),
    sleep: async (ms) => {
      now += ms
    },
    warn: (m) => log.push(`warn ${now}: ${m}`),
    info: (m) => log.push(`info ${now}: ${m}`),
  }
  return { deps, log, applied, now: () => now }
}

describe('settleAndApply', () => {
  test('truncated, then written back 500 ms later: the empty read is held back, the full file applied', async () => {
    // The watcher fired 150 ms after the truncation (its debounce).
    const f = fakeFiles('', [[500, 'keys']], 150)
    await settleAndApply(f.deps)
    expect(f.applied).toEqual([{ at: 1650, text: 'keys' }])
    expect(f.log).toEqual([
      'warn 400: reload (file changed) held back: it would leave openai with no API keys; reading the files again in 1000 ms',
      'info 1400: reload (file changed): the files changed again 1000 ms later; waiting for them to settle',
    ])
  })

  test('truncated and written back 0-1.2 s later: the empty file is never applied', async () => {
    for (let delay = 0; delay <= 1200; delay += 25) {
      const f = fakeFiles('', [[delay, 'keys']], Math.min(150, delay))
      await settleAndApply(f.deps)
      expect({ delay, applied: f.applied.map((a) => a.text) }).toEqual({ delay, applied: ['keys'] })
    }
  })

  test('a file that stays keyless is applied after the second, identical read 1 s later', async () => {
    const f = fakeFiles('', [])
    await settleAndApply(f.deps)
    expect(f.applied).toEqual([{ at: 1250, text: '' }])
    expect(f.log).toEqual([
      'warn 250: reload (file changed) held back: it would leave openai with no API keys; reading the files again in 1000 ms',
      'warn 1250: reload (file changed): the files read the same 1000 ms later: applying it, openai left with no API keys',
    ])
  })

  test('a file still being written (and not parsing meanwhile) is applied once it reads the same twice', async () => {
    const f = fakeFiles('broken', [
      [100, 'broken-a'],
      [300, 'broken-b'],
      [500, 'broken-c'],
      [700, 'keys'],
    ])
    await settleAndApply(f.deps)
    expect(f.applied).toEqual([{ at: 1000, text: 'keys' }])
    expect(f.log).toEqual([])
  })

  test('a settled file that does not parse goes to the reload (which refuses it) without waiting longer', async () => {
    const f = fakeFiles('broken', [])
    await settleAndApply(f.deps)
    expect(f.applied).toEqual([{ at: 250, text: 'broken' }])
  })

  test('a change that keeps every key is applied once settled, with no warning', async () => {
    const f = fakeFiles('keys', [])
    await settleAndApply(f.deps)
    expect(f.applied).toEqual([{ at: 250, text: 'keys' }])
    expect(f.log).toEqual([])
  })

  test('a change during the confirmation starts over', async () => {
    const f = fakeFiles('', [[600, 'other']])
    await settleAndApply(f.deps)
    expect(f.applied).toEqual([{ at: 2500, text: 'other' }])
    expect(f.log.map((l) => l.slice(0, l.indexOf(':')))).toEqual(['warn 250', 'info 1250', 'warn 1500', 'warn 2500'])
  })

  test('a change noticed while one settles starts another afterwards', async () => {
    const f = fakeFiles('keys', [])
    const settle = createSettler(f.deps, [])
    const first = settle()
    const second = settle()
    expect(second).toBe(first)
    await first
    expect(f.applied.map((a) => a.text)).toEqual(['keys', 'keys'])
  })
})

describe('servicesLosingAllKeys', () => {
  test('a service that had keys and has none, or is gone; not one that had none', () => {
    const running = config({ openai: 2, anthropic: 0, local: 1, gemini: 1 })
    expect(servicesLosingAllKeys(running, config({ openai: 0, anthropic: 0, gemini: 3 }))).toEqual(['openai', 'local'])
    expect(servicesLosingAllKeys(running, config({ openai: 1, local: 1, gemini: 1 }))).toEqual([])
  })
})
