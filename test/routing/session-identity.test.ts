import { describe, expect, test } from 'bun:test'
import { asksForLongCache, sessionIdentity } from '../../src/routing/session-identity'
import { hashOf } from '../../src/util/hash'

const h = (headers: Record<string, string> = {}) => new Headers(headers)

describe('sessionIdentity: first found wins, only a hash comes out', () => {
  test('headers before body fields, in the documented order', () => {
    const body = { prompt_cache_key: 'pck', metadata: { user_id: 'uid' }, user: 'u' }
    expect(sessionIdentity(h({ 'x-lmlb-session': 'a', 'x-claude-code-session-id': 'b' }), body, 'session')).toBe(hashOf('h:a'))
    expect(sessionIdentity(h({ 'X-Claude-Code-Session-Id': 'b', session_id: 'c' }), body, 'session')).toBe(hashOf('h:b'))
    expect(sessionIdentity(h({ session_id: 'c', 'session-id': 'd' }), body, 'session')).toBe(hashOf('h:c'))
    expect(sessionIdentity(h({ 'session-id': 'd' }), body, 'session')).toBe(hashOf('h:d'))
    expect(sessionIdentity(h(), body, 'session')).toBe(hashOf('k:pck'))
    expect(sessionIdentity(h(), { metadata: { user_id: 'uid' }, user: 'u' }, 'session')).toBe(hashOf('m:uid'))
    expect(sessionIdentity(h(), { user: 'u' }, 'session')).toBe(hashOf('u:u'))
  })

  test('none: undefined in session mode; off ignores everything', () => {
    expect(sessionIdentity(h(), { messages: [{ role: 'user', content: 'hi' }] }, 'session')).toBeUndefined()
    expect(sessionIdentity(h({ 'x-lmlb-session': 'a' }), {}, 'off')).toBeUndefined()
  })

  test('the hash never holds the identity, and is short', () => {
    const id = sessionIdentity(h({ 'x-claude-code-session-id': '0b5f3c1e-secret-session' }), {}, 'session')!
    expect(id).toMatch(/^[0-9a-f]{16}$/)
    expect(id).not.toContain('secret')
  })

  test("prefix mode, Gemini's API: the same systemInstruction, tools and first user content is one session; another first turn is another", () => {
    const id = (b: object) => sessionIdentity(h(), b as Record<string, unknown>, 'prefix')
    const base = {
      systemInstruction: { parts: [{ text: 'You are Gemini CLI.' }] },
      tools: [{ functionDeclarations: [{ name: 'run_shell_command' }] }],
    }
    const first = { role: 'user', parts: [{ text: 'fix the bug' }] }
    const turn1 = { ...base, contents: [first] }
    const turn2 = {
      ...base,
      contents: [first, { role: 'model', parts: [{ text: 'done' }] }, { role: 'user', parts: [{ text: 'thanks' }] }],
    }
    expect(id(turn2)).toBe(id(turn1)!)
    expect(id({ ...base, contents: [{ role: 'user', parts: [{ text: 'another task' }] }] })).not.toBe(id(turn1)!)
    expect(id({ ...turn1, systemInstruction: { parts: [{ text: 'Another prompt.' }] } })).not.toBe(id(turn1)!)
  })

  test('prefix mode: the same system, tools and first user message, wherever cache_control markers moved, is one session', () => {
    const turn1 = {
      system: [{ type: 'text', text: 'You are Claude Code.', cache_control: { type: 'ephemeral' } }],
      tools: [{ name: 'Bash' }],
      messages: [{ role: 'user', content: 'fix the bug' }],
    }
    const turn2 = {
      system: [{ type: 'text', text: 'You are Claude Code.' }],
      tools: [{ name: 'Bash', cache_control: { type: 'ephemeral' } }],
      messages: [
        { role: 'user', content: 'fix the bug' },
        { role: 'assistant', content: 'done' },
        { role: 'user', content: 'thanks' },
      ],
    }
    const other = { ...turn1, messages: [{ role: 'user', content: 'another task' }] }
    const id = (b: object) => sessionIdentity(h(), b as Record<string, unknown>, 'prefix')
    expect(id(turn1)).toBe(id(turn2)!)
    expect(id(other)).not.toBe(id(turn1)!)
    // Responses: instructions and input.
    expect(id({ instructions: 'be brief', input: 'hi' })).toBe(
      id({
        instructions: 'be brief',
        input: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'yo' },
        ],
      })!,
    )
  })

  test('a request asking for a one-hour cache', () => {
    const marked = (ttl: string) => ({
      system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral', ttl } }],
      messages: [{ role: 'user', content: 'hi' }],
    })
    expect(asksForLongCache(marked('1h'))).toBe(true)
    expect(asksForLongCache(marked('5m'))).toBe(false)
    expect(
      asksForLongCache({
        messages: [{ role: 'user', content: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral', ttl: '1h' } }] }],
      }),
    ).toBe(true)
    expect(asksForLongCache({ tools: [{ name: 't', cache_control: { type: 'ephemeral', ttl: '1h' } }] })).toBe(true)
  })
})
