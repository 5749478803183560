/**
 * The Responses API's state on a request's path (apis/openai-responses/kept.ts).
 * Before routing, what a request names of earlier responses is recalled:
 * a `previous_response_id` lmlb made becomes the earlier turns' items in
 * its input, an `item_reference` to one of lmlb's items becomes the item,
 * so any upstream can take it, translated or not; one an upstream made
 * names the account that holds it (the request goes to that key). After
 * it, the answer lmlb made is kept (unless `store: false`), and one an
 * upstream made is remembered with its key.
 */
import type { Choice } from '../balancer/choosers'
import type { Pin } from '../balancer/pins'
import {
  chainItems,
  freshResponseId,
  inputItems,
  isKeptId,
  itemIn,
  numberedInput,
  responseOfItem,
  type KeptEntry,
  type KeptResponse,
  type MadeUpstream,
  type ResponseKeep,
} from '../apis/openai-responses/kept'
import type { ResponsesInputItem } from '../apis/openai-responses/wire'
import { ProxyError } from '../errors'
import type { ProxyState } from '../state/proxy-state'
import type { ResponseStore } from '../state/response-store'
import type { Inbound } from './parse'

/** A chain longer than this is refused (each link is one read of the store). */
const MAX_CHAIN = 1_000

export interface RecalledTurn {
  /** The request as it goes on: lmlb's earlier turns in its input, and its references to them resolved. */
  inbound: Inbound
  /** lmlb's own answer to it: its id, and where it is kept. */
  keep: ResponseKeep
  /** It continues a response an upstream made: that response's account. */
  owner?: MadeUpstream
}

/** Reads what a Responses request names of earlier responses. */
export async function recall(inbound: Inbound, store: ResponseStore): Promise<RecalledTurn> {
  const body = inbound.body as { input?: unknown; previous_response_id?: unknown; store?: unknown }
  const previous = typeof body.previous_response_id === 'string' ? body.previous_response_id : null
  const input = body.input as string | ResponsesInputItem[] | undefined
  const refers = Array.isArray(input) && input.some((i) => i?.type === 'item_reference')
  const reader = new EntryReader(store)
  // lmlb's own id: its chain, or a 400 naming the link it lacks. Another: perhaps an upstream's, made through lmlb.
  const ours = previous !== null && isKeptId(previous)
  const owner = previous !== null && !ours ? await reader.upstream(previous) : undefined
  const chain = ours ? await reader.chain(previous) : []
  const turn = refers ? await resolved(input as ResponsesInputItem[], reader, chain) : input
  const keep = keeper(store, turn, previous, body.store !== false)
  if (!ours && turn === input) return { inbound, keep, owner }
  // lmlb's chain: its turns come first, and previous_response_id goes (the upstream never saw lmlb's id).
  const { previous_response_id: _, ...rest } = inbound.body
  const full = ours ? { ...rest, input: [...chainItems(chain), ...inputItems(turn)] } : { ...inbound.body, input: turn }
  return { inbound: { ...inbound, body: full, text: JSON.stringify(full) }, keep, owner }
}

/** The owner's deployment, key and endpoint, tried first: a response is known only to its account. */
export function ownerPin(state: ProxyState, owner: MadeUpstream): Pin | undefined {
  const pool = state.pools.get(owner.service)
  const key = owner.keyHash === undefined ? undefined : pool?.keyByHash.get(owner.keyHash)
  if (!pool || (owner.keyHash !== undefined && !key)) return undefined
  return { service: owner.service, model: owner.model, key: key?.value, endpoint: owner.endpoint, expiresAt: Infinity }
}

const RESPONSE_ID = /"id"\s*:\s*"(resp_[A-Za-z0-9_-]{1,200})"/

/**
 * For a Responses answer passed through that its upstream stores: the
 * first response id seen in it (the whole body's, or the stream's
 * `response.created`) is remembered with the key that made it.
 */
export function madeUpstreamWatch(inbound: Inbound, choice: Choice, store: ResponseStore): ((text: string) => void) | undefined {
  if (inbound.endpoint.api !== 'responses' || inbound.body.store === false) return undefined
  let found = false
  return (text) => {
    if (found) return
    const id = RESPONSE_ID.exec(text)?.[1]
    if (id === undefined) return
    found = true
    const { deployment, target } = choice
    const made: MadeUpstream = {
      service: deployment.pool.service.name,
      model: deployment.model,
      keyHash: target.key?.hash,
      endpoint: target.endpoint.url,
    }
    store.put(id, JSON.stringify({ upstream: made } satisfies KeptEntry))
  }
}

function keeper(
  store: ResponseStore,
  turn: string | ResponsesInputItem[] | undefined,
  previous: string | null,
  stored: boolean,
): ResponseKeep {
  const id = freshResponseId()
  return {
    id,
    previous,
    stored,
    done: (response) => {
      if (!stored) return
      const kept: KeptResponse = { response, input: numberedInput(turn, id), previous }
      store.put(id, JSON.stringify({ kept } satisfies KeptEntry))
    },
  }
}

/**
 * The turn's input with every reference to lmlb's items replaced by the
 * item (one already in the chain is dropped); the input itself where it
 * names none of lmlb's (a passed-through request goes on byte for byte).
 */
async function resolved(input: ResponsesInputItem[], reader: EntryReader, chain: KeptResponse[]): Promise<ResponsesInputItem[]> {
  const inChain = new Set(chainItems(chain).map((i) => i.id))
  const out: ResponsesInputItem[] = []
  let changed = false
  for (const item of input) {
    const id = item?.type === 'item_reference' && typeof item.id === 'string' ? item.id : undefined
    const owner = id === undefined ? undefined : responseOfItem(id)
    if (owner === undefined) out.push(item)
    else if (!inChain.has(id)) out.push(await reader.item(owner, id!))
    changed ||= owner !== undefined
  }
  return changed ? out : input
}

/** Reads entries of the store for one request, each once. */
class EntryReader {
  private readonly read = new Map<string, KeptEntry | undefined>()

  constructor(private readonly store: ResponseStore) {}

  /** What an upstream made under this id, if lmlb passed it on. */
  async upstream(id: string): Promise<MadeUpstream | undefined> {
    const entry = await this.entry(id)
    return entry && 'upstream' in entry ? entry.upstream : undefined
  }

  /** The kept responses up to `id`, oldest first; a missing link is the client's 400, naming it. */
  async chain(id: string): Promise<KeptResponse[]> {
    const chain: KeptResponse[] = []
    for (let at: string | null = id; at !== null; at = chain[0].previous) {
      const entry = chain.length < MAX_CHAIN ? await this.entry(at) : undefined
      if (!entry || !('kept' in entry)) throw notKept(at, id)
      chain.unshift(entry.kept)
    }
    return chain
  }

  async item(responseId: string, id: string): Promise<ResponsesInputItem> {
    const entry = await this.entry(responseId)
    const item = entry && 'kept' in entry ? itemIn(entry.kept, id) : undefined
    if (item) return item
    throw new ProxyError(
      400,
      'item_not_found',
      `item_reference ${JSON.stringify(id)}: lmlb no longer keeps response ${responseId}, which made it ` +
        '(it expired, was deleted or was pushed out: LMLB_RESPONSES_KEPT*); send the item itself',
    )
  }

  private async entry(id: string): Promise<KeptEntry | undefined> {
    if (!this.read.has(id)) {
      const json = await this.store.get(id)
      this.read.set(id, json === undefined ? undefined : (JSON.parse(json) as KeptEntry))
    }
    return this.read.get(id)
  }
}

function notKept(id: string, asked: string): ProxyError {
  const which = id === asked ? `previous_response_id ${JSON.stringify(id)}` : `response ${id}, earlier in the chain of ${asked},`
  const message = isKeptId(id)
    ? `${which} is no longer kept by lmlb (it expired, was deleted or was pushed out: LMLB_RESPONSES_KEPT*); send the conversation's items instead`
    : `${which} is not a response lmlb knows: it keeps those it made by translation and remembers those an upstream made through it`
  return new ProxyError(400, 'previous_response_not_found', message)
}
