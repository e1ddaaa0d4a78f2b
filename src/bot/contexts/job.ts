/**
 * A scheduled run: `JobContext`, for `bot.every` and `bot.cron`.
 * @module
 */
import { type BotRuntime, Context, noTarget } from './base.js'

/**
 * A scheduled job run — for `bot.every` / `bot.cron`. There is no channel: use `ctx.send`.
 *
 * @example
 * ```ts
 * bot.cron('0 9 * * 1-5', ctx => ctx.send('town-square', 'Stand-up time!'))
 * ```
 */
export class JobContext extends Context {
  readonly kind = 'job' as const
  /** The schedule (`'1h'`, `'0 9 * * 1-5'`). */
  readonly schedule: string
  constructor(rt: BotRuntime, schedule: string, receivedAt?: number) {
    super(rt, receivedAt)
    this.schedule = schedule
  }
  get userId(): string {
    return ''
  }
  get channelId(): string {
    return ''
  }
  protected override replyTarget(): never {
    throw noTarget('reply()', 'job', 'a channel; use ctx.send(channel, …)')
  }
}
