/**
 * Scheduling: fixed intervals and 5-field cron expressions (minute hour day-of-month month
 * day-of-week; `*`, lists, ranges and steps; times in the process's local zone).
 * @module
 */
import { ArgumentError } from '../core/errors.js'

const FIELDS: Array<[number, number]> = [
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
]

/** A parsed cron expression. */
export interface Cron {
  matches(date: Date): boolean
  /** The next matching minute after `from`. */
  next(from: Date): Date
}

/**
 * Parse a cron expression.
 *
 * @example
 * ```ts
 * parseCron('0 9 * * 1-5').next(new Date())  // next weekday at 09:00
 * ```
 */
export function parseCron(expr: string): Cron {
  const parts = expr.trim().split(/\s+/)
  if (parts.length !== 5)
    throw new ArgumentError(`Invalid cron "${expr}": expected 5 fields (minute hour day month weekday).`)
  const sets = parts.map((p, i) => {
    const [min, max] = FIELDS[i]!
    const set = new Set<number>()
    for (const item of p.split(',')) {
      const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item)
      if (!m) throw new ArgumentError(`Invalid cron field "${item}" in "${expr}".`)
      const lo = m[1] === '*' ? min : Number(m[2])
      const hi = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] ? max : lo
      const step = m[4] ? Number(m[4]) : 1
      if (lo < min || hi > (i === 4 ? 7 : max) || lo > hi || step < 1)
        throw new ArgumentError(`Cron field "${item}" out of range in "${expr}".`)
      for (let v = lo; v <= hi; v += step) set.add(i === 4 && v === 7 ? 0 : v)
    }
    return set
  })
  const [mi, h, dom, mon, dow] = sets as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>]
  const domAny = parts[2] === '*'
  const dowAny = parts[4] === '*'
  const matches = (d: Date): boolean => {
    if (!mi.has(d.getMinutes()) || !h.has(d.getHours()) || !mon.has(d.getMonth() + 1)) return false
    const a = dom.has(d.getDate())
    const b = dow.has(d.getDay())
    return domAny && dowAny ? true : domAny ? b : dowAny ? a : a || b
  }
  return {
    matches,
    next(from) {
      const d = new Date(from.getTime())
      d.setSeconds(0, 0)
      d.setMinutes(d.getMinutes() + 1)
      for (let i = 0; i < 366 * 24 * 60; i++) {
        if (matches(d)) return d
        d.setMinutes(d.getMinutes() + 1)
      }
      throw new ArgumentError(`Cron "${expr}" never matches.`)
    },
  }
}
