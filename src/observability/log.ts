/** One-line logs to stderr, filtered by LOG_LEVEL. Callers pass masked keys only. */
import type { LogLevel } from '../config/schema'

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 }

export interface Logger {
  level: LogLevel
  debug(message: string): void
  info(message: string): void
  warn(message: string): void
  error(message: string): void
  /** Written at any level: start-up and shutdown lines a supervisor looks for. */
  always(message: string): void
  enabled(level: LogLevel): boolean
}

export function createLogger(level: LogLevel, tag = '', write: (line: string) => void = (line) => console.error(line)): Logger {
  const logger: Logger = {
    level,
    enabled: (at) => ORDER[at] >= ORDER[logger.level],
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warn', m),
    error: (m) => emit('error', m),
    always: (m) => write(`${new Date().toISOString()} INFO  ${tag}${m}`),
  }
  const emit = (at: LogLevel, message: string) => {
    if (logger.enabled(at)) write(`${new Date().toISOString()} ${at.toUpperCase().padEnd(5)} ${tag}${message}`)
  }
  return logger
}
