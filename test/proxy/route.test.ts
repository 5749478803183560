/**
 * Routing and choosing (proxy/route.ts): a model name becomes one service
 * or an alias's deployments, then a chooser over the pools it may use, or
 * a refusal the client can act on (the model unknown or not allowed, no
 * key for the service). Through createState, no network.
 */
import { expect, test } from 'bun:test'
import { endpointAt } from '../../src/apis/endpoints'
import { loadConfig, type LoadInput } from '../../src/config/load'
import { parse } from '../../src/proxy/parse'
import { choose, firstPool, routeOf } from '../../src/proxy/route'
import { createState } from '../../src/state/proxy-state'
import { refusal } from '../helpers/refusal'

const ENV = {
  OPENAI_API_KEYS: 'sk-route-openai-1,sk-route-openai-2',
  ANTHROPIC_API_KEY: 'sk-route-anthropic-1',
  SERVICE_ENDPOINTS: JSON.stringify({ vllm: ['http://127.0.0.1:9/v1'] }),
}

function stateFor(input: Partial<LoadInput> = {}) {
  const loaded = loadConfig({ env: ENV, ...input })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  return createState(loaded.config)
}

const fileOf = (file: object) => ({ file: { path: 'lmlb.yaml', text: JSON.stringify(file) } })

function inbound(path: string, body: object) {
  return parse(endpointAt(path)!, { text: JSON.stringify(body) })
}
const chat = (model: string, more = {}) => inbound('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }], ...more })

const state = stateFor()

test('service/model goes to that service with the model after the slash; a known family to its built-in service', () => {
  expect(routeOf(state, 'vllm/qwen3:8b')).toMatchObject({ kind: 'single', service: 'vllm', model: 'qwen3:8b' })
  expect(routeOf(state, 'gpt-4.1-mini')).toMatchObject({ kind: 'single', service: 'openai', model: 'gpt-4.1-mini' })
  expect(routeOf(state, 'anthropic/claude-haiku-4-5')).toMatchObject({ kind: 'single', service: 'anthropic' })
})

test('the chooser of a single route picks that service’s keys in turn, with the model as routed', () => {
  const route = routeOf(state, 'openai/gpt-4.1')
  const { chooser } = choose(state, chat('openai/gpt-4.1'), route, new Headers())
  const now = Date.now()
  const picks = [chooser.pick(now)!, chooser.pick(now)!]
  expect(picks.map((c) => [c.deployment.pool.service.name, c.deployment.model])).toEqual([
    ['openai', 'gpt-4.1'],
    ['openai', 'gpt-4.1'],
  ])
  expect(new Set(picks.map((c) => c.target.key!.value))).toEqual(new Set(['sk-route-openai-1', 'sk-route-openai-2']))
})

test('an unknown model: 404 model_not_found naming the ways to route', () => {
  const error = refusal(() => routeOf(state, 'nobody-serves-this'))
  expect([error.status, error.code]).toEqual([404, 'model_not_found'])
  expect(error.message).toContain('"nobody-serves-this"')
  expect(error.message).toContain('<service>/<model>')
})

test('an alias routes to its deployments across services, and its chooser spans their pools', () => {
  const aliased = stateFor(fileOf({ aliases: { fast: ['openai/gpt-4.1-mini', 'anthropic/claude-haiku-4-5'] } }))
  const route = routeOf(aliased, 'fast')
  expect(route).toMatchObject({ kind: 'alias', alias: 'fast' })
  expect(firstPool(aliased, route)?.service.name).toBe('openai')
  const { chooser } = choose(aliased, chat('fast'), route, new Headers())
  expect(chooser.pools.map((p) => p.service.name)).toEqual(['openai', 'anthropic'])
  const now = Date.now()
  const served = [chooser.pick(now)!, chooser.pick(now)!].map((c) => `${c.deployment.pool.service.name}/${c.deployment.model}`)
  expect(served.toSorted()).toEqual(['anthropic/claude-haiku-4-5', 'openai/gpt-4.1-mini'])
})

test('a service with an allow-list: another model is 404 naming what it serves', () => {
  const listed = stateFor(fileOf({ services: { openai: { models: ['gpt-4.1'] } } }))
  expect(choose(listed, chat('openai/gpt-4.1'), routeOf(listed, 'openai/gpt-4.1'), new Headers()).chooser).toBeDefined()
  const error = refusal(() => choose(listed, chat('openai/gpt-4o'), routeOf(listed, 'openai/gpt-4o'), new Headers()))
  expect([error.status, error.code]).toEqual([404, 'model_not_found'])
  expect(error.message).toBe('service "openai" does not serve model "gpt-4o"; it serves: gpt-4.1')
})

test('a built-in service with no key: 401 no_upstream_key naming the variables; a service of its own needs none', () => {
  const error = refusal(() => choose(state, chat('gemini-2.5-pro'), routeOf(state, 'gemini-2.5-pro'), new Headers()))
  expect([error.status, error.code]).toEqual([401, 'no_upstream_key'])
  expect(error.message).toContain('GEMINI_API_KEYS or GEMINI_API_KEY')
  const { chooser } = choose(state, chat('vllm/qwen3'), routeOf(state, 'vllm/qwen3'), new Headers())
  expect(chooser.pick(Date.now())?.target.key).toBeUndefined()
})

test('a conversation named by its client keeps a session; token counts and OpenAI’s other endpoints keep none', () => {
  const headers = new Headers({ 'x-lmlb-session': 'conversation-1' })
  expect(choose(state, chat('openai/gpt-4.1'), routeOf(state, 'openai/gpt-4.1'), headers).session?.id).toBeString()
  expect(choose(state, chat('openai/gpt-4.1'), routeOf(state, 'openai/gpt-4.1'), new Headers()).session).toBeUndefined()
  const embeddings = inbound('/v1/embeddings', { model: 'openai/text-embedding-3-small', input: 'x' })
  expect(choose(state, embeddings, routeOf(state, embeddings.model), headers).session).toBeUndefined()
  const count = inbound('/v1/messages/count_tokens', { model: 'anthropic/claude-haiku-4-5', messages: [{ role: 'user', content: 'x' }] })
  expect(choose(state, count, routeOf(state, count.model), headers).session).toBeUndefined()
})

test('the same session on two routes is two sessions (one conversation may use several models)', () => {
  const headers = new Headers({ 'x-lmlb-session': 'conversation-2' })
  const a = choose(state, chat('openai/gpt-4.1'), routeOf(state, 'openai/gpt-4.1'), headers).session!
  const b = choose(state, chat('openai/gpt-4.1-mini'), routeOf(state, 'openai/gpt-4.1-mini'), headers).session!
  expect(a.id).not.toBe(b.id)
  // Never the client's identity itself.
  expect(a.id).not.toContain('conversation-2')
})
