/**
 * Logger interface (pino-compatible) and the built-in implementations.
 *
 * matterkit is quiet by default. Pass any pino/winston/console-like object with
 * `debug/info/warn/error` methods; every record goes through {@link redact} first, so secrets never
 * reach your log sink at any level.
 *
 * @example
 * ```ts
 * import pino from 'pino'
 * const mm = new Client({ url, token, logger: pino({ level: 'debug' }) })
 * // or: logger: consoleLogger('debug')
 * ```
 * @module
 */
import { redact, redactString } from './redact.js'

/** Log levels from most to least verbose. */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent'

/** A structured logger: pino's `(obj, msg)` form and the plain `(msg)` form are both accepted. */
export interface Logger {
  trace?(obj: unknown, msg?: string): void
  debug(obj: unknown, msg?: string): void
  info(obj: unknown, msg?: string): void
  warn(obj: unknown, msg?: string): void
  error(obj: unknown, msg?: string): void
  child?(bindings: Record<string, unknown>): Logger
}

const ORDER: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, silent: 100 }

/** A logger that drops everything (the default). */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
}

/** JSON.stringify skips an error's message (not enumerable): a line shows its name, message and fields. */
const errorFields = (_key: string, v: unknown): unknown =>
  v instanceof Error ? { ...Object.fromEntries(Object.entries(v)), name: v.name, message: v.message } : v

/**
 * A logger that writes one line per record to stderr (or a custom sink), at `level` and above.
 * Records are redacted.
 */
export function consoleLogger(
  level: LogLevel = 'info',
  sink: (line: string) => void = line => process.stderr.write(`${line}\n`),
  bindings: Record<string, unknown> = {},
): Logger {
  const min = ORDER[level]
  const emit = (lvl: LogLevel, obj: unknown, msg?: string): void => {
    if (ORDER[lvl] < min) return
    let text: string
    let fields: unknown
    if (typeof obj === 'string') {
      text = obj
      fields = undefined
    } else {
      text = msg ?? ''
      fields = obj
    }
    const merged =
      fields && typeof fields === 'object' ? { ...bindings, ...(fields as object) } : { ...bindings }
    const extra = Object.keys(merged).length ? ` ${JSON.stringify(redact(merged), errorFields)}` : ''
    sink(`${new Date().toISOString()} ${lvl.toUpperCase()} ${redactString(text)}${extra}`)
  }
  return {
    trace: (o, m) => emit('trace', o, m),
    debug: (o, m) => emit('debug', o, m),
    info: (o, m) => emit('info', o, m),
    warn: (o, m) => emit('warn', o, m),
    error: (o, m) => emit('error', o, m),
    child: b => consoleLogger(level, sink, { ...bindings, ...b }),
  }
}

/**
 * Wrap a user-supplied logger so every record is redacted before it is written. Errors go under
 * `err` as real `Error` objects (pino's serializer prints their stack). `child()` calls the user's
 * own `child()` when it has one, so its bindings, level and serializers carry over; otherwise the
 * bindings are merged into each record. A missing `trace` falls back to `debug`.
 */
export function safeLogger(inner: Logger | undefined, bindings: Record<string, unknown> = {}): Logger {
  if (!inner || inner === silentLogger) return silentLogger
  const wrap =
    (fn: ((o: unknown, m?: string) => void) | undefined) =>
    (obj: unknown, msg?: string): void => {
      if (!fn) return
      if (typeof obj === 'string') fn.call(inner, redactString(obj))
      else
        fn.call(
          inner,
          redact({ ...bindings, ...(obj as object) }),
          msg === undefined ? msg : redactString(msg),
        )
    }
  return {
    trace: wrap(inner.trace ?? inner.debug),
    debug: wrap(inner.debug),
    info: wrap(inner.info),
    warn: wrap(inner.warn),
    error: wrap(inner.error),
    child: b =>
      inner.child
        ? safeLogger(inner.child(redact({ ...bindings, ...b })))
        : safeLogger(inner, { ...bindings, ...b }),
  }
}

/** Read a log level from an environment value such as `MATTERKIT_LOG=debug`. */
export function parseLogLevel(value: string | undefined, fallback: LogLevel = 'silent'): LogLevel {
  const v = value?.toLowerCase()
  return v && v in ORDER ? (v as LogLevel) : fallback
}
