/**
 * Affinity on a request's path (proxy/session-pins.ts): which session a
 * request belongs to and for how long its pin lasts, the pin tried first,
 * and after a served answer the pin written where the request landed, with
 * the hit, new pin or re-pin counted and other instances told only when
 * there is something new to tell. (test/balancer/pins.test.ts covers the
 * table itself; test/http/affinity.test.ts the whole, end to end.)
 */
import { expect, test } from 'bun:test'
import { singleChooser } from '../../src/balancer/choosers'
import type { Pin } from '../../src/balancer/pins'
import { loadConfig } from '../../src/config/load'
import { findSession, rememberSession, withPin } from '../../src/proxy/session-pins'
import { createState } from '../../src/state/proxy-state'

const NOW = 1_700_000_000_000
const TTL_MS = 300_000

function setup() {
  const loaded = loadConfig({
    env: { SVC_API_KEYS: 'sk-pin-one-111,sk-pin-two-222', SERVICE_ENDPOINTS: JSON.stringify({ svc: ['http://127.0.0.1:9/v1'] }) },
  })
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  const state = createState(loaded.config)
  const pool = state.pools.get('svc')!
  const told: [string, Pin][] = []
  let sharing = true
  const share = (id: string, pin: Pin) => (told.push([id, { ...pin }]), sharing)
  const session = (headers: Record<string, string> = { 'x-lmlb-session': 'conv-1' }, body: object = {}, at = NOW) =>
    findSession(state, 'session', 'svc/m', new Headers(headers), body as Record<string, unknown>, at)
  /** One turn: pick (the pin first), and pin the session where it landed. */
  const turn = (at = NOW) => {
    const s = session({ 'x-lmlb-session': 'conv-1' }, {}, at)!
    const choice = withPin(singleChooser(pool, 'm'), s, 0).pick(at)!
    choice.target.key!.health.succeeded()
    choice.target.endpoint.health.succeeded()
    rememberSession(state, s, choice, at, share)
    return choice.target.key!.value
  }
  return { state, pool, told, session, turn, stopSharing: () => (sharing = false) }
}

test('a request with no identity has no session; one that names its conversation has, pinned nowhere yet, for LMLB_AFFINITY_TTL_S', () => {
  const s = setup()
  expect(s.session({})).toBeUndefined()
  expect(findSession(s.state, 'off', 'svc/m', new Headers({ 'x-lmlb-session': 'c' }), {}, NOW)).toBeUndefined()
  const session = s.session()!
  expect(session.pin).toBeUndefined()
  expect(session.ttlMs).toBe(TTL_MS)
})

test('a request asking for a one-hour cache keeps its pin an hour', () => {
  const s = setup()
  const body = { system: [{ type: 'text', text: 'x', cache_control: { type: 'ephemeral', ttl: '1h' } }] }
  expect(s.session({ 'x-lmlb-session': 'conv-1' }, body)!.ttlMs).toBe(3_600_000)
})

test('the first served turn pins the session where it landed, counts a new pin, and tells the others', () => {
  const s = setup()
  const key = s.turn()
  const pin = s.state.pins.get(s.session()!.id, NOW)!
  expect(pin).toMatchObject({ service: 'svc', model: 'm', key, endpoint: 'http://127.0.0.1:9/v1', expiresAt: NOW + TTL_MS, sharedAt: NOW })
  expect(s.state.affinity.get('svc')!.newPins).toBe(1)
  expect(s.told.map(([, p]) => p.key)).toEqual([key])
})

test('the next turns go to the pinned key (round-robin alone would alternate), each a hit, told to no one again', () => {
  const s = setup()
  const first = s.turn()
  expect([s.turn(NOW + 1_000), s.turn(NOW + 2_000), s.turn(NOW + 3_000)]).toEqual([first, first, first])
  const counters = s.state.affinity.get('svc')!
  expect([counters.hits, counters.newPins]).toEqual([3, 1])
  expect(s.told).toHaveLength(1)
  // Each turn carries the pin on from its own time.
  expect(s.state.pins.get(s.session()!.id, NOW)!.expiresAt).toBe(NOW + 3_000 + TTL_MS)
})

test('a pinned key that cannot serve: the turn lands elsewhere, counted as a re-pin with its reason, and the move is told', () => {
  const s = setup()
  const first = s.turn()
  s.pool.keys.items.find((k) => k.value === first)!.health.failed(NOW, 60_000)
  const second = s.turn(NOW + 1_000)
  expect(second).not.toBe(first)
  expect(s.state.affinity.get('svc')!.repins).toEqual({ cooling: 1 })
  expect(s.told.map(([, p]) => p.key)).toEqual([first, second])
  expect(s.state.pins.get(s.session()!.id, NOW + 1_000)!.key).toBe(second)
})

test('a pin no one could be told of (Redis away) is told again at the next turn; one in use, again past half its lifetime', () => {
  const s = setup()
  s.stopSharing()
  s.turn()
  expect(s.state.pins.get(s.session()!.id, NOW)!.sharedAt).toBeUndefined()
  s.turn(NOW + 1_000)
  expect(s.told).toHaveLength(2)
  const t = setup()
  t.turn()
  t.turn(NOW + TTL_MS / 2 - 1_000)
  expect(t.told).toHaveLength(1)
  t.turn(NOW + TTL_MS / 2 + 1_000)
  expect(t.told).toHaveLength(2)
})

test('an expired pin is no pin: the next turn is a new one', () => {
  const s = setup()
  s.turn()
  expect(s.session({ 'x-lmlb-session': 'conv-1' }, {}, NOW + TTL_MS + 1)!.pin).toBeUndefined()
})
