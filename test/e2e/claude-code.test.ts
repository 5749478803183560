/**
 * Claude Code itself (headless, `claude -p`) pointed at lmlb and served by
 * an OpenAI-format upstream that scripts its answers: a plain turn, and a
 * turn in which the model calls Claude Code's Bash tool and reads its output.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startLmlb, type RunningLmlb } from '../helpers/lmlb'
import { chatChunks, chatStream } from '../helpers/requests'
import { startUpstream, type FakeUpstream, type Received } from '../helpers/upstream'

const CLAUDE = resolve(import.meta.dir, '../../node_modules/.bin/claude')
const TIME_LIMIT_MS = 90_000

let up: FakeUpstream
let lmlb: RunningLmlb

const chunk = chatChunks({ id: 'chatcmpl-cc', object: 'chat.completion.chunk', created: 1, model: 'gpt-4.1' })
const usage = {
  id: 'chatcmpl-cc',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'gpt-4.1',
  choices: [],
  usage: { prompt_tokens: 900, completion_tokens: 12, total_tokens: 912 },
}

/** The model's side of the conversation, by what the last user turn asks. */
function script(r: Received): Response {
  const messages = r.body.messages as { role: string; content: unknown }[]
  const asked = JSON.stringify(messages.filter((m) => m.role === 'user').at(-1)?.content ?? '')
  const toolResult = messages.find((m) => m.role === 'tool')
  const reply = (text: string) =>
    chatStream([chunk({ role: 'assistant', content: '' }), chunk({ content: text }), chunk({}, 'stop'), usage])
  if (toolResult) return reply(`The command printed: ${String(toolResult.content).trim()}`)
  if (asked.includes('lmlb-tool-check') && r.body.tools?.some((t: { function: { name: string } }) => t.function.name === 'Bash')) {
    return chatStream([
      chunk({ role: 'assistant', content: 'Running it. ' }),
      chunk({
        tool_calls: [
          { index: 0, id: 'call_bash_1', type: 'function', function: { name: 'Bash', arguments: '{"command": "echo lmlb-tool-' } },
        ],
      }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: 'check", "description": "Print a marker"}' } }] }),
      chunk({}, 'tool_calls'),
      usage,
    ])
  }
  return reply(asked.includes('say pong') ? 'PONG' : 'OK')
}

beforeAll(async () => {
  up = startUpstream('gpt', script)
  lmlb = await startLmlb({ env: { OPENAI_API_KEYS: 'sk-claude-code-e2e-0001', SERVICE_ENDPOINTS: JSON.stringify({ openai: [up.base] }) } })
})
afterAll(async () => {
  await lmlb.stop()
  await up.stop()
})

async function claude(
  prompt: string,
  extra: string[] = [],
  baseUrl?: string,
): Promise<{ result: string; is_error: boolean; num_turns: number }> {
  const home = mkdtempSync(join(tmpdir(), 'lmlb-claude-home-'))
  const cwd = mkdtempSync(join(tmpdir(), 'lmlb-claude-work-'))
  const proc = Bun.spawn([CLAUDE, '-p', prompt, '--output-format', 'json', '--max-turns', '4', ...extra], {
    cwd,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    env: {
      PATH: process.env.PATH ?? '',
      HOME: home,
      CLAUDE_CONFIG_DIR: join(home, '.claude'),
      ANTHROPIC_BASE_URL: baseUrl ?? lmlb.url,
      ANTHROPIC_API_KEY: 'sk-ant-any-client-key',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      DISABLE_TELEMETRY: '1',
      DISABLE_AUTOUPDATER: '1',
      DISABLE_ERROR_REPORTING: '1',
      API_TIMEOUT_MS: '30000',
      CLAUDE_CODE_MAX_RETRIES: '1',
    },
  })
  const guard = setTimeout(() => proc.kill('SIGKILL'), TIME_LIMIT_MS)
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()])
  clearTimeout(guard)
  await proc.exited
  try {
    return JSON.parse(stdout)
  } catch {
    throw new Error(`claude printed no JSON (exit ${proc.exitCode}):\n${stdout}\n${stderr}`)
  }
}

describe('Claude Code through lmlb on an OpenAI-format model', () => {
  test(
    'a plain turn',
    async () => {
      const out = await claude('say pong')
      expect(out.is_error).toBe(false)
      expect(out.result).toBe('PONG')
      const main = up.received.find((r) => JSON.stringify(r.body.messages).includes('say pong'))!
      // Claude Code's request arrived translated: its tools, streaming with usage, its model mapped to BIG_MODEL.
      expect(main.body).toMatchObject({ model: 'gpt-4.1', stream: true, stream_options: { include_usage: true } })
      expect(main.body.tools.length).toBeGreaterThan(5)
      expect(main.headers.authorization).toBe('Bearer sk-claude-code-e2e-0001')
      expect(main.headers['anthropic-beta']).toBeUndefined()
    },
    TIME_LIMIT_MS,
  )

  test(
    'a tool-using turn: the model calls Bash, Claude Code runs it, the model reads the output',
    async () => {
      up.received.length = 0
      const out = await claude('Run the shell command `echo lmlb-tool-check` and tell me what it printed.', [
        '--allowedTools',
        'Bash(echo:*)',
      ])
      expect(out.is_error).toBe(false)
      expect(out.result).toBe('The command printed: lmlb-tool-check')
      const followUp = up.received.find((r) => r.body.messages.some((m: { role: string }) => m.role === 'tool'))!
      expect(followUp.body.messages.find((m: { role: string }) => m.role === 'tool')).toMatchObject({
        tool_call_id: 'call_bash_1',
        content: expect.stringContaining('lmlb-tool-check'),
      })
      expect(followUp.body.messages.find((m: { tool_calls?: unknown }) => m.tool_calls)).toMatchObject({
        role: 'assistant',
        tool_calls: [
          {
            id: 'call_bash_1',
            function: { name: 'Bash', arguments: JSON.stringify({ command: 'echo lmlb-tool-check', description: 'Print a marker' }) },
          },
        ],
      })
    },
    TIME_LIMIT_MS,
  )
})

/** Two Bash calls, then the answer: three calls of the main model in one run. */
function twoToolScript(r: Received): Response {
  const messages = r.body.messages as { role: string; content: unknown }[]
  const results = messages.filter((m) => m.role === 'tool').length
  const reply = (text: string) =>
    chatStream([chunk({ role: 'assistant', content: '' }), chunk({ content: text }), chunk({}, 'stop'), usage])
  const asksUs = JSON.stringify(messages).includes('lmlb-affinity-check')
  if (!asksUs || !r.body.tools?.some((t: { function: { name: string } }) => t.function.name === 'Bash')) return reply('OK')
  if (results >= 2) return reply('Both commands ran.')
  const n = results + 1
  return chatStream([
    chunk({ role: 'assistant', content: '' }),
    chunk({
      tool_calls: [
        {
          index: 0,
          id: `call_aff_${n}`,
          type: 'function',
          function: { name: 'Bash', arguments: JSON.stringify({ command: `echo lmlb-aff-${n}`, description: `Print marker ${n}` }) },
        },
      ],
    }),
    chunk({}, 'tool_calls'),
    usage,
  ])
}

describe('Claude Code through lmlb over two keys', () => {
  test(
    'a whole run (three calls of the main model) stays on one key: Claude Code names its session',
    async () => {
      const keys = ['sk-claude-affinity-0001', 'sk-claude-affinity-0002']
      const gpt = startUpstream('gpt-affinity', twoToolScript)
      const pinned = await startLmlb({
        env: { OPENAI_API_KEYS: keys.join(','), SERVICE_ENDPOINTS: JSON.stringify({ openai: [gpt.base] }) },
      })
      // A recording hop between Claude Code and lmlb: which headers Claude Code itself sends.
      const sent: { path: string; headers: Record<string, string>; model?: string }[] = []
      const hop = Bun.serve({
        hostname: '127.0.0.1',
        port: 0,
        async fetch(request) {
          const url = new URL(request.url)
          const body = request.method === 'POST' ? await request.text() : undefined
          let model: string | undefined
          try {
            model = body ? JSON.parse(body).model : undefined
          } catch {}
          sent.push({ path: url.pathname, headers: Object.fromEntries(request.headers), model })
          const headers = new Headers(request.headers)
          headers.delete('host')
          return fetch(`${pinned.url}${url.pathname}${url.search}`, { method: request.method, headers, body })
        },
      })
      try {
        const out = await claude(
          'Run `echo lmlb-aff-1`, then `echo lmlb-aff-2`, each with Bash, and say when both ran. lmlb-affinity-check',
          ['--allowedTools', 'Bash(echo:*)'],
          `http://127.0.0.1:${hop.port}`,
        )
        expect(out.is_error).toBe(false)
        expect(out.result).toBe('Both commands ran.')
        // The main model's calls: those carrying our marker with Claude Code's tools. Side calls (a title, a
        // small model's check) route to another model and are pinned separately per model: not asserted on.
        const main = gpt.received.filter(
          (r) =>
            r.path === '/v1/chat/completions' &&
            JSON.stringify(r.body.messages).includes('lmlb-affinity-check') &&
            r.body.tools?.length > 0,
        )
        const mainModel = main[0]?.body.model
        const summary = gpt.received.map(
          (r) =>
            `${r.body?.model} ${r.headers.authorization?.slice(-4)} tools=${r.body?.tools?.length ?? 0} results=${r.body?.messages?.filter((m: { role: string }) => m.role === 'tool').length}`,
        )
        console.log(`[affinity] Claude Code run at the upstream: ${JSON.stringify(summary)}`)
        expect(main.length).toBeGreaterThanOrEqual(3)
        expect(main.every((r) => r.body.model === mainModel)).toBe(true)
        const mainKeys = gpt.received.filter((r) => r.body?.model === mainModel).map((r) => r.headers.authorization)
        expect(new Set(mainKeys).size).toBe(1)

        // Claude Code named its session, the same on every call of the run.
        const toMessages = sent.filter((s) => s.path === '/v1/messages')
        const sessionIds = toMessages.map((s) => s.headers['x-claude-code-session-id'])
        if (sessionIds.some((id) => !id))
          console.log(`[affinity] Claude Code's headers: ${JSON.stringify(toMessages.map((s) => Object.keys(s.headers).sort()))}`)
        expect(sessionIds.every((id) => typeof id === 'string' && id.length > 0)).toBe(true)
        expect(new Set(sessionIds).size).toBe(1)
        const affinity = (await (await fetch(`${pinned.url}/stats`)).json()).load_balancer_stats.openai.affinity
        console.log(
          `[affinity] Claude Code run, /stats affinity: ${JSON.stringify(affinity)}; models sent: ${JSON.stringify(toMessages.map((s) => s.model))}`,
        )
        expect(affinity.repins).toEqual({})
        expect(affinity.hits).toBeGreaterThanOrEqual(main.length - 1)
      } finally {
        hop.stop(true)
        await pinned.stop()
        await gpt.stop()
      }
    },
    TIME_LIMIT_MS,
  )
})
