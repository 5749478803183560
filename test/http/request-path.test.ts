/**
 * pathOf (http/request-path.ts): the one path routing, the proxy-key check
 * and error shapes read, found as Elysia's router finds it with
 * `standardHostname: false`. A short Host or a query that looks like a path
 * must not make them disagree; a target that is not an http:// URL is no
 * path at all.
 */
import { expect, test } from 'bun:test'
import { pathOf } from '../../src/http/request-path'

test('the path between the host and the query, whatever the host’s length or port', () => {
  expect(pathOf('http://localhost/v1/messages')).toBe('/v1/messages')
  expect(pathOf('http://x/health')).toBe('/health')
  expect(pathOf('http://llm/v1/chat/completions?beta=true')).toBe('/v1/chat/completions')
  expect(pathOf('http://127.0.0.1:8080/v1/responses/resp_1')).toBe('/v1/responses/resp_1')
  expect(pathOf('http://[::1]:4000/stats')).toBe('/stats')
})

test('a query that looks like a path is a query', () => {
  expect(pathOf('http://localhost/health?/stats')).toBe('/health')
  expect(pathOf('http://localhost/?x=/v1/messages')).toBe('/')
  expect(pathOf('http://h/v1/models?/admin/reload')).toBe('/v1/models')
})

test('a URL with no path after its host is the root', () => {
  expect(pathOf('http://localhost')).toBe('/')
  expect(pathOf('http://h:8080')).toBe('/')
})

test('the path is taken as it came: no decoding, no collapsing of slashes, a trailing slash kept', () => {
  expect(pathOf('http://h//v1/messages')).toBe('//v1/messages')
  expect(pathOf('http://h/v1/models/a%2Fb')).toBe('/v1/models/a%2Fb')
  expect(pathOf('http://h/v1/chat/completions/')).toBe('/v1/chat/completions/')
})

test('a target that is not an http:// URL (CONNECT’s host:port, another scheme) is no path', () => {
  expect(pathOf('example.com:443')).toBeUndefined()
  expect(pathOf('https://example.com/v1/messages')).toBeUndefined()
  expect(pathOf('/v1/messages')).toBeUndefined()
  expect(pathOf('')).toBeUndefined()
})

test('it agrees with the WHATWG URL parser on every ordinary request URL', () => {
  for (const url of ['http://localhost/v1/messages', 'http://a.b.c:1/x/y?z=1', 'http://h/', 'http://h/a?b?c']) {
    expect(pathOf(url)).toBe(new URL(url).pathname)
  }
})
