/**
 * upstreamHeaders() and clientHeaders(): what crosses lmlb. Outbound, each
 * provider's allow-list of the client's headers, never its credentials, the
 * provider's defaults only where the client sent none, the chosen key in the
 * provider's own header, and lmlb's hop appended to Via. Inbound, the
 * upstream's headers minus hop-by-hop, decoded-body and cookie headers,
 * each value scrubbed.
 */
import { expect, test } from 'bun:test'
import { anthropic } from '../../src/providers/anthropic'
import { gemini } from '../../src/providers/gemini'
import { openai } from '../../src/providers/openai'
import { openaiCompatible } from '../../src/providers/openai-compatible'
import { clientHeaders, upstreamHeaders } from '../../src/upstream/headers'
import { Hop } from '../../src/upstream/via'

const hop = new Hop('0123456789abcdef')
const VIA = '1.1 lmlb-0123456789ab'

/** What a client might send: its own credentials and account headers among what describes the call. */
const client = () =>
  new Headers({
    authorization: 'Bearer client-secret',
    'x-api-key': 'client-secret',
    'api-key': 'client-secret',
    cookie: 'session=client',
    'openai-organization': 'org-client',
    'openai-project': 'proj-client',
    'content-length': '99',
    host: 'lmlb.local',
    accept: 'text/event-stream',
    'user-agent': 'test-client/1.0',
    'x-request-id': 'req_1',
    'idempotency-key': 'idem_1',
    'openai-beta': 'assistants=v2',
    'http-referer': 'https://app.example',
    'x-title': 'App',
    'anthropic-beta': 'tools-2024',
    'anthropic-version': '2024-01-01',
    'x-custom': 'not forwarded',
  })

test('OpenAI: its allow-list forwarded, the key as a bearer, Via appended; credentials and account headers never', () => {
  const out = upstreamHeaders(openai, client(), 'sk-lmlb', hop)
  expect(out).toEqual({
    'content-type': 'application/json',
    via: VIA,
    accept: 'text/event-stream',
    'user-agent': 'test-client/1.0',
    'openai-beta': 'assistants=v2',
    'http-referer': 'https://app.example',
    'x-title': 'App',
    'x-request-id': 'req_1',
    'idempotency-key': 'idem_1',
    authorization: 'Bearer sk-lmlb',
  })
})

test("Anthropic: its allow-list, the key in x-api-key, the client's anthropic-version kept over the default", () => {
  const out = upstreamHeaders(anthropic, client(), 'sk-ant-lmlb', hop)
  expect(out).toEqual({
    'content-type': 'application/json',
    via: VIA,
    accept: 'text/event-stream',
    'user-agent': 'test-client/1.0',
    'anthropic-version': '2024-01-01',
    'anthropic-beta': 'tools-2024',
    'x-request-id': 'req_1',
    'idempotency-key': 'idem_1',
    'x-api-key': 'sk-ant-lmlb',
  })
  expect(out.authorization).toBeUndefined()
})

test('Anthropic: the default anthropic-version when the client sends none', () => {
  const out = upstreamHeaders(anthropic, new Headers(), 'k', hop)
  expect(out['anthropic-version']).toBe('2023-06-01')
})

test("OpenAI-format providers never forward Anthropic's headers, nor get its version default", () => {
  for (const provider of [openai, gemini, openaiCompatible]) {
    const out = upstreamHeaders(provider, client(), 'k', hop)
    expect(out['anthropic-version']).toBeUndefined()
    expect(out['anthropic-beta']).toBeUndefined()
    expect(out['x-api-key']).toBeUndefined()
    expect(out.authorization).toBe('Bearer k')
  }
})

test("no key (a keyless endpoint): no credential header at all, the client's not passed on instead", () => {
  expect(upstreamHeaders(openaiCompatible, client(), undefined, hop).authorization).toBeUndefined()
  expect(upstreamHeaders(anthropic, client(), undefined, hop)['x-api-key']).toBeUndefined()
})

test("Via: lmlb's hop after the client's own", () => {
  const out = upstreamHeaders(openai, new Headers({ via: '1.1 proxy-a' }), 'k', hop)
  expect(out.via).toBe(`1.1 proxy-a, ${VIA}`)
  expect(hop.cameBack(new Headers({ via: out.via }))).toBe(true)
})

test('clientHeaders: hop-by-hop, decoded-body and cookie headers dropped, every value scrubbed, the rest kept', () => {
  const upstream = new Headers({
    connection: 'keep-alive',
    'keep-alive': 'timeout=5',
    'transfer-encoding': 'chunked',
    'content-encoding': 'gzip',
    'content-length': '120',
    'set-cookie': 'a=b',
    'content-type': 'application/json',
    'x-ratelimit-remaining-requests': '99',
    'x-echo': 'secret-value',
  })
  const out = clientHeaders(upstream, (v) => v.replace('secret', '***'))
  expect(Object.fromEntries(out)).toEqual({
    'content-type': 'application/json',
    'x-ratelimit-remaining-requests': '99',
    'x-echo': '***-value',
  })
  // The upstream's own headers are left as they were.
  expect(upstream.get('set-cookie')).toBe('a=b')
})
