/**
 * Session affinity end to end, against an upstream that emulates a
 * provider's prompt cache per key (helpers/prompt-cache.ts): conversations
 * stay on their key and read their prefix from its cache; with affinity off
 * they round-robin and write it again and again. Then the pin's ways out:
 * a 429 on the pinned key, a reload that drops it; requests without a
 * session; and no session id ever shown whole.
 */
import { afterEach, describe, expect, test } from 'bun:test'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { startPromptCache, type CacheCall, type PromptCacheUpstream } from '../helpers/prompt-cache'

const KEYS = ['sk-aff-test-key-0001', 'sk-aff-test-key-0002', 'sk-aff-test-key-0003', 'sk-aff-test-key-0004']
const CONVERSATIONS = 10
const TURNS = 15
const SYSTEM_CHARS = 8_000

const started: { stop(): Promise<void> }[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()))
})

type ClientFormat = 'anthropic' | 'openai'
/** How the client names its session: a header, or a body field. */
type Identity = 'claude-code-header' | 'lmlb-header' | 'codex-header' | 'user' | 'prompt_cache_key' | 'metadata.user_id' | 'none'

interface Conversation {
  name: string
  session: string
  system: string
  messages: { role: 'user' | 'assistant'; content: string }[]
  stream: boolean
}

function conversation(name: string, stream = false): Conversation {
  // Each conversation's own long system prompt (as Claude Code's carries its cwd, date, files): caching matters, and its prefix is its own from the first byte.
  const head = `[conv:${name}] You are a careful assistant working on project ${name}. `
  const filler = Array.from({ length: Math.ceil(SYSTEM_CHARS / 20) }, (_, i) => `rule ${i} of ${name}: be exact and brief. `).join('')
  return { name, session: crypto.randomUUID(), system: (head + filler).slice(0, SYSTEM_CHARS), messages: [], stream }
}

function identityOf(identity: Identity, session: string): { headers: Record<string, string>; fields: Record<string, unknown> } {
  switch (identity) {
    case 'claude-code-header':
      return { headers: { 'x-claude-code-session-id': session }, fields: {} }
    case 'lmlb-header':
      return { headers: { 'x-lmlb-session': session }, fields: {} }
    case 'codex-header':
      return { headers: { session_id: session }, fields: {} }
    case 'user':
      return { headers: {}, fields: { user: session } }
    case 'prompt_cache_key':
      return { headers: {}, fields: { prompt_cache_key: session } }
    case 'metadata.user_id':
      return { headers: {}, fields: { metadata: { user_id: session } } }
    case 'none':
      return { headers: {}, fields: {} }
  }
}

/** The assistant's text out of an answer, plain or streamed, in the client's format. */
function replyText(format: ClientFormat, stream: boolean, text: string): string {
  if (!stream) {
    const body = JSON.parse(text)
    return format === 'anthropic' ? body.content.map((b: { text?: string }) => b.text ?? '').join('') : body.choices[0].message.content
  }
  let out = ''
  for (const line of text.split('\n')) {
    if (!line.startsWith('data: ') || line === 'data: [DONE]') continue
    const data = JSON.parse(line.slice(6))
    out += format === 'anthropic' ? (data.delta?.type === 'text_delta' ? data.delta.text : '') : (data.choices?.[0]?.delta?.content ?? '')
  }
  return out
}

/** One turn: the conversation so far plus a new user message; the answer is appended. */
async function turn(lmlb: RunningLmlb, format: ClientFormat, model: string, identity: Identity, conv: Conversation): Promise<number> {
  const n = conv.messages.length / 2 + 1
  const user = { role: 'user' as const, content: `Turn ${n} of ${conv.name}: continue with step ${n}, and show the result.` }
  const messages = [...conv.messages, user]
  const id = identityOf(identity, conv.session)
  const body =
    format === 'anthropic'
      ? { model, max_tokens: 64, system: conv.system, messages, stream: conv.stream, ...id.fields }
      : {
          model,
          messages: [{ role: 'system', content: conv.system }, ...messages],
          stream: conv.stream,
          ...(conv.stream && { stream_options: { include_usage: true } }),
          ...id.fields,
        }
  const res = await fetch(`${lmlb.url}${format === 'anthropic' ? '/v1/messages' : '/v1/chat/completions'}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(format === 'anthropic' && { 'anthropic-version': '2023-06-01' }), ...id.headers },
    body: JSON.stringify(body),
  })
  const text = await res.text()
  if (res.status !== 200) throw new Error(`${conv.name} turn ${n}: ${res.status} ${text}`)
  conv.messages.push(user, { role: 'assistant', content: replyText(format, conv.stream, text) })
  return res.status
}

interface Setup {
  lmlb: RunningLmlb
  cache: PromptCacheUpstream
  service: string
}

async function setup(service: 'anthropic' | 'openai', env: Record<string, string> = {}, keys = KEYS): Promise<Setup> {
  const cache = startPromptCache()
  const variable = service === 'anthropic' ? 'ANTHROPIC_API_KEYS' : 'OPENAI_API_KEYS'
  const lmlb = await startLmlb({
    env: { [variable]: keys.join(','), SERVICE_ENDPOINTS: JSON.stringify({ [service]: [cache.base] }), ...env },
  })
  started.push(cache, lmlb)
  return { lmlb, cache, service }
}

const getStats = async (lmlb: RunningLmlb) => (await (await fetch(`${lmlb.url}/stats`)).json()).load_balancer_stats

interface RunResult {
  share: number
  /** Tokens written to the cache, and all input tokens. */
  written: number
  total: number
  statsShare: number
  keysPerConversation: Map<string, Set<string>>
  sessionsPerKey: Map<string, Set<string>>
  affinity: any
  ms: number
}

/** 10 conversations at once, 15 turns each, every other one streamed. */
async function tenByFifteen(s: Setup, format: ClientFormat, model: string, identity: Identity): Promise<RunResult> {
  const convs = Array.from({ length: CONVERSATIONS }, (_, i) => conversation(`c${i}`, i % 2 === 1))
  const t0 = performance.now()
  await Promise.all(
    convs.map(async (c) => {
      for (let t = 0; t < TURNS; t++) await turn(s.lmlb, format, model, identity, c)
    }),
  )
  const ms = performance.now() - t0
  const calls = s.cache.calls.filter((c) => c.conv !== undefined)
  expect(calls).toHaveLength(CONVERSATIONS * TURNS)
  expect(calls.every((c) => c.status === 200)).toBe(true)
  const keysPerConversation = new Map<string, Set<string>>()
  const sessionsPerKey = new Map<string, Set<string>>()
  for (const c of calls) {
    keysPerConversation.set(c.conv!, (keysPerConversation.get(c.conv!) ?? new Set()).add(c.key))
    sessionsPerKey.set(c.key, (sessionsPerKey.get(c.key) ?? new Set()).add(c.conv!))
  }
  const stats = (await getStats(s.lmlb))[s.service]
  const keys = stats.keys as { cache_read_tokens: number; tokens_in: number }[]
  const statsShare = keys.reduce((n, k) => n + k.cache_read_tokens, 0) / keys.reduce((n, k) => n + k.tokens_in, 0)
  const { share, write, total } = s.cache.share()
  return { share, written: write, total, statsShare, keysPerConversation, sessionsPerKey, affinity: stats.affinity, ms }
}

const round = (x: number) => Math.round(x * 1000) / 1000

function expectPinnedRun(on: RunResult) {
  // Every conversation stayed on one key, all 15 turns.
  for (const [conv, keys] of on.keysPerConversation) expect({ conv, keys: [...keys] }).toEqual({ conv, keys: [expect.any(String)] })
  // 10 sessions over 4 keys: 2 or 3 on each.
  expect(on.sessionsPerKey.size).toBe(KEYS.length)
  for (const sessions of on.sessionsPerKey.values()) expect([2, 3]).toContain(sessions.size)
  expect(on.affinity).toMatchObject({
    mode: 'session',
    pinned_sessions: CONVERSATIONS,
    new_pins: CONVERSATIONS,
    hits: CONVERSATIONS * (TURNS - 1),
    repins: {},
  })
}

describe('10 conversations × 15 turns over 4 keys: the prompt cache is read, not written again', () => {
  const cases: { label: string; service: 'anthropic' | 'openai'; format: ClientFormat; model: string; identity: Identity }[] = [
    {
      label: 'Anthropic client, Anthropic service, Claude Code header',
      service: 'anthropic',
      format: 'anthropic',
      model: 'claude-test-1',
      identity: 'claude-code-header',
    },
    { label: 'OpenAI client, OpenAI service, user field', service: 'openai', format: 'openai', model: 'gpt-test', identity: 'user' },
    {
      label: 'OpenAI client, OpenAI service, prompt_cache_key',
      service: 'openai',
      format: 'openai',
      model: 'gpt-test',
      identity: 'prompt_cache_key',
    },
    {
      label: 'Anthropic client (Claude Code header) on an OpenAI-format upstream, translated',
      service: 'openai',
      format: 'anthropic',
      model: 'openai/gpt-test',
      identity: 'claude-code-header',
    },
  ]
  for (const c of cases) {
    test(c.label, async () => {
      const [onSetup, offSetup] = await Promise.all([setup(c.service), setup(c.service, { LMLB_AFFINITY: 'off' })])
      const [on, off] = await Promise.all([
        tenByFifteen(onSetup, c.format, c.model, c.identity),
        tenByFifteen(offSetup, c.format, c.model, c.identity),
      ])
      console.log(
        `[affinity] ${c.label}: cache-read share on=${round(on.share)} (lmlb /stats ${round(on.statsShare)}), off=${round(off.share)} (lmlb /stats ${round(off.statsShare)}); ` +
          `cache writes on=${on.written} off=${off.written} of ${on.total}/${off.total} input tokens; ` +
          `sessions per key on=${[...on.sessionsPerKey.values()].map((s) => s.size).join('/')}; keys per conversation off=${[...off.keysPerConversation.values()].map((k) => k.size).join('/')}; ` +
          `${Math.round(on.ms)} ms on, ${Math.round(off.ms)} ms off`,
      )
      // lmlb's own accounting (/stats cache_read_tokens over tokens_in) agrees with the provider's.
      expect(on.statsShare).toBeCloseTo(on.share, 2)
      expect(off.statsShare).toBeCloseTo(off.share, 2)
      expect(on.share).toBeGreaterThan(0.85)
      // Off, each conversation's prefix is written once on each key it visits (the stand-in's cache is generous:
      // any prefix a key has seen is read), so off still reads 0.71-0.82; what it pays is writes, 2.4-3.8× affinity's.
      // (Concurrent conversations in lockstep may each visit only 2 of the 4 keys: the least it can cost, asserted here.)
      expect(on.share - off.share).toBeGreaterThan(0.05)
      expect(off.written).toBeGreaterThan(1.5 * on.written)
      expectPinnedRun(on)
      // The same figures for Prometheus.
      const metrics = await (await fetch(`${onSetup.lmlb.url}/metrics`)).text()
      expect(metrics).toContain(`lmlb_affinity_sessions_pinned{service="${c.service}"} ${CONVERSATIONS}`)
      expect(metrics).toContain(
        `lmlb_affinity_requests_total{service="${c.service}",outcome="hit",reason=""} ${CONVERSATIONS * (TURNS - 1)}`,
      )
      expect(metrics).toMatch(
        new RegExp(`^lmlb_cache_tokens_total\\{kind="read",service="${c.service}",target="key",id="sk-\\.\\.\\.0001"\\} [1-9]\\d*$`, 'm'),
      )
      expect(off.affinity).toMatchObject({ mode: 'off', pinned_sessions: 0, hits: 0, new_pins: 0 })
      // Off, turns round-robin: conversations wander over the keys.
      expect([...off.keysPerConversation.values()].some((k) => k.size > 1)).toBe(true)
    })
  }
})

/** Starts sessions one turn at a time until two share a key; returns them and that key. */
async function twoOnOneKey(s: Setup, format: ClientFormat, model: string, identity: Identity) {
  const convs: Conversation[] = []
  const keyOf = (conv: Conversation) => s.cache.calls.filter((c) => c.conv === conv.name).at(-1)!.key
  for (let i = 0; i <= KEYS.length; i++) {
    const conv = conversation(`p${i}`)
    await turn(s.lmlb, format, model, identity, conv)
    await turn(s.lmlb, format, model, identity, conv)
    const other = convs.find((c) => keyOf(c) === keyOf(conv))
    if (other) return { a: other, b: conv, x: keyOf(conv), keyOf }
    convs.push(conv)
  }
  throw new Error('no two sessions shared a key among 5 over 4 keys')
}

const callsOf = (cache: PromptCacheUpstream, conv: Conversation): CacheCall[] => cache.calls.filter((c) => c.conv === conv.name)

describe('the pin moves only when it must', () => {
  const refusals: { label: string; status: number; headers: Record<string, string>; later: string }[] = [
    { label: 'starts answering 429 (retry-after: 30)', status: 429, headers: { 'retry-after': '30' }, later: 'cooling' },
    { label: 'is refused with 401', status: 401, headers: {}, later: 'disabled' },
    { label: 'is refused with 403', status: 403, headers: {}, later: 'disabled' },
  ]
  for (const r of refusals) {
    test(`the pinned key ${r.label}: the next turn moves once (failed), a session pinned there after moves too (${r.later})`, async () => {
      const s = await setup('anthropic')
      const { a, b, x } = await twoOnOneKey(s, 'anthropic', 'claude-test-1', 'claude-code-header')
      s.cache.failKey(x, () =>
        Response.json({ type: 'error', error: { type: 'rate_limit_error', message: 'no' } }, { status: r.status, headers: r.headers }),
      )
      const aBefore = callsOf(s.cache, a).length
      expect(await turn(s.lmlb, 'anthropic', 'claude-test-1', 'claude-code-header', a)).toBe(200)
      const aMoved = callsOf(s.cache, a).slice(aBefore)
      // The pin was tried (refused) and another key served.
      expect(aMoved.map((c) => [c.key === x, c.status])).toEqual([
        [true, r.status],
        [false, 200],
      ])
      const y = aMoved[1].key
      for (let i = 0; i < 3; i++) await turn(s.lmlb, 'anthropic', 'claude-test-1', 'claude-code-header', a)
      expect(
        callsOf(s.cache, a)
          .slice(aBefore + 2)
          .map((c) => c.key),
      ).toEqual([y, y, y])

      // b's pin is x too, cooling or disabled now: it is not tried, b moves once.
      const bBefore = callsOf(s.cache, b).length
      for (let i = 0; i < 3; i++) await turn(s.lmlb, 'anthropic', 'claude-test-1', 'claude-code-header', b)
      const bKeys = callsOf(s.cache, b)
        .slice(bBefore)
        .map((c) => c.key)
      expect(bKeys[0]).not.toBe(x)
      expect(bKeys).toEqual([bKeys[0], bKeys[0], bKeys[0]])

      const affinity = (await getStats(s.lmlb)).anthropic.affinity
      console.log(`[affinity] after the pinned key ${r.label}: ${JSON.stringify(affinity)}`)
      expect(affinity.repins).toEqual({ failed: 1, [r.later]: 1 })
      // The moved turn read nothing from y's cache (it was written there), the turns after read it.
      expect(aMoved[1].read).toBe(0)
      expect(callsOf(s.cache, a).at(-1)!.read).toBeGreaterThan(SYSTEM_CHARS / 4)
    })
  }

  test('the pinned key reports its requests spent (rate-limit headers on a 200): the next turn moves without a 429 (quota)', async () => {
    const s = await setup('anthropic')
    const conv = conversation('q0')
    await turn(s.lmlb, 'anthropic', 'claude-test-1', 'claude-code-header', conv)
    const x = callsOf(s.cache, conv)[0].key
    const reset = new Date(Date.now() + 60_000).toISOString()
    s.cache.keyHeaders(x, {
      'anthropic-ratelimit-requests-limit': '50',
      'anthropic-ratelimit-requests-remaining': '0',
      'anthropic-ratelimit-requests-reset': reset,
    })
    await turn(s.lmlb, 'anthropic', 'claude-test-1', 'claude-code-header', conv) // served by x, which says it is spent
    for (let i = 0; i < 3; i++) await turn(s.lmlb, 'anthropic', 'claude-test-1', 'claude-code-header', conv)
    const keys = callsOf(s.cache, conv).map((c) => c.key)
    expect(keys.slice(0, 2)).toEqual([x, x])
    expect(keys[2]).not.toBe(x)
    expect(keys.slice(2)).toEqual([keys[2], keys[2], keys[2]])
    expect(callsOf(s.cache, conv).every((c) => c.status === 200)).toBe(true)
    const stats = (await getStats(s.lmlb)).anthropic
    console.log(`[affinity] after the pinned key reported itself spent: ${JSON.stringify(stats.affinity)}`)
    expect(stats.affinity).toMatchObject({ new_pins: 1, hits: 1 + 2, repins: { quota: 1 } })
  })

  test('a reload that keeps the pinned key keeps the pin; one that drops it: the next turn moves (gone), then stays', async () => {
    const cache = startPromptCache()
    const dotenv = (keys: string[]) => `ANTHROPIC_API_KEYS=${keys.join(',')}\nSERVICE_ENDPOINTS={"anthropic": ["${cache.base}"]}\n`
    const lmlb = await startLmlb({ dotenv: dotenv(KEYS) })
    started.push(cache, lmlb)
    const s = { lmlb, cache, service: 'anthropic' }
    const conv = conversation('r0')
    for (let i = 0; i < 3; i++) await turn(lmlb, 'anthropic', 'claude-test-1', 'lmlb-header', conv)
    const x = callsOf(cache, conv)[0].key
    expect(new Set(callsOf(cache, conv).map((c) => c.key))).toEqual(new Set([x]))

    // A reload that keeps x (one key added, the order changed): the pin holds.
    writeFileSync(join(lmlb.cwd, '.env'), dotenv(['sk-aff-test-key-0005', ...KEYS].reverse()))
    const kept = await fetch(`${lmlb.url}/admin/reload`, { method: 'POST' })
    expect(kept.status).toBe(200)
    await kept.text()
    for (let i = 0; i < 2; i++) await turn(lmlb, 'anthropic', 'claude-test-1', 'lmlb-header', conv)
    expect(callsOf(cache, conv).map((c) => c.key)).toEqual([x, x, x, x, x])

    // A reload that drops x.
    writeFileSync(join(lmlb.cwd, '.env'), dotenv(KEYS.filter((k) => k !== x)))
    const reloaded = await fetch(`${lmlb.url}/admin/reload`, { method: 'POST' })
    expect(reloaded.status).toBe(200)
    await reloaded.text()
    const before = callsOf(cache, conv).length
    for (let i = 0; i < 4; i++) await turn(s.lmlb, 'anthropic', 'claude-test-1', 'lmlb-header', conv)
    const after = callsOf(cache, conv)
      .slice(before)
      .map((c) => c.key)
    expect(after[0]).not.toBe(x)
    expect(after).toEqual([after[0], after[0], after[0], after[0]])
    const affinity = (await getStats(lmlb)).anthropic.affinity
    console.log(`[affinity] after a reload dropped the pinned key: ${JSON.stringify(affinity)}`)
    expect(affinity).toMatchObject({ new_pins: 1, hits: 2 + 2 + 3, repins: { gone: 1 } })
    expect(affinity.repins).toEqual({ gone: 1 })
  })

  test('LMLB_AFFINITY=prefix: conversations with no identity at all stay on one key each, known by their stable prefix', async () => {
    const s = await setup('anthropic', { LMLB_AFFINITY: 'prefix' })
    const convs = Array.from({ length: 6 }, (_, i) => conversation(`x${i}`, i % 2 === 0))
    await Promise.all(
      convs.map(async (c) => {
        for (let t = 0; t < 5; t++) await turn(s.lmlb, 'anthropic', 'claude-test-1', 'none', c)
      }),
    )
    for (const c of convs) expect(new Set(callsOf(s.cache, c).map((k) => k.key)).size).toBe(1)
    expect(new Set(s.cache.calls.map((c) => c.key)).size).toBe(KEYS.length)
    expect((await getStats(s.lmlb)).anthropic.affinity).toMatchObject({
      mode: 'prefix',
      pinned_sessions: 6,
      new_pins: 6,
      hits: 6 * 4,
      repins: {},
    })
  })

  test('new sessions are spread by the strategy: 40 sessions over 4 keys, 10 ± 1 each, each on one key for its 3 turns', async () => {
    const s = await setup('anthropic')
    const convs = Array.from({ length: 40 }, (_, i) => conversation(`s${i}`))
    for (let round = 0; round < 3; round++)
      await Promise.all(convs.map((c) => turn(s.lmlb, 'anthropic', 'claude-test-1', 'lmlb-header', c)))
    const sessions = new Map<string, Set<string>>()
    const keysOf = new Map<string, Set<string>>()
    for (const c of s.cache.calls) {
      sessions.set(c.key, (sessions.get(c.key) ?? new Set()).add(c.conv!))
      keysOf.set(c.conv!, (keysOf.get(c.conv!) ?? new Set()).add(c.key))
    }
    expect([...sessions.values()].map((set) => Math.abs(set.size - 10) <= 1)).toEqual([true, true, true, true])
    expect([...keysOf.values()].every((set) => set.size === 1)).toBe(true)
  })

  test('an alias over two services pins the deployment too: each session stays on one service, key and model', async () => {
    const [east, west] = [startPromptCache(), startPromptCache()]
    started.push(east, west)
    const yaml = `services:\n  east: { format: anthropic, endpoints: ["${east.base}"], keys: [sk-east-key-0001, sk-east-key-0002] }\n  west: { format: anthropic, endpoints: ["${west.base}"], keys: [sk-west-key-0001] }\naliases:\n  claude-team: [east/claude-a, west/claude-b]\n`
    const lmlb = await startLmlb({ args: ['--config', 'lmlb.yaml'], files: { 'lmlb.yaml': yaml } })
    started.push(lmlb)
    const convs = Array.from({ length: 6 }, (_, i) => conversation(`a${i}`))
    for (let round = 0; round < 4; round++) await Promise.all(convs.map((c) => turn(lmlb, 'anthropic', 'claude-team', 'lmlb-header', c)))
    const where = new Map<string, Set<string>>()
    for (const [name, up] of [
      ['east', east],
      ['west', west],
    ] as const)
      for (const c of up.calls) where.set(c.conv!, (where.get(c.conv!) ?? new Set()).add(`${name}:${c.key}:${c.model}`))
    expect([...where.values()].map((set) => set.size)).toEqual(Array(6).fill(1))
    // The alias's round-robin spread the new sessions over both deployments.
    expect(new Set([...where.values()].map((set) => [...set][0].split(':')[0]))).toEqual(new Set(['east', 'west']))
  })

  test('requests without a session round-robin as before: 8 over 4 keys, 2 each', async () => {
    const s = await setup('anthropic')
    const convs = Array.from({ length: 8 }, (_, i) => conversation(`n${i}`))
    for (const c of convs) await turn(s.lmlb, 'anthropic', 'claude-test-1', 'none', c)
    const perKey = new Map<string, number>()
    for (const c of s.cache.calls) perKey.set(c.key, (perKey.get(c.key) ?? 0) + 1)
    expect([...perKey.keys()].sort()).toEqual(KEYS)
    expect([...perKey.values()]).toEqual([2, 2, 2, 2])
    expect((await getStats(s.lmlb)).anthropic.affinity).toMatchObject({ pinned_sessions: 0, hits: 0, new_pins: 0, repins: {} })
  })
})

describe('no session id is ever shown whole', () => {
  test('/stats, /metrics and the debug log hold none of the raw ids, of any kind', async () => {
    const s = await setup('anthropic', { LOG_LEVEL: 'debug' })
    const used: string[] = []
    const kinds: Identity[] = ['claude-code-header', 'lmlb-header', 'codex-header', 'prompt_cache_key', 'metadata.user_id', 'user']
    for (const [i, kind] of kinds.entries()) {
      const conv = conversation(`s${i}`, i % 2 === 0)
      used.push(conv.session)
      for (let t = 0; t < 3; t++) await turn(s.lmlb, 'anthropic', 'claude-test-1', kind, conv)
    }
    // And one on the OpenAI side (translated: Anthropic client, OpenAI upstream), another lmlb.
    const o = await setup('openai', { LOG_LEVEL: 'debug' })
    const conv = conversation('s-openai', true)
    used.push(conv.session)
    for (let t = 0; t < 2; t++) await turn(o.lmlb, 'anthropic', 'openai/gpt-test', 'claude-code-header', conv)

    for (const lmlb of [s.lmlb, o.lmlb]) {
      const stats = await (await fetch(`${lmlb.url}/stats`)).text()
      const metrics = await (await fetch(`${lmlb.url}/metrics`)).text()
      const health = await (await fetch(`${lmlb.url}/health`)).text()
      const log = lmlb.log()
      expect(log.length).toBeGreaterThan(0)
      for (const id of used) {
        // The whole id, and its distinctive last part (a UUID's 12 hex digits), appear nowhere.
        const tail = id.split('-').at(-1)!
        for (const [where, text] of Object.entries({ stats, metrics, health, log })) {
          expect({ where, found: text.includes(id) || text.includes(tail) }).toEqual({ where, found: false })
        }
      }
    }
    const affinity = (await getStats(s.lmlb)).anthropic.affinity
    expect(affinity).toMatchObject({ pinned_sessions: kinds.length, new_pins: kinds.length, hits: kinds.length * 2 })
  })
})
