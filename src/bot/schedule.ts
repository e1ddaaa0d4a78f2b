/**
 * Scheduling: a 5-field cron parser (minute hour day-of-month month day-of-week; `*`, lists,
 * ranges, steps, month and weekday names; times in the process's local zone) and timers that
 * cope with delays longer than Node's 24.8-day `setTimeout` limit.
 * @module
 */
import { ArgumentError } from '../core/errors.js'

const FIELDS: Array<[string, number, number]> = [
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day of month', 1, 31],
  ['month', 1, 12],
  ['day of week', 0, 7],
]
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']

/**
 * A parsed cron expression.
 *
 * @example
 * ```ts
 * const c: Cron = parseCron('0 9 * * 1-5')
 * c.matches(new Date(2026, 0, 5, 9, 0)) // true (a Monday)
 * ```
 */
export interface Cron {
  /** The expression as given. */
  readonly expression: string
  /** Whether the minute of `date` matches. */
  matches(date: Date): boolean
  /** The first matching minute strictly after `from`. */
  next(from: Date): Date
}

function value(tok: string, field: number, expr: string): number {
  const lower = tok.toLowerCase()
  const names = field === 3 ? MONTHS : field === 4 ? DAYS : undefined
  const named = names?.indexOf(lower) ?? -1
  if (named >= 0) return field === 3 ? named + 1 : named
  if (!/^\d+$/.test(tok)) throw new ArgumentError(`Invalid cron value "${tok}" in "${expr}".`)
  return Number(tok)
}

/**
 * Parse a cron expression. Day of month and day of week combine like classic cron: when both are
 * restricted, a day matching either one matches.
 *
 * @throws {ArgumentError} with the faulty field named.
 * @example
 * ```ts
 * parseCron('0 9 * * 1-5').next(new Date())  // the next weekday at 09:00
 * parseCron('*\/15 * * * *')                  // every 15 minutes
 * ```
 */
export function parseCron(expr: string, options: CronOptions = {}): Cron {
  const macro = MACROS[expr.trim().toLowerCase()]
  if (expr.trim().startsWith('@') && !macro)
    throw new ArgumentError(`Unknown cron macro "${expr}": use one of ${Object.keys(MACROS).join(', ')}.`)
  const fieldsOf = wallClock(options.timezone)
  const parts = (macro ?? expr).trim().split(/\s+/)
  if (parts.length !== 5)
    throw new ArgumentError(
      `Invalid cron "${expr}": expected 5 fields (minute hour day-of-month month day-of-week), e.g. "0 9 * * 1-5".`,
    )
  const sets = parts.map((p, i) => {
    const [name, min, max] = FIELDS[i] as [string, number, number]
    const set = new Set<number>()
    for (const item of p.split(',')) {
      const m = /^(\*|([a-z0-9]+)(?:-([a-z0-9]+))?)(?:\/(\d+))?$/i.exec(item)
      if (!m) throw new ArgumentError(`Invalid cron ${name} "${item}" in "${expr}".`)
      const lo = m[1] === '*' ? min : value(m[2] as string, i, expr)
      const hi = m[1] === '*' ? max : m[3] !== undefined ? value(m[3], i, expr) : m[4] ? max : lo
      const step = m[4] ? Number(m[4]) : 1
      if (lo < min || hi > max || lo > hi || step < 1)
        throw new ArgumentError(`Cron ${name} "${item}" is out of range ${min}-${max} in "${expr}".`)
      for (let v = lo; v <= hi; v += step) set.add(i === 4 && v === 7 ? 0 : v)
    }
    return set
  }) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>]
  const [mi, h, dom, mon, dow] = sets
  const domAny = parts[2] === '*'
  const dowAny = parts[4] === '*'
  const dayMatches = (f: WallClock): boolean => {
    if (!mon.has(f.month)) return false
    const a = dom.has(f.day)
    const b = dow.has(f.weekday)
    return domAny && dowAny ? true : domAny ? b : dowAny ? a : a || b
  }
  const matches = (d: Date): boolean => {
    const f = fieldsOf(d)
    return dayMatches(f) && h.has(f.hour) && mi.has(f.minute)
  }
  const cron: Cron = {
    expression: expr,
    matches,
    // Steps in absolute minutes and reads the wall clock at each step, so a timezone (and its
    // daylight-saving jumps) needs no date arithmetic of its own.
    next(from) {
      let t = Math.floor(from.getTime() / 60_000) * 60_000 + 60_000
      const limit = from.getTime() + 8 * 366 * 86_400_000
      while (t <= limit) {
        const f = fieldsOf(new Date(t))
        if (!dayMatches(f)) t += ((23 - f.hour) * 60 + (60 - f.minute)) * 60_000
        else if (!h.has(f.hour)) t += (60 - f.minute) * 60_000
        else if (!mi.has(f.minute)) t += 60_000
        else return new Date(t)
      }
      throw new ArgumentError(`Cron "${expr}" never matches (checked 8 years ahead).`)
    },
  }
  cron.next(new Date(2000, 0, 1))
  return cron
}

/** Options of {@link parseCron}. */
export interface CronOptions {
  /** An IANA time zone such as `'Europe/Berlin'` (default: the process's local time). */
  timezone?: string
}

// The macros cron(8) and most schedulers accept.
const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
}

interface WallClock {
  month: number
  day: number
  weekday: number
  hour: number
  minute: number
}

/** How to read a date's wall clock: local getters, or `Intl` for a named time zone. */
function wallClock(timezone: string | undefined): (d: Date) => WallClock {
  if (timezone === undefined)
    return d => ({
      month: d.getMonth() + 1,
      day: d.getDate(),
      weekday: d.getDay(),
      hour: d.getHours(),
      minute: d.getMinutes(),
    })
  let fmt: Intl.DateTimeFormat
  try {
    fmt = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      month: 'numeric',
      day: 'numeric',
      weekday: 'short',
      hour: 'numeric',
      minute: 'numeric',
    })
  } catch {
    throw new ArgumentError(`Unknown time zone "${timezone}": use an IANA name such as "Europe/Berlin".`)
  }
  return d => {
    const p: Record<string, string> = {}
    for (const part of fmt.formatToParts(d)) p[part.type] = part.value
    return {
      month: Number(p.month),
      day: Number(p.day),
      weekday: DAYS.indexOf(String(p.weekday).slice(0, 3).toLowerCase()),
      hour: Number(p.hour),
      minute: Number(p.minute),
    }
  }
}

const MAX_TIMEOUT = 2 ** 31 - 1

/**
 * Call `fn` at `at` (a long delay is split into several timers). Returns a cancel function. The
 * timer keeps the process alive until it fires or is cancelled (a cron-only bot must stay up).
 *
 * @example
 * ```ts
 * const cancel = runAt(parseCron('0 9 * * *').next(new Date()), () => console.log('09:00'))
 * ```
 */
export function runAt(at: Date, fn: () => void): () => void {
  let timer: NodeJS.Timeout | undefined
  const arm = (): void => {
    const wait = at.getTime() - Date.now()
    timer = setTimeout(wait > MAX_TIMEOUT ? arm : fn, Math.max(0, Math.min(wait, MAX_TIMEOUT)))
  }
  arm()
  return () => clearTimeout(timer)
}
