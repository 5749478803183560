/** Which of lmlb's own routes answer without a proxy key: the probes, and the status page for a browser; nothing else. */
import { expect, test } from 'bun:test'
import { isOpenPath, OWN_ROUTES } from '../../src/http/own-routes'

const html = new Headers({ accept: 'text/html,application/xhtml+xml' })
const json = new Headers({ accept: 'application/json' })

test('the probes are open to anyone; the page at / only to a browser asking for it', () => {
  expect(isOpenPath('HEAD', '/', json)).toBe(true)
  for (const path of ['/health', '/health/live', '/health/ready']) expect([path, isOpenPath('GET', path, json)]).toEqual([path, true])
  expect(isOpenPath('GET', '/', html)).toBe(true)
  expect(isOpenPath('GET', '/', json)).toBe(false)
})

test('figures, models, reloads and anything unknown need a key; an open path with another method is not open', () => {
  for (const route of [OWN_ROUTES.stats, OWN_ROUTES.metrics, OWN_ROUTES.models, OWN_ROUTES.reload])
    expect([route.path, isOpenPath(route.method, route.path, html)]).toEqual([route.path, false])
  expect(isOpenPath('GET', '/v1/chat/completions', html)).toBe(false)
  expect(isOpenPath('POST', '/health', json)).toBe(false)
  expect(isOpenPath('HEAD', '/health', json)).toBe(false)
})
