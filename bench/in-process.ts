/**
 * lmlb's whole path for one request, in process, with no sockets: the app's handler (edge → flow → send →
 * respond) with the upstream's `fetch` stubbed, against a passthrough as small as bun-minimal given the same stub.
 * What it isolates is lmlb's own JavaScript: the network bench (bench/run.ts) pays roughly three times as much
 * for each µs of it. Bounded: N requests, C at a time, after a fifth of N to warm up.
 * Usage: bun --no-env-file bench/in-process.ts [chat|stream|translated|responses|responses-unkept|gemini|gemini-translated]   (N=100000 C=50 by default;
 * USAGE=1 keeps usage and request records in a store, as lmlb does)
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createApp } from '../src/app'
import { loadConfig } from '../src/config/load'
import { createLogger } from '../src/observability/log'
import { bunPlatform } from '../src/runtime/bun'
import { createRuntime } from '../src/state/runtime'
import { UsageStore } from '../src/state/usage-store'
import { completion, geminiAnswer, openaiChunks } from './answers'

const N = Number(process.env.N ?? 100_000)
const C = Number(process.env.C ?? 50)
const UPSTREAM = 'http://127.0.0.1:9/v1'
const ask = (o: object) => JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello in five words.' }], ...o })
const SCENARIOS: Record<string, [path: string, body: string]> = {
  chat: ['/v1/chat/completions', ask({ stream: false })],
  stream: ['/v1/chat/completions', ask({ stream: true })],
  translated: ['/v1/messages', ask({ model: 'openai/gpt-4o-mini', stream: true, max_tokens: 64 })],
  // Responses over a Chat-only service: lmlb keeps each answer (store left on), or not.
  responses: ['/v1/responses', JSON.stringify({ model: 'chatonly/gpt-4o-mini', input: 'Say hello in five words.' })],
  'responses-unkept': ['/v1/responses', JSON.stringify({ model: 'chatonly/gpt-4o-mini', input: 'Say hello in five words.', store: false })],
  // Google's API passed through to a Gemini-format service, and translated for an OpenAI-format one.
  gemini: [
    '/v1beta/models/google/gemini-x:generateContent',
    JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Say hello.' }] }] }),
  ],
  'gemini-translated': [
    '/v1beta/models/gpt-4o-mini:generateContent',
    JSON.stringify({ contents: [{ role: 'user', parts: [{ text: 'Say hello.' }] }] }),
  ],
}
const scenario = process.argv[2] ?? 'chat'
if (!(scenario in SCENARIOS)) throw new Error(`usage: bench/in-process.ts [${Object.keys(SCENARIOS).join('|')}]`)
const [path, body] = SCENARIOS[scenario]

const loaded = loadConfig({
  file: { path: 'bench.json', text: JSON.stringify({ services: { google: { format: 'gemini', endpoints: [`${UPSTREAM}beta`] } } }) },
  env: {
    OPENAI_API_KEYS: 'sk-bench-key-000001,sk-bench-key-000002,sk-bench-key-000003',
    CHATONLY_API_KEYS: 'sk-bench-key-000004',
    SERVICE_ENDPOINTS: JSON.stringify({ openai: [UPSTREAM], chatonly: [UPSTREAM] }),
    GOOGLE_API_KEYS: 'bench-google-key-000001',
    LOG_LEVEL: 'warn',
    ...(process.env.KEPT && { LMLB_RESPONSES_KEPT: process.env.KEPT }),
  },
})
if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
const logger = createLogger(loaded.config.logLevel, '', () => {})
// USAGE=1: usage kept as lmlb keeps it (a store in a temporary directory, flushed every 5 s); otherwise counted for /stats only.
const usageDir = process.env.USAGE === '1' ? mkdtempSync(join(tmpdir(), 'lmlb-bench-usage-')) : undefined
const usageStore = usageDir
  ? new UsageStore(
      bunPlatform.openDatabase(join(usageDir, 'usage.sqlite')),
      () => 400,
      () => 7,
    )
  : undefined
const runtime = createRuntime({ config: loaded.config, logger, read: () => loaded, streams: bunPlatform.streamFactory, usageStore })
const app = createApp(runtime)
const flushing = setInterval(() => runtime.usage.flush(), 5_000)

// The stub upstream: the bench upstream's answers, built once.
const completionBytes = new TextEncoder().encode(completion)
const geminiBytes = new TextEncoder().encode(geminiAnswer)
const events = Buffer.concat(openaiChunks)
globalThis.fetch = (async (url: string, init?: RequestInit) =>
  url.includes(':generateContent')
    ? new Response(geminiBytes, { headers: { 'content-type': 'application/json' } })
    : typeof init?.body === 'string' && init.body.includes('"stream":true')
      ? new Response(events, { headers: { 'content-type': 'text/event-stream' } })
      : new Response(completionBytes, { headers: { 'content-type': 'application/json' } })) as typeof fetch

/** bun-minimal's handler, its upstream the same stub. */
async function bare(request: Request): Promise<Response> {
  const bytes = await request.arrayBuffer()
  const headers = new Headers(request.headers)
  headers.delete('host')
  headers.set('authorization', 'Bearer sk-bench-key-000001')
  const up = await fetch(UPSTREAM + path.slice(3), { method: 'POST', headers, body: new TextDecoder().decode(bytes) })
  const back = new Headers(up.headers)
  back.delete('transfer-encoding')
  return new Response(up.body, { status: up.status, headers: back })
}

async function run(handler: (request: Request) => Response | Promise<Response>, n: number) {
  let started = 0
  const headers = { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'content-length': String(body.length) }
  const worker = async () => {
    while (started++ < n) await (await handler(new Request(`http://localhost${path}`, { method: 'POST', headers, body }))).arrayBuffer()
  }
  await Promise.all(Array.from({ length: C }, worker))
}

for (const [name, handler] of [
  ['bare', bare],
  ['lmlb', app.fetch],
] as const) {
  await run(handler, N / 5)
  Bun.gc(true)
  const cpu = process.cpuUsage()
  await run(handler, N)
  // What the requests left to write is written within the measure.
  if (name === 'lmlb') runtime.usage.flush()
  const used = process.cpuUsage(cpu)
  console.log(
    `${scenario}, ${name}${name === 'lmlb' && usageDir ? ' (usage kept)' : ''}: ${((used.user + used.system) / N).toFixed(1)} µs of CPU a request`,
  )
}
clearInterval(flushing)
if (usageDir) rmSync(usageDir, { recursive: true, force: true })
