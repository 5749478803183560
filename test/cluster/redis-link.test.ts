/**
 * The Redis link exists from the start, before its client library has even
 * loaded. Until Redis answers it must say so truthfully: nothing told
 * (tell returns false, so a caller keeps what it would have shared), no
 * connection to use (limited keys are counted here), figures saying
 * "connecting". No Redis is needed for any of this.
 */
import { expect, test } from 'bun:test'
import { redisLink } from '../../src/cluster/redis-link'
import { cooledEvent } from '../../src/cluster/shared-events'
import { createLogger } from '../../src/observability/log'

function link() {
  const lines: string[] = []
  const logger = createLogger('debug', '', (line) => lines.push(line))
  return { link: redisLink({ url: 'redis://127.0.0.1:1', prefix: 'lmlb-test' }, 'instance-1', logger), lines }
}

test('before connect: nothing is told, no connection is usable, the figures say connecting', () => {
  const { link: l } = link()
  expect(l.tell(cooledEvent({ service: 'openai', key: 'sk-x', until: Date.now() + 1000 }))).toBe(false)
  expect(l.usable()).toBeUndefined()
  expect(l.figures()).toEqual({ redis: 'connecting', instances: null })
})

test('the prefix is the configured one (every key it writes is named under it)', () => {
  expect(link().link.prefix).toBe('lmlb-test')
})

test('closing a link that never connected resolves, logs nothing, and leaves it saying the same', async () => {
  const { link: l, lines } = link()
  await l.close()
  expect(lines).toEqual([])
  expect(l.figures().redis).toBe('connecting')
  expect(l.usable()).toBeUndefined()
})
