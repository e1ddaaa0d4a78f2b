/**
 * Abortable sleep, backoff policies and duration parsing.
 * @module
 */
import { AbortError, ArgumentError } from './errors.js'

/**
 * Wait `ms` milliseconds. Rejects with {@link AbortError} as soon as `signal` aborts.
 * The timer does not keep the process alive when `unref` is true.
 */
export function sleep(ms: number, signal?: AbortSignal, unref = false): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AbortError(undefined, { cause: signal.reason }))
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(new AbortError(undefined, { cause: signal?.reason }))
    }
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort)
        resolve()
      },
      Math.max(0, ms),
    )
    if (unref) timer.unref?.()
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Exponential backoff settings. */
export interface BackoffOptions {
  /** First delay in ms. Default 500. */
  initialMs?: number
  /** Largest delay in ms. Default 30 000. */
  maxMs?: number
  /** Growth factor. Default 2. */
  factor?: number
  /** `'full'` (random in [0, d]), `'equal'` (d/2 + random d/2) or `'none'`. Default `'full'`. */
  jitter?: 'full' | 'equal' | 'none'
}

/**
 * Delay before retry number `attempt` (0-based) under an exponential policy with jitter.
 *
 * @example
 * ```ts
 * backoffDelay(3, { initialMs: 100, maxMs: 5000 }) // somewhere in [0, 800]
 * ```
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random = Math.random): number {
  const initial = opts.initialMs ?? 500
  const max = opts.maxMs ?? 30_000
  const factor = opts.factor ?? 2
  const d = Math.min(max, initial * factor ** Math.max(0, attempt))
  switch (opts.jitter ?? 'full') {
    case 'none':
      return d
    case 'equal':
      return d / 2 + random() * (d / 2)
    default:
      return random() * d
  }
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * Parse a duration: a number (ms) or a string like `"500ms"`, `"30s"`, `"5m"`, `"1h"`, `"1d"`,
 * or a sum like `"1h30m"`.
 * @throws {ArgumentError} on anything else.
 */
export function parseDuration(value: number | string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) throw new ArgumentError(`Invalid duration ${value}`)
    return value
  }
  const s = value.trim()
  if (/^\d+$/.test(s)) return Number(s)
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy
  let total = 0
  let pos = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(s))) {
    total += Number(m[1]) * (UNITS[m[2] as string] ?? 0)
    pos = re.lastIndex
  }
  if (pos !== s.length || pos === 0) {
    throw new ArgumentError(`Invalid duration "${value}". Use forms like "500ms", "30s", "5m", "1h".`)
  }
  return total
}

/** Combine several optional abort signals into one. */
export function anySignal(...signals: Array<AbortSignal | undefined>): AbortSignal | undefined {
  const list = signals.filter((s): s is AbortSignal => !!s)
  if (list.length === 0) return undefined
  if (list.length === 1) return list[0]
  return AbortSignal.any(list)
}
