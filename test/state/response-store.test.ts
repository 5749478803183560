/** The in-memory store of kept responses: its three bounds, on an injected clock, least recently used first. */
import { expect, test } from 'bun:test'
import { MemoryResponseStore, type StoreBounds } from '../../src/state/response-store'

function store(bounds: Partial<StoreBounds>) {
  let now = 1_000
  const kept = new MemoryResponseStore(
    () => ({ maxCount: 100, maxBytes: 1_000_000, ttlMs: 60_000, ...bounds }),
    () => now,
  )
  return { kept, pass: (ms: number) => (now += ms) }
}

test('by count: past the bound the least recently used goes; a read makes an entry the most recent', async () => {
  const { kept } = store({ maxCount: 2 })
  kept.put('a', '"A"')
  kept.put('b', '"B"')
  expect(await kept.get('a')).toBe('"A"')
  kept.put('c', '"C"')
  expect(await kept.get('b')).toBeUndefined()
  expect(await kept.get('a')).toBe('"A"')
  expect(await kept.get('c')).toBe('"C"')
  expect(kept.size.count).toBe(2)
})

test('by bytes: the oldest go until the total fits; one alone over the bound is not kept', async () => {
  const { kept } = store({ maxBytes: 10 })
  kept.put('a', '1234')
  kept.put('b', '5678')
  kept.put('c', '90ab')
  expect(await kept.get('a')).toBeUndefined()
  expect(kept.size).toEqual({ count: 2, bytes: 8 })
  kept.put('big', 'x'.repeat(11))
  expect(await kept.get('big')).toBeUndefined()
  expect(kept.size.bytes).toBeLessThanOrEqual(10)
})

test('by time: an entry lives ttl after its last use; a read starts its life again; an expired one is neither read nor deleted', async () => {
  const { kept, pass } = store({ ttlMs: 1_000 })
  kept.put('a', '"A"')
  kept.put('b', '"B"')
  pass(900)
  expect(await kept.get('a')).toBe('"A"')
  pass(900)
  expect(await kept.get('a')).toBe('"A"')
  expect(await kept.get('b')).toBeUndefined()
  pass(1_000)
  expect(await kept.delete('a')).toBe(false)
  expect(kept.size).toEqual({ count: 0, bytes: 0 })
})

test('put again replaces (the bytes counted once); delete says whether it was there', async () => {
  const { kept } = store({})
  kept.put('a', '12')
  kept.put('a', '1234')
  expect(kept.size).toEqual({ count: 1, bytes: 4 })
  expect(await kept.delete('a')).toBe(true)
  expect(await kept.delete('a')).toBe(false)
})
