/** Kept responses' pure parts: ids that name their response, numbered input, a chain's items, input_items paging. */
import { expect, test } from 'bun:test'
import {
  chainItems,
  freshResponseId,
  inputItemsPage,
  isKeptId,
  numberedInput,
  responseOfItem,
  type KeptResponse,
} from '../../../src/apis/openai-responses/kept'

const HEX = 'abcdef0123456789abcdef0123456789'

test("lmlb's ids: a response's is resp_ and 32 hex digits; each of its items names it", () => {
  const id = freshResponseId()
  expect(isKeptId(id)).toBe(true)
  expect(isKeptId('resp_67ccd2bed1ec8190b14f964abc0542670bb6a6b452d3795b')).toBe(false)
  expect(responseOfItem(`msg_${HEX}_0`)).toBe(`resp_${HEX}`)
  expect(responseOfItem(`fc_${HEX}_12`)).toBe(`resp_${HEX}`)
  expect(responseOfItem(`msg_${HEX}_in3`)).toBe(`resp_${HEX}`)
  // OpenAI's own item ids, and anything else, name none of lmlb's.
  for (const other of ['msg_67ccd3acc8d48190a77525dc6de64b4104becd2c8ce51d6b', 'fc_1', `msg_${HEX}`, `msg_${HEX}_x`]) {
    expect(responseOfItem(other)).toBeUndefined()
  }
})

test('the input numbered: a text is one user message; items keep their own id, the others get one of the response', () => {
  expect(numberedInput('hi', `resp_${HEX}`)).toEqual([
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }], id: `msg_${HEX}_in0` },
  ])
  const items = numberedInput(
    [
      { role: 'user', content: 'a' },
      { type: 'function_call', id: 'fc_theirs', call_id: 'c1', name: 'f', arguments: '{}' },
      { type: 'function_call_output', call_id: 'c1', output: 'x' },
    ],
    `resp_${HEX}`,
  )
  expect(items.map((i) => i.id)).toEqual([`msg_${HEX}_in0`, 'fc_theirs', `fco_${HEX}_in2`])
  expect(items[0].type).toBe('message')
})

test("a chain's items: each response's input, then its output, oldest first", () => {
  const kept = (n: number): KeptResponse => ({
    response: { output: [{ type: 'message', id: `out${n}` }] } as never,
    input: [{ type: 'message', id: `in${n}`, role: 'user', content: 'x' }],
    previous: null,
  })
  expect(chainItems([kept(1), kept(2)]).map((i) => i.id)).toEqual(['in1', 'out1', 'in2', 'out2'])
})

test("input_items paging as OpenAI's: newest first by default, limit, after, and what it refuses", () => {
  const items = [1, 2, 3, 4, 5].map((n) => ({ type: 'message', id: `i${n}`, role: 'user', content: '' }))
  const page = (q: string) => inputItemsPage(items, new URLSearchParams(q)) as { data: { id: string }[]; has_more: boolean }
  expect(page('').data.map((i) => i.id)).toEqual(['i5', 'i4', 'i3', 'i2', 'i1'])
  expect(page('order=asc&limit=2')).toMatchObject({ data: [{ id: 'i1' }, { id: 'i2' }], first_id: 'i1', last_id: 'i2', has_more: true })
  expect(page('order=asc&limit=2&after=i2')).toMatchObject({ data: [{ id: 'i3' }, { id: 'i4' }], has_more: true })
  expect(page('order=asc&after=i4')).toMatchObject({ data: [{ id: 'i5' }], has_more: false })
  expect(inputItemsPage(items, new URLSearchParams('limit=0'))).toContain('limit')
  expect(inputItemsPage(items, new URLSearchParams('order=up'))).toContain('order')
  expect(inputItemsPage(items, new URLSearchParams('after=nope'))).toContain('after')
})
