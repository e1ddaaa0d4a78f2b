import { describe, expect, it } from 'vitest'
import { parseCron } from '../../src/bot/schedule.js'
import { ArgumentError } from '../../src/core/errors.js'

describe('cron', () => {
  it('accepts the usual macros', () => {
    const from = new Date(2026, 0, 7, 10, 30) // a Wednesday, local time
    expect(parseCron('@hourly').next(from)).toEqual(new Date(2026, 0, 7, 11, 0))
    expect(parseCron('@daily').next(from)).toEqual(new Date(2026, 0, 8, 0, 0))
    expect(parseCron('@midnight').next(from)).toEqual(new Date(2026, 0, 8, 0, 0))
    expect(parseCron('@weekly').next(from)).toEqual(new Date(2026, 0, 11, 0, 0)) // Sunday
    expect(parseCron('@monthly').next(from)).toEqual(new Date(2026, 1, 1, 0, 0))
    expect(parseCron('@yearly').next(from)).toEqual(new Date(2027, 0, 1, 0, 0))
    expect(() => parseCron('@sometimes')).toThrow(ArgumentError)
  })

  it('runs in a named time zone, across its daylight-saving change', () => {
    const berlin9 = parseCron('0 9 * * *', { timezone: 'Europe/Berlin' })
    // Winter: Berlin is UTC+1, so 09:00 there is 08:00 UTC.
    expect(berlin9.next(new Date('2026-03-27T12:00:00Z')).toISOString()).toBe('2026-03-28T08:00:00.000Z')
    // Summer time starts on 29 March 2026: 09:00 is then 07:00 UTC.
    expect(berlin9.next(new Date('2026-03-28T12:00:00Z')).toISOString()).toBe('2026-03-29T07:00:00.000Z')
    const tokyoMonday = parseCron('30 8 * * mon', { timezone: 'Asia/Tokyo' })
    // Monday 2026-12-07 08:30 in Tokyo (UTC+9) is Sunday 23:30 UTC.
    expect(tokyoMonday.next(new Date('2026-12-06T00:00:00Z')).toISOString()).toBe('2026-12-06T23:30:00.000Z')
    expect(tokyoMonday.matches(new Date('2026-12-06T23:30:00Z'))).toBe(true)
    expect(() => parseCron('0 9 * * *', { timezone: 'Mars/Olympus' })).toThrow(ArgumentError)
  })
})
