/**
 * Request records as the usage store keeps them: in batches, a line each
 * (state/usage-rows.ts, state/usage-store.ts). A line reads back as its
 * record; batches that overlap in time (two processes flushing the same
 * seconds) still page newest first, each record once; a filter finds every
 * match and nothing else; a page that would read too many records ends early
 * with a cursor that goes on without losing or repeating a record.
 */
import { expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { bunPlatform } from '../../src/runtime/bun'
import { blockRows, type Ended, RequestBlock } from '../../src/state/request-block'
import { type RequestQuery, type RequestRow, recordLine, recordOf } from '../../src/state/usage-rows'
import { UsageStore } from '../../src/state/usage-store'

const T0 = Date.parse('2026-12-01T00:00:00Z')

function record(at: number, o: Partial<RequestRow> = {}): RequestRow {
  return {
    at,
    id: `req-${at}-${o.clientKey ?? 'a'}-${o.status ?? 200}`,
    clientKey: 'a',
    api: 'openai',
    method: 'POST',
    path: '/v1/chat/completions',
    model: 'gpt-4o',
    served: 'openai/gpt-4o',
    key: 'abcdef012345',
    status: 200,
    input: 10,
    output: 2,
    cacheRead: 0,
    cacheWrite: 0,
    cost: 0.00005,
    durationMs: 12.5,
    ttfbMs: null,
    stream: false,
    attempts: [{ key: 'sk-...2345', endpoint: 'https://api.openai.com/v1', outcome: '200' }],
    prompt: null,
    completion: null,
    ...o,
  }
}

/** `r` as the block takes it, as its request ended: billed (counted in the totals) where something served it. */
function ended(r: RequestRow, billed = r.served !== null): Ended {
  const slash = r.served?.indexOf('/') ?? -1
  const deployment = r.served === null ? undefined : { service: r.served.slice(0, slash), model: r.served.slice(slash + 1) }
  const { input, output, cacheRead, cacheWrite } = r
  return {
    record: {
      id: r.id,
      api: r.api,
      method: r.method,
      path: r.path,
      model: r.model ?? undefined,
      clientKey: r.clientKey,
      billed: billed && deployment ? { ...deployment, upstreamModel: deployment.model, keyId: r.key } : undefined,
      tried: billed ? undefined : deployment,
      tokens: { input, output, cacheRead, cacheWrite },
      ttfbMs: r.ttfbMs ?? undefined,
      start: 0,
      stream: r.stream,
      attempts: [...r.attempts],
    },
    status: r.status,
    at: r.at,
    endedAt: r.durationMs,
    cost: r.cost ?? undefined,
    prompt: r.prompt,
    completion: r.completion,
  }
}

/** A store holding `batches`, whose pages read `readMax` records at most. */
function storeWith(batches: RequestRow[][], readMax?: number) {
  const store = new UsageStore(
    bunPlatform.openDatabase(join(mkdtempSync(join(tmpdir(), 'lmlb-batches-')), 'usage.sqlite')),
    () => 400,
    () => 7,
    () => T0 + 3_600_000,
    readMax,
  )
  for (const records of batches) {
    const block = new RequestBlock()
    for (const r of records) block.add(ended(r))
    store.add([], block)
  }
  return store
}

/** Every page `q` gives, followed by `next` to the end: the records' ids, and how many pages. */
function pages(store: UsageStore, q: Partial<RequestQuery> & { limit: number }) {
  const ids: string[] = []
  let [cursor, count] = [undefined as string | undefined, 0]
  do {
    const page = store.requests({ from: T0, to: T0 + 3_600_000, ...q, cursor })
    ids.push(...page.rows.map((r) => (r as { id: string }).id))
    cursor = page.next ?? undefined
    count++
  } while (cursor && count < 1000)
  return { ids, count }
}

test("a record's line reads back as the record; a line written before a field was added reads it as null", () => {
  const r = record(T0, { prompt: 'say "hi"\n', completion: 'hi', ttfbMs: 3.5, stream: true })
  expect(recordOf(recordLine(r))).toEqual(r)
  const older = JSON.stringify(JSON.parse(recordLine(r)).slice(0, -2))
  expect(recordOf(older)).toEqual({ ...r, prompt: null, completion: null })
})

test('a block reads back as its records: nulls, bodies on some records only, several attempts or none, past its first size', () => {
  const records = Array.from({ length: 700 }, (_, i) =>
    record(T0 + i, {
      id: i % 11 === 0 ? `client-given-${i}` : crypto.randomUUID(),
      ...(i % 3 === 0 && { model: null, served: null, key: null, cost: null, attempts: [] }),
      ...(i % 5 === 0 && { ttfbMs: 1.5, stream: true, input: 2 ** 40, cacheRead: 7 }),
      ...(i === 300 && { prompt: 'say "hé" ☃\n', completion: '' }),
      ...(i % 7 === 0 && {
        attempts: [
          { key: null, endpoint: 'http://127.0.0.1:1/v1', outcome: 'connect' },
          { key: 'sk-...9999', endpoint: 'https://api.openai.com/v1', outcome: '429' },
          { key: 'sk-...2345', endpoint: 'https://api.openai.com/v1', outcome: '200' },
        ],
      }),
    }),
  )
  // Ids that are no lowercase UUID are kept as they came.
  const uuid = crypto.randomUUID()
  records[1].id = uuid.toUpperCase()
  records[2].id = `${uuid.slice(0, 35)}g`
  records[3].id = `${uuid.slice(0, 8)}_${uuid.slice(9)}`
  records[4].id = `${uuid}0`
  const block = new RequestBlock()
  for (const r of records) block.add(ended(r))
  expect(block.rows()).toEqual(records)
  expect(blockRows(block.bytes())).toEqual(records)
  // As SQLite may hand them back: at an offset that is no multiple of 8.
  const bytes = block.bytes()
  const shifted = new Uint8Array(bytes.length + 3)
  shifted.set(bytes, 3)
  expect(blockRows(shifted.subarray(3))).toEqual(records)
  expect(block.summary()).toEqual({
    first: T0,
    last: T0 + 699,
    statuses: new Set([200]),
    clientKeys: new Set(['a']),
    models: new Set(['gpt-4o', 'openai/gpt-4o']),
  })
})

test('request ids made by lmlb (UUIDs) are kept as their 16 bytes; a block written before that reads as before', () => {
  const records = Array.from({ length: 100 }, (_, i) => record(T0 + i, { id: crypto.randomUUID() }))
  const block = new RequestBlock()
  for (const r of records) block.add(ended(r))
  const bytes = block.bytes()
  expect(blockRows(bytes)).toEqual(records)
  const headLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true)
  const head = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + headLength)))
  expect(head).toEqual({ strings: expect.any(Array), count: 100 })
  // As blocks were written before: every id in the head, no column of UUIDs (16 bytes a record, after 8 numbers and 10 integers).
  const before = new TextEncoder().encode(JSON.stringify({ strings: head.strings, ids: records.map((r) => r.id) }))
  const columns = bytes.subarray(Math.ceil((4 + headLength) / 8) * 8)
  const numbersAndIntegers = columns.subarray(0, 100 * (8 * 8 + 10 * 4))
  const attempts = columns.subarray(numbersAndIntegers.length + 100 * 16)
  const at = Math.ceil((4 + before.length) / 8) * 8
  const old = new Uint8Array(at + numbersAndIntegers.length + attempts.length)
  new DataView(old.buffer).setUint32(0, before.length, true)
  old.set(before, 4)
  old.set(numbersAndIntegers, at)
  old.set(attempts, at + numbersAndIntegers.length)
  expect(blockRows(old)).toEqual(records)
})

test('a block adds up its billed records by hour, client key, upstream key, service and model; cleared, it starts afresh', () => {
  const HOUR = 3_600_000
  const block = new RequestBlock()
  const billed = [
    record(T0, { key: 'k1' }),
    record(T0 + 1, { key: 'k2', cost: null, input: 5 }),
    record(T0 + 2, { key: 'k1', input: 7, output: 3, cacheRead: 4, cacheWrite: 1 }),
    record(T0 + HOUR, { key: 'k1' }),
    record(T0 + 3, { clientKey: 'b', key: 'k1' }),
    record(T0 + 4, { key: null, served: 'vllm/org/model-7b', cost: 0 }),
  ]
  for (const r of billed) block.add(ended(r))
  // Reached no upstream: a record, counted in no total.
  block.add(ended(record(T0 + 5, { key: null, served: null, model: 'gpt-4o', status: 404 })))
  const zero = { requests: 0, input: 0, output: 0, cacheRead: 0, cacheWrite: 0, cost: 0, unpriced: 0 }
  const row = (period: number, clientKey: string, key: string, service: string, model: string, o: object) => ({
    period,
    clientKey,
    key,
    service,
    model,
    ...zero,
    ...o,
  })
  const hour = T0 / HOUR
  const byName = (rows: { period: number; clientKey: string; key: string }[]) =>
    rows.toSorted((a, b) => `${a.period}${a.clientKey}${a.key}`.localeCompare(`${b.period}${b.clientKey}${b.key}`))
  expect(byName(block.usageRows())).toEqual(
    byName([
      row(hour, 'a', 'k1', 'openai', 'gpt-4o', { requests: 2, input: 17, output: 5, cacheRead: 4, cacheWrite: 1, cost: 0.0001 }),
      row(hour, 'a', 'k2', 'openai', 'gpt-4o', { requests: 1, input: 5, output: 2, unpriced: 1 }),
      row(hour, 'a', 'none', 'vllm', 'org/model-7b', { requests: 1, input: 10, output: 2 }),
      row(hour, 'b', 'k1', 'openai', 'gpt-4o', { requests: 1, input: 10, output: 2, cost: 0.00005 }),
      row(hour + 1, 'a', 'k1', 'openai', 'gpt-4o', { requests: 1, input: 10, output: 2, cost: 0.00005 }),
    ]),
  )
  // Its memory kept, nothing of what it held: a shorter block after a longer one reads back as itself alone.
  const long = Array.from({ length: 600 }, (_, i) => record(T0 + i, { id: `long-${i}`, model: `m-${i}` }))
  for (const r of long) block.add(ended(r))
  expect(blockRows(block.bytes()).length).toBe(long.length + billed.length + 1)
  block.clear()
  expect(block.length).toBe(0)
  expect(block.usageRows()).toEqual([])
  const short = [record(T0 + 9, { id: 'short', model: 'gpt-4o-mini', attempts: [] })]
  block.add(ended(short[0]))
  expect(blockRows(block.bytes())).toEqual(short)
  expect(block.bytes().length).toBeLessThan(500)
  expect(block.rows()).toEqual(short)
  expect(block.summary().models).toEqual(new Set(['gpt-4o-mini', 'openai/gpt-4o']))
  expect(block.usageRows()).toEqual([
    row(hour, 'a', 'abcdef012345', 'openai', 'gpt-4o', { requests: 1, input: 10, output: 2, cost: 0.00005 }),
  ])
})

test('a batch kept as lines (before blocks) is read as before', () => {
  const store = storeWith([[record(T0 + 5)]])
  const r = record(T0 + 1, { id: 'as-a-line' })
  const db = (store as unknown as { db: { run(sql: string, ...p: unknown[]): void } }).db
  db.run(
    'INSERT INTO request_batches (first_at, last_at, statuses, client_keys, models, records) VALUES (?, ?, ?, ?, ?, ?)',
    r.at,
    r.at,
    '\n200\n',
    '\na\n',
    '\ngpt-4o\nopenai/gpt-4o\n',
    recordLine(r),
  )
  expect(pages(store, { limit: 10 }).ids).toEqual([`req-${T0 + 5}-a-200`, 'as-a-line'])
})

test('batches that overlap in time page newest first, each record once, whatever the page size', () => {
  // Two processes' batches over the same seconds, then a later one.
  const a = [0, 2, 4, 6, 8].map((s) => record(T0 + s * 1000, { clientKey: 'a' }))
  const b = [1, 3, 5, 7, 9].map((s) => record(T0 + s * 1000, { clientKey: 'b' }))
  const c = [10, 10, 11].map((s, i) => record(T0 + s * 1000, { clientKey: 'c', status: 200 + i }))
  const store = storeWith([a, b, c])
  const newestFirst = [...a, ...b, ...c]
    .map((r, i) => ({ r, i }))
    .sort((x, y) => y.r.at - x.r.at || y.i - x.i)
    .map(({ r }) => r.id)
  for (const limit of [1, 2, 3, 5, 13, 100]) {
    const { ids, count } = pages(store, { limit })
    expect({ limit, ids }).toEqual({ limit, ids: newestFirst })
    expect(count).toBe(Math.max(1, Math.ceil(newestFirst.length / limit)))
  }
})

test('filters find every match and nothing else: client key, a status or its class, a model as asked or as served', () => {
  const store = storeWith([
    [record(T0, { clientKey: 'x', status: 429 }), record(T0 + 1, { model: 'gpt-4o-mini', served: 'openai/gpt-4o-mini' })],
    [record(T0 + 2, { status: 502 }), record(T0 + 3, { clientKey: 'x' })],
    [record(T0 + 4, { model: 'big', served: 'openai/gpt-4o', status: 500 })],
  ])
  const ids = (q: Partial<RequestQuery>) => pages(store, { limit: 100, ...q }).ids.map((id) => id.slice(4))
  const at = (n: number, rest: string) => `${T0 + n}-${rest}`
  expect(ids({ clientKey: 'x' })).toEqual([at(3, 'x-200'), at(0, 'x-429')])
  expect(ids({ status: 429 })).toEqual([at(0, 'x-429')])
  expect(ids({ status: { from: 500 } })).toEqual([at(4, 'a-500'), at(2, 'a-502')])
  expect(ids({ model: 'gpt-4o-mini' })).toEqual([at(1, 'a-200')])
  // gpt-4o: as asked, or served as openai/gpt-4o (the `big` alias); never gpt-4o-mini.
  expect(ids({ model: 'gpt-4o' })).toEqual([at(4, 'a-500'), at(3, 'x-200'), at(2, 'a-502'), at(0, 'x-429')])
  expect(ids({ model: 'openai/gpt-4o-mini' })).toEqual([at(1, 'a-200')])
  expect(ids({ clientKey: 'x', status: 200 })).toEqual([at(3, 'x-200')])
  expect(ids({ clientKey: 'nobody' })).toEqual([])
})

test('a page that would read more than 100 records (50 batches here) ends early with what it is sure of; its cursor goes on to every match, once', () => {
  // 120 batches each holding client x (status 200) and a 500 (client y): every one passes the batches' lists for
  // "client x, 500", and only batches 5 and 115 hold such a record, and batch 100 one from much earlier (a slow
  // request's record, flushed late) that the first page opens but cannot be sure of.
  const batches = Array.from({ length: 120 }, (_, i) => [
    record(T0 + i * 10, { clientKey: 'x', status: i === 5 || i === 115 ? 500 : 200 }),
    record(T0 + i * 10 + 1, { clientKey: 'y', status: 500 }),
  ])
  batches[100].push(record(T0 + 605, { clientKey: 'x', status: 500 }))
  const store = storeWith(batches, 100)
  const { ids, count } = pages(store, { limit: 10, clientKey: 'x', status: 500 })
  expect(ids).toEqual([`req-${T0 + 1150}-x-500`, `req-${T0 + 605}-x-500`, `req-${T0 + 50}-x-500`])
  expect(count).toBe(3)
})
