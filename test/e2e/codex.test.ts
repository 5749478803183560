/**
 * The OpenAI Codex CLI itself (headless, `codex exec --json`) pointed at
 * lmlb, which serves it `POST /v1/responses`, and behind lmlb a stand-in
 * upstream that scripts the model's side: a plain turn, and a turn in which
 * the model calls Codex's shell tool (`exec_command`), Codex runs it in its
 * sandbox and the model reads the output.
 *
 * The same two scenarios are written once, for three kinds of upstream:
 * one with the Responses API (lmlb passes the call through), one that has
 * only Chat Completions and an Anthropic one (lmlb translates).
 *
 * Everything stays on 127.0.0.1: Codex's config turns off its update check,
 * analytics, OpenTelemetry export and the plugin/app features (which otherwise
 * `git ls-remote https://github.com/openai/plugins.git` and ask api.github.com
 * at start-up, as strace showed).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startLmlb, type LmlbOptions, type RunningLmlb } from '../helpers/lmlb'
import { chatChunks, chatStream, typedEventStream } from '../helpers/requests'
import { startUpstream, type FakeUpstream, type Received } from '../helpers/upstream'

const CODEX = resolve(import.meta.dir, '../../node_modules/.bin/codex')
/** `node_modules/.bin/codex` is a Node launcher; the native binary comes from an optional dependency (`@openai/codex-<platform>-<arch>`) that may not have installed. */
function codexRuns(): boolean {
  try {
    return (
      existsSync(CODEX) &&
      Bun.spawnSync([CODEX, '--version'], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe', env: { PATH: process.env.PATH ?? '' } })
        .exitCode === 0
    )
  } catch {
    return false
  }
}
const HAVE_CODEX = codexRuns()
if (!HAVE_CODEX)
  console.warn(
    `codex.test.ts: skipped, the Codex CLI does not run (${CODEX}, native binary from @openai/codex-${process.platform}-${process.arch}): run \`npm install\` (it ships as an optional dependency of @openai/codex)`,
  )

const TIME_LIMIT_MS = 90_000
/** What Codex is asked to run, and what it prints. */
const MARKER = 'lmlb-tool-ok'
const TOOL_PROMPT = `Run the shell command \`echo ${MARKER}\` and tell me what it printed.`
const PLAIN_PROMPT = 'say pong'
const PONG = 'pong from the stand-in'
/** Codex 0.171's shell tool: `exec_command` with `cmd` a string (older versions offered `shell` with `command` an array). */
const SHELL_TOOL = 'exec_command'

// ---------------------------------------------------------------------------
// The model's side, independent of wire format.

type Action = { text: string } | { call: { name: string; args: object } }
interface Turn {
  /** The text of every user message, joined. */
  asked: string
  /** Names of the tools offered. */
  tools: string[]
  /** The output of the tool the model called, once Codex sends it back. */
  toolOutput?: string
}

/** What the model does on a turn: read a tool's output back, call the shell tool when asked to, else say pong. */
function decide(turn: Turn): Action {
  if (turn.toolOutput !== undefined) return { text: `The command printed: ${turn.toolOutput.includes(MARKER) ? MARKER : 'something else'}` }
  if (turn.asked.includes(MARKER) && turn.tools.includes(SHELL_TOOL)) return { call: { name: SHELL_TOOL, args: { cmd: `echo ${MARKER}` } } }
  return { text: turn.asked.includes(PLAIN_PROMPT) ? PONG : 'OK' }
}

const textOf = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content
          .map((p) => (typeof p === 'string' ? p : (p?.text ?? p?.content ?? '')))
          .map(textOf)
          .join('')
      : ''

// ---------------------------------------------------------------------------
// One scripted stand-in per upstream kind: how it reads a turn, how it
// answers, where Codex's tool result lands in the follow-up request.

type Kind = 'responses' | 'chat' | 'anthropic'

interface UpstreamKind {
  kind: Kind
  /** The path lmlb calls on the stand-in. */
  path: string
  /** The model Codex asks for, and the one the stand-in should see. */
  codexModel: string
  upstreamModel: string
  /** The id the stand-in gives its tool call. */
  callId: string
  lmlb(up: FakeUpstream): LmlbOptions
  /** lmlb's own credential reached the stand-in, not Codex's LMLB_TEST_KEY. */
  expectAuth(r: Received): void
  handler(r: Received): Response
  /** The tool result Codex sent back in a follow-up request, if the request holds one. */
  toolResult(r: Received): { id: string; output: string } | undefined
}

const OPENAI_KEY = 'sk-codex-e2e-openai-0001'
const ANTHROPIC_KEY = 'sk-ant-codex-e2e-0001'
const CLIENT_KEY = 'sk-codex-client-key-not-forwarded'

// -- The Responses API: what OpenAI streams, every event with a sequence_number.

function responsesReply(model: string, action: Action, stream: boolean, n: number): Response {
  const base = {
    id: `resp_lmlb_${n}`,
    object: 'response',
    created_at: 1,
    model,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    error: null,
  }
  const usage = {
    input_tokens: 900,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 12,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 912,
  }
  const open = [
    { type: 'response.created', response: { ...base, status: 'in_progress', output: [], usage: null } },
    { type: 'response.in_progress', response: { ...base, status: 'in_progress', output: [], usage: null } },
  ]
  if ('call' in action) {
    // Codex skips a function_call without call_id, name and the complete arguments in output_item.done.
    const args = JSON.stringify(action.call.args)
    const item = {
      id: 'fc_lmlb_1',
      type: 'function_call',
      status: 'completed',
      call_id: RESPONSES.callId,
      name: action.call.name,
      arguments: args,
    }
    const done = { ...base, status: 'completed', output: [item], usage }
    if (!stream) return Response.json(done)
    const half = Math.floor(args.length / 2)
    return typedEventStream(
      [
        ...open,
        { type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress', arguments: '' } },
        { type: 'response.function_call_arguments.delta', item_id: item.id, output_index: 0, delta: args.slice(0, half) },
        { type: 'response.function_call_arguments.delta', item_id: item.id, output_index: 0, delta: args.slice(half) },
        { type: 'response.function_call_arguments.done', item_id: item.id, output_index: 0, arguments: args },
        { type: 'response.output_item.done', output_index: 0, item },
        { type: 'response.completed', response: done },
      ],
      { numbered: true },
    )
  }
  const item = {
    id: `msg_lmlb_${n}`,
    type: 'message',
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text: action.text, annotations: [] }],
  }
  const done = { ...base, status: 'completed', output: [item], usage }
  if (!stream) return Response.json(done)
  const pieces = [action.text.slice(0, 5), action.text.slice(5)]
  return typedEventStream(
    [
      ...open,
      { type: 'response.output_item.added', output_index: 0, item: { ...item, status: 'in_progress', content: [] } },
      {
        type: 'response.content_part.added',
        item_id: item.id,
        output_index: 0,
        content_index: 0,
        part: { type: 'output_text', text: '', annotations: [] },
      },
      ...pieces.map((delta) => ({ type: 'response.output_text.delta', item_id: item.id, output_index: 0, content_index: 0, delta })),
      { type: 'response.output_text.done', item_id: item.id, output_index: 0, content_index: 0, text: action.text },
      { type: 'response.content_part.done', item_id: item.id, output_index: 0, content_index: 0, part: item.content[0] },
      { type: 'response.output_item.done', output_index: 0, item },
      { type: 'response.completed', response: done },
    ],
    { numbered: true },
  )
}

type ResponsesItem = { type?: string; role?: string; content?: unknown; call_id?: string; output?: unknown; name?: string }

const RESPONSES: UpstreamKind = {
  kind: 'responses',
  path: '/v1/responses',
  // Not in Codex's built-in catalog (catalog models get another request variant); the service/ prefix tells lmlb where to route it.
  codexModel: 'openai/lmlb-test-model',
  upstreamModel: 'lmlb-test-model',
  callId: 'call_lmlb_1',
  lmlb: (up) => ({ env: { OPENAI_API_KEYS: OPENAI_KEY, SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }) } }),
  expectAuth: (r) => expect(r.headers.authorization).toBe(`Bearer ${OPENAI_KEY}`),
  toolResult(r) {
    const input = (Array.isArray(r.body?.input) ? r.body.input : []) as ResponsesItem[]
    const out = input.find((i) => i.type === 'function_call_output')
    return out && { id: String(out.call_id), output: textOf(out.output) }
  },
  handler(r) {
    if (r.path !== '/v1/responses')
      return Response.json({ error: { message: `no route ${r.path}`, type: 'invalid_request_error' } }, { status: 404 })
    const input = (typeof r.body.input === 'string' ? [{ role: 'user', content: r.body.input }] : r.body.input) as ResponsesItem[]
    const turn: Turn = {
      asked: input
        .filter((i) => i.role === 'user')
        .map((i) => textOf(i.content))
        .join('\n'),
      tools: ((r.body.tools ?? []) as { name?: string }[]).flatMap((t) => t.name ?? []),
      toolOutput: RESPONSES.toolResult(r)?.output,
    }
    return responsesReply(r.body.model, decide(turn), r.body.stream === true, countOf(r))
  },
}

// -- Chat Completions: chunks, tool_calls deltas, finish_reason 'tool_calls'; the result comes back as a role 'tool' message.

function chatReply(model: string, action: Action, stream: boolean): Response {
  const usage = { prompt_tokens: 900, completion_tokens: 12, total_tokens: 912 }
  const head = { id: 'chatcmpl-codex', object: 'chat.completion.chunk', created: 1, model }
  const chunk = chatChunks(head, { logprobs: true })
  if (!stream) {
    const message =
      'call' in action
        ? {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: CHAT.callId, type: 'function', function: { name: action.call.name, arguments: JSON.stringify(action.call.args) } },
            ],
          }
        : { role: 'assistant', content: action.text }
    return Response.json({
      ...head,
      object: 'chat.completion',
      choices: [{ index: 0, message, logprobs: null, finish_reason: 'call' in action ? 'tool_calls' : 'stop' }],
      usage,
    })
  }
  let chunks: object[]
  if ('call' in action) {
    const args = JSON.stringify(action.call.args)
    const half = Math.floor(args.length / 2)
    chunks = [
      chunk({ role: 'assistant', content: null }),
      chunk({
        tool_calls: [{ index: 0, id: CHAT.callId, type: 'function', function: { name: action.call.name, arguments: args.slice(0, half) } }],
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] }),
      chunk({}, 'tool_calls'),
    ]
  } else {
    chunks = [
      chunk({ role: 'assistant', content: '' }),
      chunk({ content: action.text.slice(0, 5) }),
      chunk({ content: action.text.slice(5) }),
      chunk({}, 'stop'),
    ]
  }
  chunks.push({ ...head, choices: [], usage })
  return chatStream(chunks)
}

type ChatMessage = { role: string; content: unknown; tool_call_id?: string }

const CHAT: UpstreamKind = {
  kind: 'chat',
  path: '/v1/chat/completions',
  codexModel: 'chatonly/some-model',
  upstreamModel: 'some-model',
  callId: 'call_lmlb_chat_1',
  lmlb: (up) => ({ args: ['--config', 'lmlb.yaml'], files: { 'lmlb.yaml': `services:\n  chatonly:\n    endpoints: ["${up.base}"]\n` } }),
  // A service configured without keys: nothing of Codex's own key goes through.
  expectAuth: (r) => expect(r.headers.authorization ?? '').not.toContain(CLIENT_KEY),
  toolResult(r) {
    const tool = ((r.body?.messages ?? []) as ChatMessage[]).find((m) => m.role === 'tool')
    return tool && { id: String(tool.tool_call_id), output: textOf(tool.content) }
  },
  handler(r) {
    if (r.path !== '/v1/chat/completions')
      return Response.json({ error: { message: `no route ${r.path}`, type: 'invalid_request_error' } }, { status: 404 })
    const messages = r.body.messages as ChatMessage[]
    const turn: Turn = {
      asked: messages
        .filter((m) => m.role === 'user')
        .map((m) => textOf(m.content))
        .join('\n'),
      tools: ((r.body.tools ?? []) as { function?: { name: string } }[]).flatMap((t) => t.function?.name ?? []),
      toolOutput: CHAT.toolResult(r)?.output,
    }
    return chatReply(r.body.model, decide(turn), r.body.stream === true)
  },
}

// -- Anthropic Messages: tool_use blocks filled by input_json_delta; the result comes back as a tool_result block.

function anthropicReply(model: string, action: Action, stream: boolean): Response {
  const usage = { input_tokens: 900, output_tokens: 12 }
  const block =
    'call' in action
      ? { type: 'tool_use', id: ANTHROPIC.callId, name: action.call.name, input: action.call.args }
      : { type: 'text', text: action.text }
  const stop_reason = 'call' in action ? 'tool_use' : 'end_turn'
  const message = { id: 'msg_lmlb_codex', type: 'message', role: 'assistant', model, stop_sequence: null }
  if (!stream) return Response.json({ ...message, content: [block], stop_reason, usage })
  const events: object[] = [
    { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { input_tokens: 900, output_tokens: 1 } } },
  ]
  if ('call' in action) {
    const args = JSON.stringify(action.call.args)
    const half = Math.floor(args.length / 2)
    events.push(
      {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'tool_use', id: ANTHROPIC.callId, name: action.call.name, input: {} },
      },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: args.slice(0, half) } },
      { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: args.slice(half) } },
    )
  } else {
    events.push(
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: action.text.slice(0, 5) } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: action.text.slice(5) } },
    )
  }
  events.push(
    { type: 'content_block_stop', index: 0 },
    { type: 'message_delta', delta: { stop_reason, stop_sequence: null }, usage: { output_tokens: 12 } },
    { type: 'message_stop' },
  )
  return typedEventStream(events)
}

type AnthropicMessage = { role: string; content: string | { type: string; text?: string; tool_use_id?: string; content?: unknown }[] }

const ANTHROPIC: UpstreamKind = {
  kind: 'anthropic',
  path: '/v1/messages',
  codexModel: 'anthropic/claude-test',
  upstreamModel: 'claude-test',
  callId: 'toolu_lmlb_1',
  lmlb: (up) => ({ env: { ANTHROPIC_API_KEYS: ANTHROPIC_KEY, SERVICE_ENDPOINTS: JSON.stringify({ anthropic: [up.base] }) } }),
  expectAuth: (r) => {
    expect(r.headers['x-api-key']).toBe(ANTHROPIC_KEY)
    expect(r.headers.authorization ?? '').not.toContain(CLIENT_KEY)
  },
  toolResult(r) {
    for (const m of (r.body?.messages ?? []) as AnthropicMessage[]) {
      if (m.role !== 'user' || typeof m.content === 'string') continue
      const result = m.content.find((b) => b.type === 'tool_result')
      if (result) return { id: String(result.tool_use_id), output: textOf(result.content) }
    }
    return undefined
  },
  handler(r) {
    if (r.path === '/v1/messages/count_tokens') return Response.json({ input_tokens: 900 })
    if (r.path !== '/v1/messages')
      return Response.json({ type: 'error', error: { type: 'not_found_error', message: `no route ${r.path}` } }, { status: 404 })
    const messages = r.body.messages as AnthropicMessage[]
    const turn: Turn = {
      asked: messages
        .filter((m) => m.role === 'user')
        .map((m) =>
          typeof m.content === 'string'
            ? m.content
            : m.content
                .filter((b) => b.type === 'text')
                .map((b) => b.text ?? '')
                .join(''),
        )
        .join('\n'),
      tools: ((r.body.tools ?? []) as { name?: string }[]).flatMap((t) => t.name ?? []),
      toolOutput: ANTHROPIC.toolResult(r)?.output,
    }
    return anthropicReply(r.body.model, decide(turn), r.body.stream === true)
  },
}

/** Numbers the Responses stand-in's answers (distinct response and item ids). */
let counter = 0
const countOf = (_r: Received) => ++counter

// ---------------------------------------------------------------------------
// Codex, headless.

interface CodexEvent {
  type: string
  item?: {
    id: string
    type: string
    text?: string
    command?: string
    aggregated_output?: string
    exit_code?: number | null
    status?: string
    message?: string
  }
  [k: string]: unknown
}

interface CodexRun {
  code: number | null
  events: CodexEvent[]
  stdout: string
  stderr: string
  /** The agent's messages (`item.completed` items of type `agent_message`). */
  messages: string[]
  /** Commands Codex ran (`item.completed` items of type `command_execution`). */
  commands: NonNullable<CodexEvent['item']>[]
}

function configToml(lmlbUrl: string, model: string): string {
  return `# Written by test/e2e/codex.test.ts: Codex headless against lmlb, nothing leaves 127.0.0.1.
model = ${JSON.stringify(model)}
model_provider = "lmlb"
check_for_update_on_startup = false

[model_providers.lmlb]
name = "lmlb"
base_url = ${JSON.stringify(`${lmlbUrl}/v1`)}
wire_api = "responses"
env_key = "LMLB_TEST_KEY"
requires_openai_auth = false
supports_websockets = false
request_max_retries = 0
stream_max_retries = 0

[analytics]
enabled = false

[otel]
exporter = "none"
trace_exporter = "none"
metrics_exporter = "none"

# On by default, these sync OpenAI's plugin marketplace from github.com at start-up.
[features]
plugins = false
remote_plugin = false
apps = false
plugin_sharing = false
tool_suggest = false
`
}

async function codex(lmlbUrl: string, model: string, prompt: string): Promise<CodexRun> {
  const home = mkdtempSync(join(tmpdir(), 'lmlb-codex-home-'))
  const codexHome = join(home, '.codex')
  const cwd = mkdtempSync(join(tmpdir(), 'lmlb-codex-work-'))
  mkdirSync(codexHome)
  writeFileSync(join(codexHome, 'config.toml'), configToml(lmlbUrl, model))
  // --strict-config: a key this Codex does not know fails the run instead of being ignored.
  const proc = Bun.spawn(
    [
      CODEX,
      'exec',
      prompt,
      '--skip-git-repo-check',
      '--sandbox',
      'read-only',
      '--ephemeral',
      '--json',
      '--strict-config',
      '--color',
      'never',
    ],
    {
      cwd,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      env: { PATH: process.env.PATH ?? '', HOME: home, CODEX_HOME: codexHome, LMLB_TEST_KEY: CLIENT_KEY },
    },
  )
  const guard = setTimeout(() => proc.kill('SIGKILL'), TIME_LIMIT_MS - 10_000)
  try {
    const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()])
    const code = await proc.exited
    const events = stdout
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as CodexEvent)
    const completed = events.filter((e) => e.type === 'item.completed' && e.item).map((e) => e.item!)
    return {
      code,
      events,
      stdout,
      stderr,
      messages: completed.filter((i) => i.type === 'agent_message').map((i) => i.text ?? ''),
      commands: completed.filter((i) => i.type === 'command_execution'),
    }
  } finally {
    clearTimeout(guard)
    rmSync(home, { recursive: true, force: true })
    rmSync(cwd, { recursive: true, force: true })
  }
}

const explain = (run: CodexRun) => `codex exited ${run.code}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`

// ---------------------------------------------------------------------------
// The scenarios, for any upstream kind.

function scenarios(kind: UpstreamKind, enabled: boolean) {
  const register = enabled && HAVE_CODEX ? test : test.skip
  let up: FakeUpstream
  let lmlb: RunningLmlb

  beforeAll(async () => {
    if (!enabled || !HAVE_CODEX) return
    up = startUpstream(kind.kind, (r) => kind.handler(r))
    lmlb = await startLmlb(kind.lmlb(up))
  })
  afterAll(async () => {
    await lmlb?.stop()
    await up?.stop()
  })

  const calls = () => up.received.filter((r) => r.path === kind.path)

  register(
    'a plain turn: the stand-in streams text, Codex prints it as the agent message',
    async () => {
      up.received.length = 0
      const run = await codex(lmlb.url, kind.codexModel, PLAIN_PROMPT)
      if (run.code !== 0) throw new Error(explain(run))
      expect(run.messages).toContain(PONG)
      expect(run.events.at(-1)?.type).toBe('turn.completed')

      const [call, ...more] = calls()
      expect(more).toEqual([])
      expect(call.method).toBe('POST')
      expect(call.body.model).toBe(kind.upstreamModel)
      expect(call.body.stream).toBe(true)
      kind.expectAuth(call)
      expect(JSON.stringify(call.body)).toContain(PLAIN_PROMPT)
    },
    TIME_LIMIT_MS,
  )

  register(
    `a tool turn: the model calls ${SHELL_TOOL}, Codex runs it in its sandbox, the model reads the output`,
    async () => {
      up.received.length = 0
      const run = await codex(lmlb.url, kind.codexModel, TOOL_PROMPT)
      if (run.code !== 0) throw new Error(explain(run))

      const [first, second, ...more] = calls()
      expect(more).toEqual([])
      expect(second).toBeDefined()
      // The first turn offered the shell tool under the name the stand-in calls.
      expect(JSON.stringify(first.body.tools)).toContain(`"${SHELL_TOOL}"`)
      expect(kind.toolResult(first)).toBeUndefined()
      // The second carried what the command printed, under the stand-in's call id.
      expect(kind.toolResult(second)).toMatchObject({ id: kind.callId, output: expect.stringContaining(MARKER) })
      for (const r of [first, second]) kind.expectAuth(r)

      // Codex ran it (in the read-only sandbox: `echo` needs no writes) and printed the final answer.
      expect(run.commands).toHaveLength(1)
      expect(run.commands[0]).toMatchObject({
        status: 'completed',
        exit_code: 0,
        command: expect.stringContaining(`echo ${MARKER}`),
        aggregated_output: expect.stringContaining(MARKER),
      })
      expect(run.messages.at(-1)).toBe(`The command printed: ${MARKER}`)
    },
    TIME_LIMIT_MS,
  )
}

describe('Codex through lmlb: a Responses API upstream (passed through)', () => {
  scenarios(RESPONSES, true)
})

describe('Codex through lmlb: a Chat-Completions-only upstream (translated)', () => {
  scenarios(CHAT, true)
})

describe('Codex through lmlb: an Anthropic upstream (translated)', () => {
  scenarios(ANTHROPIC, true)
})
