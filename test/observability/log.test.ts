/**
 * createLogger: one line per message, filtered by level; a readable line or
 * one JSON object a line with `time`, `level`, `msg` (and a worker's tag,
 * and a request line's fields). Level and format follow a reload.
 */
import { expect, test } from 'bun:test'
import type { LogFormat, LogLevel } from '../../src/config/schema'
import { createLogger } from '../../src/observability/log'

function logged(level: LogLevel, tag = '', format?: LogFormat) {
  const lines: string[] = []
  const logger = createLogger(level, tag, (l) => lines.push(l), format)
  return { logger, lines }
}

test('a level lets through itself and above; always() writes at any level', () => {
  const { logger, lines } = logged('warn')
  logger.debug('d')
  logger.info('i')
  logger.warn('w')
  logger.error('e')
  logger.always('a')
  expect(lines.map((l) => l.split(' ').slice(1).join(' '))).toEqual(['WARN  w', 'ERROR e', 'INFO  a'])
  expect([logger.enabled('debug'), logger.enabled('info'), logger.enabled('warn'), logger.enabled('error')]).toEqual([
    false,
    false,
    true,
    true,
  ])
})

test('a text line: ISO time, the level padded, the tag, the message', () => {
  const { logger, lines } = logged('debug', '[w1] ')
  logger.debug('starting')
  expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z DEBUG \[w1\] starting$/)
})

test('a JSON line: time, level and msg, and the worker tag as a field', () => {
  const { logger, lines } = logged('info', ' 2 ', 'json')
  logger.error('it broke\non two lines')
  const line = JSON.parse(lines[0])
  expect(line).toEqual({ time: expect.any(String), level: 'error', msg: 'it broke\non two lines', worker: '2' })
  expect(Date.parse(line.time)).not.toBeNaN()
  expect(lines[0]).not.toContain('\n')
})

test('a request line: its text in text format, its fields under msg "request" in JSON, never below info', () => {
  const text = logged('info')
  text.logger.record('req_1 openai 200', { request_id: 'req_1', status: 200 })
  expect(text.lines[0]).toEndWith('INFO  req_1 openai 200')
  const json = logged('info', '', 'json')
  json.logger.record('req_1 openai 200', { request_id: 'req_1', status: 200 })
  expect(JSON.parse(json.lines[0])).toMatchObject({ level: 'info', msg: 'request', request_id: 'req_1', status: 200 })
  const quiet = logged('warn', '', 'json')
  quiet.logger.record('x', { a: 1 })
  expect(quiet.lines).toEqual([])
})

test('level and format changed in place (a reload) apply to the next line', () => {
  const { logger, lines } = logged('error')
  logger.info('dropped')
  logger.level = 'info'
  logger.format = 'json'
  logger.info('kept')
  expect(lines).toHaveLength(1)
  expect(JSON.parse(lines[0]).msg).toBe('kept')
})
