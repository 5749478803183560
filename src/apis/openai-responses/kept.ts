/**
 * The Responses API's stored responses as lmlb keeps them, where it made
 * the answer itself (a translated request): what one response holds, how
 * its ids name it, and the shapes its routes answer with
 * (`GET /v1/responses/{id}`, `.../input_items`, `DELETE`). Pure: where
 * they are kept is state/response-store.ts.
 */
import type { ResponseObject, ResponsesInputItem, ResponsesOutputItem } from './wire'

/** A response lmlb made: the response as the client got it, the input it was given (ids given to each item), the one before it. */
export interface KeptResponse {
  response: ResponseObject
  input: ResponsesInputItem[]
  previous: string | null
}

/** A response an upstream made (passed through): the account that holds it, so what names it goes there. */
export interface MadeUpstream {
  service: string
  model: string
  /** The key's hash (never its value: this may cross to Redis), absent for a keyless service. */
  keyHash?: string
  endpoint: string
}

export type KeptEntry = { kept: KeptResponse } | { upstream: MadeUpstream }

/**
 * A response lmlb makes: its id, given in advance (of lmlb's form whether
 * kept or not, so a GET of it is lmlb's to answer), the one before it,
 * whether it is kept (not with `store: false`), and where it goes once made.
 */
export interface ResponseKeep {
  id: string
  previous: string | null
  stored: boolean
  done(response: ResponseObject): void
}

/** A fresh response id: 32 hex digits, and every item id made of them (`msg_<hex>_0`), so an item names its response. */
export function freshResponseId(): string {
  return `resp_${crypto.randomUUID().replaceAll('-', '')}`
}

/** Whether lmlb gave this id (OpenAI's are longer). */
export function isKeptId(id: string): boolean {
  return KEPT_ID.test(id)
}

const KEPT_ID = /^resp_[0-9a-f]{32}$/
const ITEM_OF_KEPT = /^[a-z]+_([0-9a-f]{32})_(?:in)?\d+$/

/** The response an item lmlb made (or numbered as its input) belongs to; undefined for any other id. */
export function responseOfItem(itemId: string): string | undefined {
  const found = ITEM_OF_KEPT.exec(itemId)
  return found ? `resp_${found[1]}` : undefined
}

/** A request's input as items: a text is one user message. */
export function inputItems(input: string | ResponsesInputItem[] | undefined): ResponsesInputItem[] {
  return typeof input === 'string' ? [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: input }] }] : (input ?? [])
}

/** The input as a list of items, each with an id (`<kind>_<hex>_in<n>` where the client gave none), as OpenAI lists them. */
export function numberedInput(input: string | ResponsesInputItem[] | undefined, responseId: string): ResponsesInputItem[] {
  const base = responseId.slice('resp_'.length)
  return inputItems(input).map((item, n) => {
    if (typeof item.id === 'string') return item
    const type = item.type ?? 'message'
    const prefix =
      type === 'message' ? 'msg' : type === 'function_call_output' ? 'fco' : type === 'custom_tool_call_output' ? 'ctco' : 'item'
    return { ...item, type, id: `${prefix}_${base}_in${n}` } as ResponsesInputItem
  })
}

/** The items a chain of responses (oldest first) brings to the next turn: each one's input, then its output. */
export function chainItems(chain: readonly KeptResponse[]): ResponsesInputItem[] {
  return chain.flatMap((k) => [...k.input, ...(k.response.output as ResponsesOutputItem[] as ResponsesInputItem[])])
}

/** An item of a kept response, by id: in its output or its input. */
export function itemIn(kept: KeptResponse, id: string): ResponsesInputItem | undefined {
  return (kept.response.output as ResponsesInputItem[]).find((i) => i.id === id) ?? kept.input.find((i) => i.id === id)
}

/** `GET /v1/responses/{id}/input_items`: OpenAI's paging (`order` desc by default, `limit` 1-100, default 20, `after`). */
export function inputItemsPage(items: readonly ResponsesInputItem[], query: URLSearchParams): object | string {
  const order = query.get('order') ?? 'desc'
  if (order !== 'asc' && order !== 'desc') return `order: must be asc or desc, got ${JSON.stringify(order.slice(0, 20))}`
  const limitText = query.get('limit') ?? '20'
  const limit = Number(limitText)
  if (!Number.isInteger(limit) || limit < 1 || limit > 100)
    return `limit: must be a whole number from 1 to 100, got ${JSON.stringify(limitText.slice(0, 20))}`
  const ordered = order === 'asc' ? [...items] : [...items].reverse()
  const after = query.get('after')
  const from = after === null ? 0 : ordered.findIndex((i) => i.id === after) + 1
  if (after !== null && from === 0) return `after: no input item ${JSON.stringify(after.slice(0, 80))} in this response`
  const data = ordered.slice(from, from + limit)
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: from + limit < ordered.length,
  }
}
