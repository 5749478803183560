/**
 * Usage shared through Redis, so that every instance answers
 * GET /admin/usage alike and budgets and key caps hold for all of them.
 * Each flush's batch is added by one script, atomically and once (the
 * batch's id is claimed first: a batch sent again after a lost reply adds
 * nothing); an instance cut from Redis keeps its batches and sends them
 * when it is back. Per hour and per day, a hash of totals by client key,
 * upstream key, service and model (`<prefix>:usage:h:<hour>`,
 * `<prefix>:usage:d:<day>`), kept as long as the usage store keeps them;
 * and what each client key and upstream key spent this day and month
 * (`<prefix>:spend:{client,key}:{d,m}:<n>`), which budgets and caps read.
 */
import type { SpentSoFar } from '../balancer/spend-budgets'
import type Redis from 'ioredis'
import { asked, requestView, type RequestPage, type RequestQuery, recordOf, type SharedUsage, type UsageRow } from '../state/usage-rows'
import { rollUp } from '../state/usage-store'
import type { RedisLink } from './redis-link'

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS
const SEP = '\t'
const METRICS = ['requests', 'input', 'output', 'cache_read', 'cache_write', 'unpriced'] as const

/**
 * ARGV: the batch id, the prefix, hourly and daily time to live (s), then
 * the rows as JSON: [hour, day, month, "client\tkey\tservice\tmodel", client,
 * "service/key", requests, input, output, cache_read, cache_write, unpriced, cost].
 */
const ADD = `
if not redis.call('SET', ARGV[2] .. ':usage:batch:' .. ARGV[1], '1', 'NX', 'EX', 604800) then return 0 end
local metrics = {'requests', 'input', 'output', 'cache_read', 'cache_write', 'unpriced'}
for _, r in ipairs(cjson.decode(ARGV[5])) do
  for _, t in ipairs({{':usage:h:' .. r[1], ARGV[3]}, {':usage:d:' .. r[2], ARGV[4]}}) do
    local name = ARGV[2] .. t[1]
    for i, m in ipairs(metrics) do
      if r[6 + i] ~= 0 then redis.call('HINCRBY', name, r[4] .. '\\t' .. m, r[6 + i]) end
    end
    if r[13] ~= 0 then redis.call('HINCRBYFLOAT', name, r[4] .. '\\tcost', tostring(r[13])) end
    redis.call('EXPIRE', name, t[2])
  end
  if r[13] ~= 0 then
    local spends = {{':spend:client:d:' .. r[2], r[5]}, {':spend:client:m:' .. r[3], r[5]},
                    {':spend:key:d:' .. r[2], r[6]}, {':spend:key:m:' .. r[3], r[6]}}
    for _, s in ipairs(spends) do
      redis.call('HINCRBYFLOAT', ARGV[2] .. s[1], s[2], tostring(r[13]))
      redis.call('EXPIRE', ARGV[2] .. s[1], 3024000)
    end
  end
end
return 1
`

/** Stream entries read at a time while looking for a page of records. */
const SCAN = 1_000
/** At most this many entries read for one page (a filter that matches little stops here, with a cursor to go on). */
const SCAN_MAX = 20_000

export function redisUsage(
  link: RedisLink,
  keptDays: () => { hourly: number; daily: number },
  /** The most request records the shared stream holds (LMLB_REQUESTS_SHARED). */
  streamMax: () => number,
): SharedUsage {
  const name = (suffix: string) => `${link.prefix}:${suffix}`
  return {
    async addRequests(lines) {
      const client = link.usable()
      if (!client || lines.length === 0) return
      const pipeline = client.pipeline()
      for (const line of lines) pipeline.xadd(name('requests'), 'MAXLEN', '~', streamMax(), '*', 'r', line)
      await pipeline.exec().catch(() => {})
    },
    async requests(q) {
      const client = link.usable()
      return client ? pageOfStream(client, name('requests'), q).catch(() => undefined) : undefined
    },
    async add(batchId, rows) {
      const client = link.usable()
      if (!client) return false
      const { hourly, daily } = keptDays()
      try {
        await client.eval(ADD, 0, batchId, link.prefix, hourly * 86_400, daily * 86_400, JSON.stringify(rows.map(encoded)))
        return true
      } catch {
        return false
      }
    },
    async spentBy(by, today, month) {
      const client = link.usable()
      if (!client) return undefined
      const who = by === 'key' ? 'key' : 'client'
      try {
        const [day, whole] = await Promise.all([
          client.hgetall(name(`spend:${who}:d:${today}`)),
          client.hgetall(name(`spend:${who}:m:${month}`)),
        ])
        const spent = new Map<string, SpentSoFar>()
        for (const [who, usd] of Object.entries(whole)) spent.set(who, { day: Number(day[who] ?? 0), month: Number(usd) })
        return spent
      } catch {
        return undefined
      }
    },
    async query(q) {
      const client = link.usable()
      if (!client) return undefined
      const daily = !q.groupBy.includes('hour') && q.from % DAY_MS === 0 && q.to % DAY_MS === 0
      const unit = daily ? DAY_MS : HOUR_MS
      const periods: number[] = []
      for (let p = Math.floor(q.from / unit); p < Math.ceil(q.to / unit); p++) periods.push(p)
      try {
        const pipeline = client.pipeline()
        for (const p of periods) pipeline.hgetall(name(`usage:${daily ? 'd' : 'h'}:${p}`))
        const hashes = ((await pipeline.exec()) ?? []).map(([error, hash]) => {
          if (error) throw error
          return hash as Record<string, string>
        })
        return rollUp(
          periods.flatMap((p, i) => rowsOf(hashes[i], daily ? p * 24 : p)),
          q,
        )
      } catch {
        return undefined
      }
    },
  }
}

/** A page of the stream's records, newest first, that `q` asks for; at most SCAN_MAX entries read. */
async function pageOfStream(client: Redis, stream: string, q: RequestQuery): Promise<RequestPage> {
  const rows: object[] = []
  let end = q.cursor && /^\d+-\d+$/.test(q.cursor) ? `(${q.cursor}` : '+'
  let last: string | undefined
  for (let read = 0; rows.length < q.limit && read < SCAN_MAX; read += SCAN) {
    const entries = await client.xrevrange(stream, end, '-', 'COUNT', SCAN)
    for (const [id, fields] of entries) {
      last = id
      const row = recordOf(fields[1])
      if (asked(row, q)) rows.push(requestView(row))
      if (rows.length === q.limit) break
    }
    if (entries.length < SCAN) return { rows, next: rows.length === q.limit ? (last ?? null) : null }
    end = `(${last}`
  }
  return { rows, next: last ?? null }
}

function encoded(r: UsageRow): (string | number)[] {
  const day = Math.floor(r.period / 24)
  const d = new Date(r.period * HOUR_MS)
  const month = d.getUTCFullYear() * 12 + d.getUTCMonth()
  const field = [r.clientKey, r.key, r.service, r.model].join(SEP)
  return [
    r.period,
    day,
    month,
    field,
    r.clientKey,
    `${r.service}/${r.key}`,
    r.requests,
    r.input,
    r.output,
    r.cacheRead,
    r.cacheWrite,
    r.unpriced,
    r.cost,
  ]
}

/** A period's hash back into rows (the hour given: a day's rows say its first hour). */
function rowsOf(hash: Record<string, string>, hour: number): UsageRow[] {
  const rows = new Map<string, UsageRow>()
  for (const [field, value] of Object.entries(hash)) {
    const cut = field.lastIndexOf(SEP)
    const who = field.slice(0, cut)
    const metric = field.slice(cut + 1)
    let row = rows.get(who)
    if (!row) {
      const [clientKey, key, service, model] = who.split(SEP)
      rows.set(
        who,
        (row = {
          period: hour,
          clientKey,
          key,
          service,
          model,
          requests: 0,
          input: 0,
          output: 0,
          cacheRead: 0,
          cacheWrite: 0,
          cost: 0,
          unpriced: 0,
        }),
      )
    }
    const n = Number(value)
    if (metric === 'cost') row.cost += n
    else if ((METRICS as readonly string[]).includes(metric)) row[FIELD_OF[metric as (typeof METRICS)[number]]] += n
  }
  return [...rows.values()]
}

const FIELD_OF = {
  requests: 'requests',
  input: 'input',
  output: 'output',
  cache_read: 'cacheRead',
  cache_write: 'cacheWrite',
  unpriced: 'unpriced',
} as const
