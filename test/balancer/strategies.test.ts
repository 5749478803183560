import { describe, expect, test } from 'bun:test'
import { createSelector } from '../../src/balancer/strategies'

const member = (name: string, weight = 1, priority = 0, busy = 0) => ({
  name,
  weight,
  priority,
  busy,
  inFlight() {
    return this.busy
  },
})
const names = (picks: ({ name: string } | undefined)[]) => picks.map((p) => p?.name)

describe('strategies', () => {
  test('weighted: exact proportions, smoothly interleaved', () => {
    const s = createSelector('weighted', [member('a', 3), member('b', 1)])
    const picks = names(Array.from({ length: 8 }, () => s.next()))
    expect(picks).toEqual(['a', 'a', 'b', 'a', 'a', 'a', 'b', 'a'])
    const counts = { a: 0, b: 0 }
    for (let i = 0; i < 400; i++) counts[s.next()!.name as 'a' | 'b']++
    expect(counts).toEqual({ a: 300, b: 100 })
  })

  test('weighted: an unusable member drops out, the rest keep their ratio', () => {
    const s = createSelector('weighted', [member('a', 2), member('b', 1), member('c', 1)])
    const picks = names(Array.from({ length: 6 }, () => s.next((m) => m.name !== 'a')))
    expect(picks.filter((p) => p === 'b').length).toBe(3)
    expect(picks.filter((p) => p === 'c').length).toBe(3)
  })

  test('priority: always the first usable, by priority then order', () => {
    const s = createSelector('priority', [member('backup', 1, 5), member('cheap', 1, 0), member('also-cheap', 1, 0)])
    expect(names([s.next(), s.next(), s.next()])).toEqual(['cheap', 'cheap', 'cheap'])
    expect(s.next((m) => m.name !== 'cheap')?.name).toBe('also-cheap')
    expect(s.next((m) => m.name === 'backup')?.name).toBe('backup')
  })

  test('least-busy: fewest in flight; ties in turn', () => {
    const a = member('a', 1, 0, 2)
    const b = member('b', 1, 0, 0)
    const c = member('c', 1, 0, 0)
    const s = createSelector('least-busy', [a, b, c])
    expect(names([s.next(), s.next(), s.next()])).toEqual(['b', 'c', 'b'])
    b.busy = 5
    c.busy = 5
    expect(s.next()?.name).toBe('a')
  })

  test('most-remaining: the largest share left; ties in turn; unusable ones skipped', () => {
    const withShare = (name: string, left: number) => ({
      ...member(name),
      left,
      share() {
        return this.left
      },
    })
    const a = withShare('a', 0.2)
    const b = withShare('b', 0.9)
    const c = withShare('c', 0.9)
    const s = createSelector('most-remaining', [a, b, c])
    expect(names([s.next(), s.next(), s.next()])).toEqual(['b', 'c', 'b'])
    b.left = 0.1
    c.left = 0.1
    expect(s.next()?.name).toBe('a')
    expect(s.next((m) => m.name !== 'a')?.name).toBe('b')
    expect(s.next(() => false)).toBeUndefined()
  })

  test('most-remaining: members without a share (endpoints) count as 1, so it is round-robin', () => {
    const s = createSelector('most-remaining', [member('a'), member('b'), member('c')])
    expect(names(Array.from({ length: 6 }, () => s.next()))).toEqual(['a', 'b', 'c', 'a', 'b', 'c'])
    expect(names([s.next((m) => m.name !== 'b'), s.next((m) => m.name !== 'b')])).toEqual(['a', 'c'])
    const mixed = createSelector('most-remaining', [{ ...member('spent'), share: () => 0.5 }, member('unknown')])
    expect(names([mixed.next(), mixed.next()])).toEqual(['unknown', 'unknown'])
  })

  test('round-robin stays the default order', () => {
    const s = createSelector('round-robin', [member('a'), member('b')])
    expect(names([s.next(), s.next(), s.next()])).toEqual(['a', 'b', 'a'])
  })
})
