/**
 * A realtime event: `EventContext`, for `bot.event`.
 * @module
 */
import type { RealtimeEvent } from '../../realtime/events.js'
import { type BotRuntime, Context } from './base.js'

/**
 * A realtime event — for `bot.event(name)`; `ctx.event` is typed by the name.
 *
 * @example
 * ```ts
 * bot.event('user_added', ctx => ctx.send(ctx.event.channelId, `Welcome <@${ctx.event.userId}>!`))
 * ```
 */
export class EventContext<E extends RealtimeEvent = RealtimeEvent> extends Context {
  readonly kind = 'event' as const
  /** The decoded event. */
  readonly event: E
  constructor(rt: BotRuntime, event: E, receivedAt?: number) {
    super(rt, receivedAt)
    this.event = event
  }
  get userId(): string {
    const d = this.event as { userId?: string; data: { user_id?: unknown } }
    return d.userId ?? (typeof d.data.user_id === 'string' ? d.data.user_id : '')
  }
  get channelId(): string {
    const e = this.event as { channelId?: string; data: { channel_id?: unknown } }
    return (
      this.event.broadcast?.channel_id ||
      e.channelId ||
      (typeof e.data.channel_id === 'string' ? e.data.channel_id : '')
    )
  }
}
