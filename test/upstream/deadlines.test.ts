import { expect, test } from 'bun:test'
import { after, cancel } from '../../src/upstream/deadlines'

test('a deadline fires once its time has passed; cancelled ones never do, wherever they sit in the list', async () => {
  const fired: string[] = []
  const first = after(1, () => fired.push('first'))
  const middle = after(1, () => fired.push('middle'))
  const last = after(1, () => fired.push('last'))
  cancel(middle)
  cancel(middle) // twice is harmless
  cancel(first)
  // Armed after the others with a later time: when it fires, the others' ticks have run.
  await new Promise<void>((resolve) => after(30, () => resolve()))
  expect(fired).toEqual(['last'])
  cancel(last) // after firing: harmless too
  expect(() => cancel(undefined)).not.toThrow()
})

test('a deadline does not fire before its time', async () => {
  let late = false
  const d = after(60_000, () => (late = true))
  await new Promise<void>((resolve) => after(1, () => resolve()))
  expect(late).toBe(false)
  cancel(d)
})
