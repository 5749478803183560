/**
 * Request records gathered for one write (usage-ledger.ts → usage-store.ts),
 * in columns: numbers in typed arrays, strings by their index in the block's
 * own table. Adding a record is a few stores, and no text is made for it
 * (a JSON line made for each record as it ended cost about 2 µs of CPU a
 * request under load, 2% of lmlb's throughput; docs/usage.md). Written
 * as one block of bytes: a JSON head (the strings, the request ids, bodies
 * where kept), then the columns as they are in memory (little-endian, as on
 * every platform lmlb is built for).
 */
import type { AttemptLog } from '../observability/request-record'
import type { BlockSummary, RecordsToWrite, RequestRow } from './usage-rows'

/** Numbers, a column each; NaN for null (cost, ttfbMs). */
const NUMBERS = ['at', 'cost', 'durationMs', 'ttfbMs', 'input', 'output', 'cacheRead', 'cacheWrite'] as const
/** Strings, a column each, by their index in the block's table (NONE: null). */
const STRINGS = ['clientKey', 'api', 'method', 'path', 'model', 'served', 'key'] as const
/** Small integers, a column each: the strings, then status, stream, how many attempts. */
const INTEGERS = [...STRINGS, 'status', 'stream', 'attempts'] as const
const [STATUS, STREAM, ATTEMPTS] = [7, 8, 9]
/** Each attempt: its key, endpoint and outcome, by index. */
const ATTEMPT = 3
const NONE = 0xffffffff

/** What the head of a block holds. */
interface Head {
  strings: string[]
  ids: string[]
  /** Prompt and completion of each record, only where LOG_BODIES kept some. */
  bodies?: (string | null)[]
}

/** A block's columns, in memory or read back. */
interface Columns {
  head: Head
  numbers: Float64Array
  integers: Uint32Array
  attempts: Uint32Array
}

export class RequestBlock implements RecordsToWrite {
  length = 0
  private numbers = new Float64Array(256 * NUMBERS.length)
  private integers = new Uint32Array(256 * INTEGERS.length)
  private attempts = new Uint32Array(256 * ATTEMPT)
  private attemptsLength = 0
  private readonly head: Head = { strings: [], ids: [] }
  private readonly index = new Map<string, number>()
  /**
   * Each string column's last string and its index (the attempts' three after the record's seven): a request's path
   * and model are fresh copies of few values, cheaper compared with the last than hashed to find in the table.
   */
  private readonly lastString: (string | null)[] = Array(STRINGS.length + ATTEMPT).fill(null)
  private readonly lastIndex: number[] = Array(STRINGS.length + ATTEMPT).fill(NONE)

  add(r: RequestRow): void {
    if ((this.length + 1) * NUMBERS.length > this.numbers.length) {
      this.numbers = grown(this.numbers)
      this.integers = grown(this.integers)
    }
    const [n, i] = [this.length * NUMBERS.length, this.length * INTEGERS.length]
    const numbers = this.numbers
    numbers[n] = r.at
    numbers[n + 1] = r.cost ?? NaN
    numbers[n + 2] = r.durationMs
    numbers[n + 3] = r.ttfbMs ?? NaN
    numbers[n + 4] = r.input
    numbers[n + 5] = r.output
    numbers[n + 6] = r.cacheRead
    numbers[n + 7] = r.cacheWrite
    const integers = this.integers
    integers[i] = this.indexOf(0, r.clientKey)
    integers[i + 1] = this.indexOf(1, r.api)
    integers[i + 2] = this.indexOf(2, r.method)
    integers[i + 3] = this.indexOf(3, r.path)
    integers[i + 4] = this.indexOf(4, r.model)
    integers[i + 5] = this.indexOf(5, r.served)
    integers[i + 6] = this.indexOf(6, r.key)
    integers[i + STATUS] = r.status
    integers[i + STREAM] = r.stream ? 1 : 0
    integers[i + ATTEMPTS] = r.attempts.length
    for (const a of r.attempts) this.addAttempt(a)
    this.head.ids.push(r.id)
    if (r.prompt !== null || r.completion !== null) this.addBodies(r.prompt, r.completion)
    this.length++
  }

  /** Read from the columns as the block is written, not kept up as records come (a few stores fewer a request). */
  summary(): BlockSummary {
    const s: BlockSummary = { first: Infinity, last: -Infinity, statuses: new Set(), clientKeys: new Set(), models: new Set() }
    const strings = new Set<number>()
    for (let r = 0; r < this.length; r++) {
      const [n, i] = [r * NUMBERS.length, r * INTEGERS.length]
      s.first = Math.min(s.first, this.numbers[n])
      s.last = Math.max(s.last, this.numbers[n])
      s.statuses.add(this.integers[i + STATUS])
      s.clientKeys.add(this.head.strings[this.integers[i]])
      strings.add(this.integers[i + 4]).add(this.integers[i + 5])
    }
    for (const m of strings) if (m !== NONE) s.models.add(this.head.strings[m])
    return s
  }

  /** The block as written: the head's length (4 bytes), the head, padding to 8 bytes, the columns. */
  bytes(): Uint8Array {
    const head = new TextEncoder().encode(JSON.stringify(this.head))
    const { numbers, integers, attempts } = this.columns()
    const parts = [numbers, integers, attempts]
    const start = Math.ceil((4 + head.length) / 8) * 8
    const out = new Uint8Array(start + parts.reduce((sum, p) => sum + p.byteLength, 0))
    new DataView(out.buffer).setUint32(0, head.length, true)
    out.set(head, 4)
    let at = start
    for (const p of parts) {
      out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at)
      at += p.byteLength
    }
    return out
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

  private addAttempt(a: AttemptLog): void {
    if ((this.attemptsLength + 1) * ATTEMPT > this.attempts.length) this.attempts = grown(this.attempts)
    const at = this.attemptsLength++ * ATTEMPT
    this.attempts[at] = this.indexOf(STRINGS.length, a.key)
    this.attempts[at + 1] = this.indexOf(STRINGS.length + 1, a.endpoint)
    this.attempts[at + 2] = this.indexOf(STRINGS.length + 2, a.outcome)
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
  const numbers = new Float64Array(buffer, at, head.ids.length * NUMBERS.length)
  at += numbers.byteLength
  const integers = new Uint32Array(buffer, at, head.ids.length * INTEGERS.length)
  at += integers.byteLength
  return rowsOf({ head, numbers, integers, attempts: new Uint32Array(buffer, at, (buffer.byteLength - at) / 4) })
}

function rowsOf({ head, numbers, integers, attempts }: Columns): RequestRow[] {
  const string = (i: number) => (i === NONE ? null : head.strings[i])
  const orNull = (x: number) => (Number.isNaN(x) ? null : x)
  const rows: RequestRow[] = []
  let tried = 0
  for (let r = 0; r < head.ids.length; r++) {
    const [n, i] = [r * NUMBERS.length, r * INTEGERS.length]
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
      id: head.ids[r],
      clientKey: string(integers[i])!,
      api: string(integers[i + 1])!,
      method: string(integers[i + 2])!,
      path: string(integers[i + 3])!,
      model: string(integers[i + 4]),
      served: string(integers[i + 5]),
      key: string(integers[i + 6]),
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
function grown<A extends Float64Array | Uint32Array>(column: A): A {
  const longer = new (column.constructor as new (length: number) => A)(column.length * 2)
  longer.set(column)
  return longer
}
