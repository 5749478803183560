/**
 * Request records gathered for one write (usage-ledger.ts → usage-store.ts),
 * in columns: numbers in typed arrays, strings by their index in the block's
 * own table. Adding a record is a few stores, and no text is made for it
 * (a JSON line made for each record as it ended cost about 2 µs of CPU a
 * request under load, 2% of lmlb's throughput; docs/usage.md). Written
 * as one block of bytes: a JSON head (the strings, request ids that are
 * not UUIDs, bodies where kept), then the columns as they are in memory
 * (little-endian, as on every platform lmlb is built for). Request ids made
 * by lmlb are UUIDs, kept as their 16 bytes: held as strings until the block
 * was written they cost about 1% of lmlb's throughput (measured by leaving
 * them out), as bytes about half that (docs/usage.md).
 */
import { type AttemptLog, type RequestRecord, servedName, tenths } from '../observability/request-record'
import { ANONYMOUS } from '../observability/spend'
import { putUuid, uuidAt } from '../util/uuid-bytes'
import { type BlockSummary, HOUR_MS, type RecordsToWrite, type RequestRow, type UsageRow } from './usage-rows'

/** Numbers, a column each; NaN for null (cost, ttfbMs). */
const NUMBERS = ['at', 'cost', 'durationMs', 'ttfbMs', 'input', 'output', 'cacheRead', 'cacheWrite'] as const
/** Strings, a column each, by their index in the block's table (NONE: null). */
const STRINGS = ['clientKey', 'api', 'method', 'path', 'model', 'served', 'key'] as const
/** Small integers, a column each: the strings, then status, stream, how many attempts. */
const INTEGERS = [...STRINGS, 'status', 'stream', 'attempts'] as const
const [CLIENT_KEY, SERVED, KEY, STATUS, STREAM, ATTEMPTS] = [0, 5, 6, 7, 8, 9]
/** Each attempt: its key, endpoint and outcome, by index. */
const ATTEMPT = 3
/** Each request id, as a UUID's bytes. */
const UUID = 16
const NONE = 0xffffffff
const textEncoder = new TextEncoder()
const ZERO = { requests: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cost: 0, unpriced: 0 }
/** Above any string's index in a block (a block holds a few thousand records): totals are found by numbers made of indexes. */
const INDEXES = 2 ** 24

/**
 * A request as it ended, as a block takes it: read from its record, not copied into a row first (a row of 21 fields
 * made for each request, and its served name, cost about 1% of lmlb's throughput; docs/usage.md).
 */
export interface Ended {
  record: Pick<
    RequestRecord,
    'id' | 'api' | 'method' | 'path' | 'model' | 'clientKey' | 'billed' | 'tried' | 'tokens' | 'ttfbMs' | 'start' | 'stream' | 'attempts'
  >
  status: number
  /** When it ended: epoch ms, and on the clock of `record.start`. */
  at: number
  endedAt: number
  /** What it cost (undefined: unpriced, or it reached no upstream). */
  cost?: number
  /** Its prompt and completion, masked, where LOG_BODIES keeps them. */
  prompt: string | null
  completion: string | null
}

/** What the head of a block holds. */
interface Head {
  strings: string[]
  /** How many records. */
  count: number
  /** The request ids that are not UUIDs (a client's own x-request-id), each at its record's place; null elsewhere. */
  ids?: (string | null)[]
  /** Prompt and completion of each record, only where LOG_BODIES kept some. */
  bodies?: (string | null)[]
}

/** A block's columns, in memory or read back. */
interface Columns {
  head: Head
  numbers: Float64Array
  integers: Uint32Array
  uuids: Uint8Array
  attempts: Uint32Array
}

/**
 * Records gathered for one write, then cleared for the next: its columns and the buffer its bytes are made in are
 * kept from one write to the next, not made anew and grown to size for each (a few hundred kB of fresh memory a
 * write, each page of it a fault).
 */
export class RequestBlock implements RecordsToWrite {
  length = 0
  private numbers = new Float64Array(256 * NUMBERS.length)
  private integers = new Uint32Array(256 * INTEGERS.length)
  private uuids = new Uint8Array(256 * UUID)
  private attempts = new Uint32Array(256 * ATTEMPT)
  private attemptsLength = 0
  private head: Head = { strings: [], count: 0 }
  private readonly index = new Map<string, number>()
  /** Where bytes() makes the block's bytes. */
  private out = new Uint8Array(0)
  /** The billed records' totals: by hour and client key, then by upstream key and what served (usageRows). */
  private readonly totals = new Map<number, Map<number, UsageRow>>()
  /**
   * Each string column's last string and its index (the attempts' three after the record's seven): a request's path
   * and model are fresh copies of few values, cheaper compared with the last than hashed to find in the table.
   */
  private readonly lastString: (string | null)[] = Array(STRINGS.length + ATTEMPT).fill(null)
  private readonly lastIndex: number[] = Array(STRINGS.length + ATTEMPT).fill(NONE)
  /** The last deployment's service and model, and the index of its served name (`service/model`, made once for it). */
  private lastDeployment: { service: string; model: string } = { service: '', model: '' }
  private lastServed = NONE

  /** A request that reached an upstream (`record.billed`) counts in the hours' totals too (usageRows). */
  add(e: Ended): void {
    if ((this.length + 1) * NUMBERS.length > this.numbers.length) {
      this.numbers = grown(this.numbers)
      this.integers = grown(this.integers)
      this.uuids = grown(this.uuids)
    }
    const r = e.record
    const tokens = r.tokens
    const n = this.length * NUMBERS.length
    const i = this.length * INTEGERS.length
    const numbers = this.numbers
    numbers[n] = e.at
    numbers[n + 1] = e.cost ?? NaN
    numbers[n + 2] = tenths(e.endedAt - r.start)
    numbers[n + 3] = r.ttfbMs === undefined ? NaN : tenths(r.ttfbMs)
    numbers[n + 4] = tokens ? tokens.input : 0
    numbers[n + 5] = tokens ? tokens.output : 0
    numbers[n + 6] = tokens ? tokens.cacheRead : 0
    numbers[n + 7] = tokens ? tokens.cacheWrite : 0
    const integers = this.integers
    integers[i + CLIENT_KEY] = this.indexOf(CLIENT_KEY, r.clientKey ?? ANONYMOUS)
    integers[i + 1] = this.indexOf(1, r.api)
    integers[i + 2] = this.indexOf(2, r.method)
    integers[i + 3] = this.indexOf(3, r.path)
    integers[i + 4] = this.indexOf(4, r.model ?? null)
    integers[i + SERVED] = this.servedIndex(r.billed ?? r.tried)
    integers[i + KEY] = this.indexOf(KEY, r.billed?.keyId ?? null)
    integers[i + STATUS] = e.status
    integers[i + STREAM] = r.stream ? 1 : 0
    integers[i + ATTEMPTS] = r.attempts.length
    for (const a of r.attempts) this.addAttempt(a)
    if (!putUuid(r.id, this.uuids, this.length * UUID)) this.addId(r.id)
    if (e.prompt !== null || e.completion !== null) this.addBodies(e.prompt, e.completion)
    if (r.billed) this.addToTotals(n, integers[i + CLIENT_KEY], integers[i + KEY], integers[i + SERVED])
    this.head.count = ++this.length
  }

  /**
   * What the billed records add up to, by hour, client key, upstream key, service and model (as served). Kept up by
   * the strings' indexes as records are added in bulk: a key of five strings made and found for each request as it
   * ended cost about 1% of lmlb's throughput, and adding them up from the columns at each flush 0.4 µs a request (a
   * loop run once a flush stays in JSC's slower tiers; docs/usage.md).
   */
  usageRows(): UsageRow[] {
    return [...this.totals.values()].flatMap((rows) => [...rows.values()])
  }

  /** Adds the record whose numbers start at `n`. */
  private addToTotals(n: number, client: number, key: number, served: number): void {
    const numbers = this.numbers
    const period = Math.floor(numbers[n] / HOUR_MS)
    let rows = this.totals.get(period * INDEXES + client)
    if (!rows) this.totals.set(period * INDEXES + client, (rows = new Map()))
    const at = (key === NONE ? 0 : key + 1) * INDEXES + served
    let row = rows.get(at)
    if (!row) rows.set(at, (row = this.usageRow(period, client, key, served)))
    row.requests++
    row.input += numbers[n + 4]
    row.output += numbers[n + 5]
    row.cacheRead += numbers[n + 6]
    row.cacheWrite += numbers[n + 7]
    if (Number.isNaN(numbers[n + 1])) row.unpriced++
    else row.cost += numbers[n + 1]
  }

  private usageRow(period: number, client: number, key: number, served: number): UsageRow {
    // What served is `service/model`, and a service's name has no slash.
    const name = this.head.strings[served]
    const slash = name.indexOf('/')
    const [clientKey, service, model] = [this.head.strings[client], name.slice(0, slash), name.slice(slash + 1)]
    return { period, clientKey, key: key === NONE ? 'none' : this.head.strings[key], service, model, ...ZERO }
  }

  /** Read from the columns as the block is written, not kept up as records come (a few stores fewer a request). */
  summary(): BlockSummary {
    const s: BlockSummary = { first: Infinity, last: -Infinity, statuses: new Set(), clientKeys: new Set(), models: new Set() }
    const strings = new Set<number>()
    for (let r = 0; r < this.length; r++) {
      const n = r * NUMBERS.length
      const i = r * INTEGERS.length
      s.first = Math.min(s.first, this.numbers[n])
      s.last = Math.max(s.last, this.numbers[n])
      s.statuses.add(this.integers[i + STATUS])
      s.clientKeys.add(this.head.strings[this.integers[i + CLIENT_KEY]])
      strings.add(this.integers[i + 4]).add(this.integers[i + SERVED])
    }
    for (const m of strings) if (m !== NONE) s.models.add(this.head.strings[m])
    return s
  }

  /**
   * The block as written: the head's length (4 bytes), the head, padding to 8 bytes, the columns. Made in the
   * block's own buffer: valid until the block changes (a store copies it as it writes).
   */
  bytes(): Uint8Array {
    const head = JSON.stringify(this.head)
    const { numbers, integers, uuids, attempts } = this.columns()
    const parts = [numbers, integers, uuids, attempts]
    // UTF-8 takes at most 3 bytes for each UTF-16 unit.
    const most = 8 + head.length * 3 + parts.reduce((sum, p) => sum + p.byteLength, 0)
    if (this.out.length < most) this.out = new Uint8Array(most * 2)
    const out = this.out
    const headLength = textEncoder.encodeInto(head, out.subarray(4)).written
    new DataView(out.buffer).setUint32(0, headLength, true)
    let at = Math.ceil((4 + headLength) / 8) * 8
    for (const p of parts) {
      out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at)
      at += p.byteLength
    }
    return out.subarray(0, at)
  }

  /** Empty again, its memory kept for the next records. */
  clear(): void {
    this.length = 0
    this.attemptsLength = 0
    this.head = { strings: [], count: 0 }
    this.index.clear()
    this.totals.clear()
    this.lastString.fill(null)
    this.lastIndex.fill(NONE)
    this.lastDeployment = { service: '', model: '' }
    this.lastServed = NONE
  }

  /** The records, as read back from the block's bytes. */
  rows(): RequestRow[] {
    return rowsOf(this.columns())
  }

  private columns(): Columns {
    return {
      head: this.head,
      numbers: this.numbers.subarray(0, this.length * NUMBERS.length),
      integers: this.integers.subarray(0, this.length * INTEGERS.length),
      uuids: this.uuids.subarray(0, this.length * UUID),
      attempts: this.attempts.subarray(0, this.attemptsLength * ATTEMPT),
    }
  }

  /** `s`'s index in the table, `column` telling which last string to compare it with first. */
  private indexOf(column: number, s: string | null): number {
    if (s === null) return NONE
    if (s === this.lastString[column]) return this.lastIndex[column]
    let i = this.index.get(s)
    if (i === undefined) this.index.set(s, (i = this.head.strings.push(s) - 1))
    this.lastString[column] = s
    this.lastIndex[column] = i
    return i
  }

  /** The index of what served (`service/model`): its name made only when the deployment is not the last one's. */
  private servedIndex(deployment: { service: string; model: string } | undefined): number {
    if (!deployment) return NONE
    const last = this.lastDeployment
    if (deployment.service !== last.service || deployment.model !== last.model) {
      this.lastDeployment = { service: deployment.service, model: deployment.model }
      this.lastServed = this.indexOf(SERVED, servedName(deployment))
    }
    return this.lastServed
  }

  private addAttempt(a: AttemptLog): void {
    if ((this.attemptsLength + 1) * ATTEMPT > this.attempts.length) this.attempts = grown(this.attempts)
    const at = this.attemptsLength++ * ATTEMPT
    this.attempts[at] = this.indexOf(STRINGS.length, a.key)
    this.attempts[at + 1] = this.indexOf(STRINGS.length + 1, a.endpoint)
    this.attempts[at + 2] = this.indexOf(STRINGS.length + 2, a.outcome)
  }

  private addId(id: string): void {
    // Records before this one had UUIDs: holes, null once written.
    const ids = (this.head.ids ??= [])
    ids.length = this.length
    ids.push(id)
  }

  private addBodies(prompt: string | null, completion: string | null): void {
    // Records before this one kept none: holes, null once written.
    const bodies = (this.head.bodies ??= [])
    bodies.length = this.length * 2
    bodies.push(prompt, completion)
  }
}

/** The records a block's bytes hold, in the order they were added. */
export function blockRows(bytes: Uint8Array): RequestRow[] {
  // A copy: typed arrays over the columns need their buffer aligned, which SQLite's bytes need not be.
  const buffer = bytes.slice().buffer
  const headLength = new DataView(buffer).getUint32(0, true)
  const head = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, headLength))) as Head
  let at = Math.ceil((4 + headLength) / 8) * 8
  // Blocks written before request ids were kept as bytes (2026-12, never released) list every id in the head.
  const count = head.count ?? head.ids!.length
  const numbers = new Float64Array(buffer, at, count * NUMBERS.length)
  at += numbers.byteLength
  const integers = new Uint32Array(buffer, at, count * INTEGERS.length)
  at += integers.byteLength
  const uuids = new Uint8Array(buffer, at, head.count === undefined ? 0 : count * UUID)
  at += uuids.byteLength
  return rowsOf({ head: { ...head, count }, numbers, integers, uuids, attempts: new Uint32Array(buffer, at, (buffer.byteLength - at) / 4) })
}

function rowsOf({ head, numbers, integers, uuids, attempts }: Columns): RequestRow[] {
  const string = (i: number) => (i === NONE ? null : head.strings[i])
  const orNull = (x: number) => (Number.isNaN(x) ? null : x)
  const rows: RequestRow[] = []
  let tried = 0
  for (let r = 0; r < head.count; r++) {
    const n = r * NUMBERS.length
    const i = r * INTEGERS.length
    const attemptLogs: AttemptLog[] = []
    for (let a = tried; a < tried + integers[i + ATTEMPTS]; a++)
      attemptLogs.push({
        key: string(attempts[a * ATTEMPT]),
        endpoint: string(attempts[a * ATTEMPT + 1])!,
        outcome: string(attempts[a * ATTEMPT + 2])!,
      })
    tried += integers[i + ATTEMPTS]
    rows.push({
      at: numbers[n],
      id: head.ids?.[r] ?? uuidAt(uuids, r * UUID),
      clientKey: string(integers[i + CLIENT_KEY])!,
      api: string(integers[i + 1])!,
      method: string(integers[i + 2])!,
      path: string(integers[i + 3])!,
      model: string(integers[i + 4]),
      served: string(integers[i + SERVED]),
      key: string(integers[i + KEY]),
      status: integers[i + STATUS],
      input: numbers[n + 4],
      output: numbers[n + 5],
      cacheRead: numbers[n + 6],
      cacheWrite: numbers[n + 7],
      cost: orNull(numbers[n + 1]),
      durationMs: numbers[n + 2],
      ttfbMs: orNull(numbers[n + 3]),
      stream: integers[i + STREAM] === 1,
      attempts: attemptLogs,
      prompt: head.bodies?.[r * 2] ?? null,
      completion: head.bodies?.[r * 2 + 1] ?? null,
    })
  }
  return rows
}

/** A column twice as long, what it holds kept. */
function grown<A extends Float64Array | Uint32Array | Uint8Array>(column: A): A {
  const longer = new (column.constructor as new (length: number) => A)(column.length * 2)
  longer.set(column)
  return longer
}
