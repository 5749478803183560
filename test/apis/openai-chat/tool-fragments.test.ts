/**
 * Chat streams tool calls as fragments numbered by `index`. The calls
 * rebuilt from them must be the ones the upstream made: later fragments
 * join their call, a new index starts one, and a new id at a known index
 * (upstreams that number every call 0) starts one too.
 */
import { describe, expect, test } from 'bun:test'
import { callOfFragment, type ToolFragment } from '../../../src/apis/openai-chat/tool-fragments'

type Call = { id: string; name: string; args: string }

/** Feeds fragments in order, as a translator does, and returns the calls with their arguments joined. */
function rebuild(fragments: ToolFragment[]): Call[] {
  const byIndex = new Map<number, Call>()
  const calls: Call[] = []
  for (const f of fragments) callOfFragment(f, byIndex, calls, (id, name) => ({ id, name, args: '' })).args += f.function?.arguments ?? ''
  return calls
}

describe('callOfFragment', () => {
  test("OpenAI's two parallel calls, interleaved by index: each gets its own arguments", () => {
    expect(
      rebuild([
        { index: 0, id: 'call_a', type: 'function', function: { name: 'weather', arguments: '' } },
        { index: 1, id: 'call_b', type: 'function', function: { name: 'time', arguments: '' } },
        { index: 0, function: { arguments: '{"city":' } },
        { index: 1, function: { arguments: '{"tz":"UTC"}' } },
        { index: 0, function: { arguments: '"Paris"}' } },
      ]),
    ).toEqual([
      { id: 'call_a', name: 'weather', args: '{"city":"Paris"}' },
      { id: 'call_b', name: 'time', args: '{"tz":"UTC"}' },
    ])
  })

  test('every call numbered 0: a new id starts a new call', () => {
    expect(
      rebuild([
        { index: 0, id: 'call_a', function: { name: 'f', arguments: '{"x":1}' } },
        { index: 0, id: 'call_b', function: { name: 'g', arguments: '{' } },
        { index: 0, function: { arguments: '}' } },
      ]),
    ).toEqual([
      { id: 'call_a', name: 'f', args: '{"x":1}' },
      { id: 'call_b', name: 'g', args: '{}' },
    ])
  })

  test('the same id repeated on later fragments stays one call; no index counts as 0', () => {
    expect(
      rebuild([
        { id: 'call_a', function: { name: 'f', arguments: '{"a":' } },
        { id: 'call_a', function: { arguments: '1}' } },
      ]),
    ).toEqual([{ id: 'call_a', name: 'f', args: '{"a":1}' }])
  })

  test('an id or name that comes after the first fragment fills the call in, and never overwrites one it has', () => {
    expect(
      rebuild([
        { index: 0, function: { arguments: '{' } },
        { index: 0, id: 'call_late', function: { name: 'late', arguments: '}' } },
        { index: 0, function: { name: 'other' } },
      ]),
    ).toEqual([{ id: 'call_late', name: 'late', args: '{}' }])
  })

  test('the call returned is the one in the index map and the list; create is called once per call', () => {
    const byIndex = new Map<number, Call>()
    const calls: Call[] = []
    let created = 0
    const create = (id: string, name: string) => (created++, { id, name, args: '' })
    const first = callOfFragment({ index: 2, id: 'c', function: { name: 'f' } }, byIndex, calls, create)
    const again = callOfFragment({ index: 2, function: { arguments: 'x' } }, byIndex, calls, create)
    expect(again).toBe(first)
    expect(byIndex.get(2)).toBe(first)
    expect(calls).toEqual([first])
    expect(created).toBe(1)
  })
})
