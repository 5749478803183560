/**
 * One-line logs to stderr, filtered by LOG_LEVEL: a readable line, or with
 * LOG_FORMAT=json one JSON object a line (`time`, `level`, `msg`, and a
 * request line's fields). Callers pass masked keys only.
 */
import type { LogFormat, LogLevel } from '../config/schema'

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  level: LogLevel
  format: LogFormat
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
  /** Written at any level: start-up and shutdown lines a supervisor looks for. */
  always(message: string): void
  /** A structured line at info: `text` for a person, `fields` for JSON. */
  record(text: string, fields: Record<string, unknown>): void
  enabled(level: LogLevel): boolean
}

export function createLogger(
  level: LogLevel,
  tag = '',
  write: (line: string) => void = (line) => console.error(line),
  format: LogFormat = 'text',
): Logger {
  const worker = tag.trim() === '' ? {} : { worker: tag.trim() }
  const line = (at: LogLevel, message: string, fields?: Record<string, unknown>) =>
    logger.format === 'json'
      ? JSON.stringify({ time: new Date().toISOString(), level: at, msg: message, ...worker, ...fields })
      : `${new Date().toISOString()} ${at.toUpperCase().padEnd(5)} ${tag}${message}`
  const emit = (at: LogLevel, message: string) => {
    if (logger.enabled(at)) write(line(at, message))
  }
  const logger: Logger = {
    level,
    format,
    enabled: (at) => ORDER[at] >= ORDER[logger.level],
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    always: (m) => write(line('info', m)),
    record: (text, fields) => {
      if (!logger.enabled('info')) return
      write(logger.format === 'json' ? line('info', 'request', fields) : line('info', text))
    },
  }
  return logger
}
