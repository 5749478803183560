/** maskKey: how a key shows wherever lmlb shows one. Enough to tell keys apart, never enough to use one. */
import { expect, test } from 'bun:test'
import { maskKey } from '../../src/observability/redact'

test('a key of 12 characters or more keeps its first 3 and last 4', () => {
  expect(maskKey('sk-proj-abcdefghijkl1234')).toBe('sk-...1234')
  expect(maskKey('abcdefgh1234')).toBe('abc...1234')
})

test('a shorter key keeps only its last 2, and one under 6 nothing', () => {
  expect(maskKey('abcdefgh123')).toBe('...23')
  expect(maskKey('abcd12')).toBe('...12')
  expect(maskKey('abc12')).toBe('...')
  expect(maskKey('')).toBe('...')
})

test('at least 4 characters of any key stay hidden (all of one under 6), and the key never shows whole', () => {
  for (let n = 1; n <= 64; n++) {
    const key = 'k'.repeat(n - 1) + 'Z'
    const masked = maskKey(key)
    const shown = masked.replace('...', '').length
    expect(n - shown).toBeGreaterThanOrEqual(Math.min(n, 4))
    expect(masked).not.toContain(key)
  }
})
