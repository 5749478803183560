/**
 * Gemini CLI itself (`@google/gemini-cli` 0.61, headless: `gemini -p …
 * --output-format json`) pointed at lmlb with GOOGLE_GEMINI_BASE_URL, which
 * serves it Google's own API (`generateContent`, `streamGenerateContent`
 * under /v1beta/, the key in `x-goog-api-key`); behind lmlb a stand-in
 * scripts the model's side: a plain turn, and a turn in which the model
 * calls the CLI's shell tool (`run_shell_command`), the CLI runs it (`--yolo`)
 * and the model reads its output.
 *
 * Twice: on a Gemini-format pool of two keys (passed through: keys rotate,
 * only as `x-goog-api-key`, never the CLI's own), and on an OpenAI-format
 * model (`-m openai/gpt-4o`: lmlb translates to Chat Completions and back).
 * Without `-m` the CLI first asks a small model to rate the prompt's
 * complexity (JSON out, `responseMimeType: application/json`); the Gemini
 * stand-in answers that too, as Google would.
 *
 * Everything stays on 127.0.0.1: the CLI's HOME is a temporary directory
 * whose settings turn off auto-update, usage statistics and telemetry.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { chatChunks, chatStream } from '../helpers/requests'
import { startUpstream, type FakeUpstream, type Received } from '../helpers/upstream'

const GEMINI = resolve(import.meta.dir, '../../node_modules/.bin/gemini')
const HAVE_GEMINI = existsSync(GEMINI)
if (!HAVE_GEMINI) console.warn(`gemini-cli.test.ts: skipped, Gemini CLI is not installed (${GEMINI}): run \`npm install\``)
const register = HAVE_GEMINI ? test : test.skip

const TIME_LIMIT_MS = 60_000
const KEYS = ['gem-cli-e2e-key-aaaa1111', 'gem-cli-e2e-key-bbbb2222']
const OPENAI_KEY = 'sk-gemini-cli-e2e-openai-0001'
const CLIENT_KEY = 'gem-cli-client-key-not-forwarded'

const PLAIN_PROMPT = 'say pong'
const PONG = 'pong from the stand-in'
const MARKER = 'lmlb-gemini-marker'
const TOOL_PROMPT = `Run the shell command \`echo ${MARKER}\` and tell me what it printed.`
const SHELL_TOOL = 'run_shell_command'
const READ_BACK = `The command printed: ${MARKER}`
const SIGNATURE = Buffer.from('an opaque thought signature').toString('base64')
const CHAT_CALL_ID = 'call_gemini_cli_1'

// ---------------------------------------------------------------------------
// The model's side, independent of wire format.

type Action = { text: string } | { call: { name: string; args: object } }

/** Reads the tool's output back, calls the shell tool when asked to and offered it, else says pong. */
function decide(asked: string, tools: string[], toolOutput: string | undefined): Action {
  if (toolOutput !== undefined) return { text: toolOutput.includes(MARKER) ? READ_BACK : 'The command printed something else' }
  if (asked.includes(MARKER) && tools.includes(SHELL_TOOL)) return { call: { name: SHELL_TOOL, args: { command: `echo ${MARKER}` } } }
  return { text: asked.includes(PLAIN_PROMPT) ? PONG : 'OK' }
}

// ---------------------------------------------------------------------------
// A Gemini-format stand-in: answers as Google does, whole or as `data:` events.

type Part = { text?: string; functionCall?: { name: string; args: object }; functionResponse?: any; thoughtSignature?: string }
type Content = { role?: string; parts: Part[] }

const geminiAnswer = (parts: Part[], usage = true) => ({
  candidates: [{ content: { role: 'model', parts }, finishReason: 'STOP', index: 0 }],
  usageMetadata: usage
    ? { promptTokenCount: 900, candidatesTokenCount: 12, totalTokenCount: 912 }
    : { promptTokenCount: 900, totalTokenCount: 900 },
  modelVersion: 'gemini-2.5-flash',
  responseId: 'resp-gemini-cli',
})

const functionResponses = (r: Received): Part[] =>
  ((r.body?.contents ?? []) as Content[]).flatMap((c) => c.parts.filter((p) => p.functionResponse))
const toolsOf = (r: Received): string[] =>
  ((r.body?.tools ?? []) as { functionDeclarations?: { name: string }[] }[]).flatMap((t) =>
    (t.functionDeclarations ?? []).map((f) => f.name),
  )
/** The router's call: a small model asked for JSON (a complexity score). */
const isClassifier = (r: Received) => r.body?.generationConfig?.responseMimeType === 'application/json'

function googleReply(r: Received): Response {
  const method = r.path.slice(r.path.lastIndexOf(':') + 1)
  if (method !== 'generateContent' && method !== 'streamGenerateContent')
    return Response.json({ error: { code: 404, message: `no ${r.path}`, status: 'NOT_FOUND' } }, { status: 404 })
  let parts: Part[]
  if (isClassifier(r)) {
    parts = [{ text: JSON.stringify({ complexity_reasoning: 'A single, explicit request.', complexity_score: 10 }) }]
  } else {
    const contents = r.body.contents as Content[]
    const asked = contents
      .filter((c) => c.role === 'user')
      .flatMap((c) => c.parts.map((p) => p.text ?? ''))
      .join('\n')
    const result = functionResponses(r).at(-1)?.functionResponse
    const action = decide(asked, toolsOf(r), result && JSON.stringify(result.response))
    // Gemini 2.5 and 3 sign a function call; the client owes the signature back on the next turn.
    parts = 'call' in action ? [{ functionCall: action.call, thoughtSignature: SIGNATURE }] : [{ text: action.text }]
  }
  if (method === 'generateContent') return Response.json(geminiAnswer(parts))
  // Streamed: text in two events (usage growing), a function call whole.
  const text = parts[0].text
  const events =
    text === undefined
      ? [geminiAnswer(parts)]
      : [
          {
            ...geminiAnswer([{ text: text.slice(0, 5) }], false),
            candidates: [{ content: { role: 'model', parts: [{ text: text.slice(0, 5) }] }, index: 0 }],
          },
          geminiAnswer([{ text: text.slice(5) }]),
        ]
  return new Response(events.map((e) => `data: ${JSON.stringify(e)}\r\n\r\n`).join(''), {
    headers: { 'content-type': 'text/event-stream' },
  })
}

// ---------------------------------------------------------------------------
// An OpenAI-format stand-in: Chat Completions, whole or streamed as asked.

type ChatMessage = { role: string; content: unknown; tool_call_id?: string; tool_calls?: object[] }
const textOf = (content: unknown): string =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.map((p) => p?.text ?? '').join('') : ''

function openaiReply(r: Received): Response {
  if (r.path !== '/v1/chat/completions')
    return Response.json({ error: { message: `no route ${r.path}`, type: 'invalid_request_error' } }, { status: 404 })
  const messages = r.body.messages as ChatMessage[]
  const asked = messages
    .filter((m) => m.role === 'user')
    .map((m) => textOf(m.content))
    .join('\n')
  const tools = ((r.body.tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name)
  const result = messages.find((m) => m.role === 'tool')
  const action = decide(asked, tools, result && textOf(result.content))
  const usage = { prompt_tokens: 900, completion_tokens: 12, total_tokens: 912 }
  const head = { id: 'chatcmpl-gemini-cli', created: 1, model: r.body.model }
  const toolCall = 'call' in action && {
    id: CHAT_CALL_ID,
    type: 'function',
    function: { name: action.call.name, arguments: JSON.stringify(action.call.args) },
  }
  const finish_reason = toolCall ? 'tool_calls' : 'stop'
  if (!r.body.stream) {
    const message = toolCall
      ? { role: 'assistant', content: null, tool_calls: [toolCall] }
      : { role: 'assistant', content: (action as { text: string }).text }
    return Response.json({ ...head, object: 'chat.completion', choices: [{ index: 0, message, finish_reason }], usage })
  }
  const chunk = chatChunks({ ...head, object: 'chat.completion.chunk' })
  const chunks: object[] = [chunk({ role: 'assistant', content: '' })]
  if (toolCall) {
    const args = toolCall.function.arguments
    const half = Math.floor(args.length / 2)
    chunks.push(
      chunk({ tool_calls: [{ index: 0, ...toolCall, function: { name: toolCall.function.name, arguments: args.slice(0, half) } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] }),
    )
  } else {
    const text = (action as { text: string }).text
    chunks.push(chunk({ content: text.slice(0, 5) }), chunk({ content: text.slice(5) }))
  }
  chunks.push(chunk({}, finish_reason), { ...head, object: 'chat.completion.chunk', choices: [], usage })
  return chatStream(chunks)
}

// ---------------------------------------------------------------------------
// The CLI, run to its exit.

interface GeminiRun {
  code: number
  stdout: string
  stderr: string
  /** The JSON `--output-format json` prints: the answer and the run's stats. */
  out: { response?: string; error?: unknown; stats?: any }
}

async function gemini(baseUrl: string, prompt: string, extra: string[] = []): Promise<GeminiRun> {
  const home = mkdtempSync(join(tmpdir(), 'lmlb-gemini-home-'))
  const cwd = mkdtempSync(join(tmpdir(), 'lmlb-gemini-work-'))
  mkdirSync(join(home, '.gemini'))
  const settings = {
    // With only a base URL the CLI picks another auth type, which -p refuses.
    security: { auth: { selectedType: 'gemini-api-key' } },
    general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
  }
  writeFileSync(join(home, '.gemini', 'settings.json'), JSON.stringify(settings))
  const proc = Bun.spawn([GEMINI, '-p', prompt, '--output-format', 'json', ...extra], {
    cwd,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      GEMINI_API_KEY: CLIENT_KEY,
      GOOGLE_GEMINI_BASE_URL: baseUrl,
      GEMINI_CLI_TRUST_WORKSPACE: 'true',
    },
  })
  const guard = setTimeout(() => proc.kill('SIGKILL'), TIME_LIMIT_MS - 5_000)
  try {
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited])
    let out: GeminiRun['out'] = {}
    try {
      out = JSON.parse(stdout)
    } catch {}
    return { code, stdout, stderr, out }
  } finally {
    clearTimeout(guard)
    rmSync(home, { recursive: true, force: true })
    rmSync(cwd, { recursive: true, force: true })
  }
}

const explain = (run: GeminiRun) => `gemini exited ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`
const PATH_SHAPE = /^\/v1beta\/models\/[^/:]+:(generateContent|streamGenerateContent)$/

// ---------------------------------------------------------------------------

describe('Gemini CLI through lmlb: a Gemini-format pool of two keys (passed through)', () => {
  let gem: FakeUpstream
  let lmlb: RunningLmlb

  beforeAll(async () => {
    if (!HAVE_GEMINI) return
    gem = startUpstream('gemini', googleReply)
    lmlb = await startLmlb({
      args: ['--config', 'lmlb.yaml'],
      files: { 'lmlb.yaml': `services:\n  gemini:\n    format: gemini\n    endpoints: [${gem.base.replace(/\/v1$/, '/v1beta')}]\n` },
      env: { GEMINI_API_KEYS: KEYS.join(',') },
    })
  })
  afterAll(async () => {
    await lmlb?.stop()
    await gem?.stop()
  })
  beforeEach(() => gem?.reset())

  register(
    "a plain turn (the CLI's router first, then the main model): the stand-in's text comes back; keys rotate, only as x-goog-api-key",
    async () => {
      const run = await gemini(lmlb.url, PLAIN_PROMPT)
      if (run.code !== 0) throw new Error(explain(run))
      expect(run.out.response).toBe(PONG)

      // The router's JSON question (whole), then the turn itself (streamed), both in Google's API under /v1beta/.
      const [router, main, ...more] = gem.received
      expect(more).toEqual([])
      expect(isClassifier(router)).toBe(true)
      expect([router.path.endsWith(':generateContent'), router.search]).toEqual([true, ''])
      expect([main.path.endsWith(':streamGenerateContent'), main.search]).toEqual([true, '?alt=sse'])
      expect(JSON.stringify(main.body.contents)).toContain(PLAIN_PROMPT)
      expect(toolsOf(main).length).toBeGreaterThan(3)
      for (const r of gem.received) {
        expect(r.method).toBe('POST')
        expect(r.path).toMatch(PATH_SHAPE)
        expect(r.headers.authorization).toBeUndefined()
        expect(r.headers['x-goog-api-client']).toContain('google-genai-sdk/')
        expect(JSON.stringify(r)).not.toContain(CLIENT_KEY)
      }
      // Round-robin over the pool: the two calls on the two keys.
      expect(gem.received.map((r) => r.headers['x-goog-api-key']).sort()).toEqual([...KEYS].sort())
    },
    TIME_LIMIT_MS,
  )

  register(
    `a tool turn (-m, --yolo): the model calls ${SHELL_TOOL}, the CLI runs it, the functionResponse carries its output, the model reads it`,
    async () => {
      const run = await gemini(lmlb.url, TOOL_PROMPT, ['-m', 'gemini-2.5-flash', '--yolo'])
      if (run.code !== 0) throw new Error(explain(run))
      expect(run.out.response).toBe(READ_BACK)
      expect(run.out.stats?.tools?.byName?.[SHELL_TOOL]).toMatchObject({ count: 1, success: 1 })

      // With -m there is no router: two calls of the model named, streamed.
      const [first, second, ...more] = gem.received
      expect(more).toEqual([])
      for (const r of [first, second]) {
        expect(`${r.path}${r.search}`).toBe('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse')
        expect(KEYS).toContain(r.headers['x-goog-api-key'])
        expect(JSON.stringify(r)).not.toContain(CLIENT_KEY)
      }
      expect(first.headers['x-goog-api-key']).not.toBe(second.headers['x-goog-api-key'])
      expect(toolsOf(first)).toContain(SHELL_TOOL)
      expect(functionResponses(first)).toEqual([])

      // The second call: the model's call back with its signature, then what the command printed.
      const contents = second.body.contents as Content[]
      const called = contents.flatMap((c) => c.parts.filter((p) => p.functionCall).map((p) => ({ role: c.role, ...p })))
      expect(called).toEqual([
        {
          role: 'model',
          functionCall: expect.objectContaining({ name: SHELL_TOOL, args: { command: `echo ${MARKER}` } }),
          thoughtSignature: SIGNATURE,
        },
      ])
      const [answered] = functionResponses(second)
      expect(answered.functionResponse).toMatchObject({ name: SHELL_TOOL, response: { output: expect.stringContaining(MARKER) } })
    },
    TIME_LIMIT_MS,
  )
})

describe('Gemini CLI through lmlb: an OpenAI-format model (translated to Chat Completions)', () => {
  let oai: FakeUpstream
  let lmlb: RunningLmlb

  beforeAll(async () => {
    if (!HAVE_GEMINI) return
    oai = startUpstream('openai', openaiReply)
    lmlb = await startLmlb({ env: { OPENAI_API_KEYS: OPENAI_KEY, SERVICE_ENDPOINTS: JSON.stringify({ openai: [oai.base] }) } })
  })
  afterAll(async () => {
    await lmlb?.stop()
    await oai?.stop()
  })
  beforeEach(() => oai?.reset())

  const expectChat = (r: Received) => {
    expect(r.path).toBe('/v1/chat/completions')
    expect(r.body).toMatchObject({ model: 'gpt-4o', stream: true })
    expect(r.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`)
    expect(r.headers['x-goog-api-key']).toBeUndefined()
    expect(JSON.stringify(r)).not.toContain(CLIENT_KEY)
  }

  register(
    "a plain turn (-m openai/gpt-4o): a Chat request with the CLI's prompt and tools, the stand-in's text back",
    async () => {
      const run = await gemini(lmlb.url, PLAIN_PROMPT, ['-m', 'openai/gpt-4o'])
      if (run.code !== 0) throw new Error(explain(run))
      expect(run.out.response).toBe(PONG)
      const [call, ...more] = oai.received
      expect(more).toEqual([])
      expectChat(call)
      expect((call.body.messages as ChatMessage[])[0].role).toBe('system')
      expect(JSON.stringify(call.body.messages)).toContain(PLAIN_PROMPT)
      expect(call.body.tools.length).toBeGreaterThan(3)
    },
    TIME_LIMIT_MS,
  )

  register(
    `a tool turn (-m openai/gpt-4o, --yolo): a Chat tool call to ${SHELL_TOOL}, the CLI runs it, its output comes back as a tool message`,
    async () => {
      const run = await gemini(lmlb.url, TOOL_PROMPT, ['-m', 'openai/gpt-4o', '--yolo'])
      if (run.code !== 0) throw new Error(explain(run))
      expect(run.out.response).toBe(READ_BACK)
      expect(run.out.stats?.tools?.byName?.[SHELL_TOOL]).toMatchObject({ count: 1, success: 1 })

      const [first, second, ...more] = oai.received
      expect(more).toEqual([])
      for (const r of [first, second]) expectChat(r)
      expect((first.body.tools as { function: { name: string } }[]).map((t) => t.function.name)).toContain(SHELL_TOOL)
      const messages = second.body.messages as ChatMessage[]
      expect(messages.find((m) => m.tool_calls)).toMatchObject({
        role: 'assistant',
        tool_calls: [
          { id: CHAT_CALL_ID, type: 'function', function: { name: SHELL_TOOL, arguments: JSON.stringify({ command: `echo ${MARKER}` }) } },
        ],
      })
      const result = messages.find((m) => m.role === 'tool')!
      expect(result.tool_call_id).toBe(CHAT_CALL_ID)
      expect(JSON.parse(textOf(result.content))).toEqual({ output: expect.stringContaining(MARKER) })
    },
    TIME_LIMIT_MS,
  )
})
