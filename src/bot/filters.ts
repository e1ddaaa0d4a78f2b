/**
 * Which incoming posts and requests the bot acts on: its own posts, other bots, a loop guard, and
 * the `mentionOnly` / `channels` / `allowedUsers` options. Every denial that a person could be
 * puzzled by is logged with the reason.
 * @module
 */
import type { Logger } from '../core/logger.js'
import type { PostedEvent } from '../realtime/events.js'
import { mentions } from './matchers.js'

/**
 * The filtering options of a bot.
 *
 * @example
 * ```ts
 * const f: FilterOptions = { allowedUsers: ['alice', 'bob'], channels: ['ops'], mentionOnly: true }
 * ```
 */
export interface FilterOptions {
  /** Only act on messages that @-mention the bot, or DMs (default false). */
  mentionOnly?: boolean
  /** Channel allow-list: ids, names or display names (default: everywhere). */
  channels?: readonly string[]
  /** Who may use the bot: user ids or usernames; `'*'` = everybody (default), `[]` = nobody. */
  allowedUsers?: readonly string[] | '*'
  /** Ignore posts by other bots and webhooks (default true). */
  ignoreBots?: boolean
  /**
   * Loop guard: once the bot made this many posts in a channel within a minute, it stops answering
   * other bots and webhooks there until the minute is over (default 20). People are always answered.
   */
  loopLimit?: number
}

/** Who the bot is, for filtering. */
interface Me {
  id: string
  username: string
}

const ID = /^[a-z0-9]{26}$/

/**
 * Decides whether the bot acts on an incoming post or request.
 *
 * @example
 * ```ts
 * const filter = new PostFilter({ allowedUsers: ['alice'] }, logger)
 * if (filter.acceptPost(ev, me) === undefined) handle(ev)
 * ```
 */
export class PostFilter {
  readonly #o: FilterOptions
  readonly #log: Logger
  #allowIds = new Set<string>()
  #allowNames = new Set<string>()
  #everybody: boolean
  #channels: Set<string> | undefined
  #window = new Map<string, { start: number; count: number; warned: boolean }>()

  constructor(options: FilterOptions, logger: Logger) {
    this.#o = options
    this.#log = logger
    const a = options.allowedUsers ?? '*'
    this.#everybody = a === '*' || (Array.isArray(a) && a.includes('*'))
    if (a !== '*') this.setAllowedUsers(a)
    this.#channels = options.channels?.length
      ? new Set(options.channels.map(c => c.replace(/^[~#]/, '').toLowerCase()))
      : undefined
  }

  /**
   * Replace the allow-list. Usernames that were resolved to ids should be passed as ids: a post's
   * sender name can be overridden by webhooks, its user id cannot.
   */
  setAllowedUsers(list: readonly string[], resolved: ReadonlyMap<string, string> = new Map()): void {
    this.#allowIds = new Set()
    this.#allowNames = new Set()
    for (const raw of list) {
      const v = raw.replace(/^@/, '')
      const id = resolved.get(v.toLowerCase())
      if (ID.test(v)) this.#allowIds.add(v)
      else if (id) this.#allowIds.add(id)
      else this.#allowNames.add(v.toLowerCase())
    }
  }

  /** Whether a user may use the bot (by id, or by username for names not resolved to ids). */
  userAllowed(userId: string, username: string | undefined): boolean {
    if (this.#everybody) return true
    if (this.#allowIds.has(userId)) return true
    return username !== undefined && this.#allowNames.has(username.replace(/^@/, '').toLowerCase())
  }

  /** Whether the bot works in a channel (by id, name or display name). */
  channelAllowed(...idOrNames: Array<string | undefined>): boolean {
    if (!this.#channels) return true
    return idOrNames.some(n => n !== undefined && n !== '' && this.#channels!.has(n.toLowerCase()))
  }

  /** Note a post the bot made (feeds the loop guard). */
  noteOwnPost(channelId: string, now = Date.now()): void {
    let w = this.#window.get(channelId)
    if (!w || now - w.start >= 60_000) {
      w = { start: now, count: 0, warned: false }
      this.#window.set(channelId, w)
      if (this.#window.size > 10_000) this.#sweep(now)
    }
    w.count++
  }

  #sweep(now: number): void {
    for (const [k, w] of this.#window) if (now - w.start >= 60_000) this.#window.delete(k)
  }

  /** True when the bot posted the loop limit or more in this channel during the last minute. */
  looping(channelId: string, channelName: string, now = Date.now()): boolean {
    const w = this.#window.get(channelId)
    const limit = this.#o.loopLimit ?? 20
    if (!w || now - w.start >= 60_000 || w.count < limit) return false
    if (!w.warned) {
      w.warned = true
      this.#log.warn(
        { channel: channelName },
        `loop guard: the bot posted ${w.count} times in ~${channelName} within a minute; ignoring bot and webhook posts there until the minute is over (option loopLimit)`,
      )
    }
    return true
  }

  /**
   * Why a post is not for the bot, or `undefined` when it is.
   * Reasons: `own`, `system`, `bot`, `user`, `channel`, `mention`, `loop`.
   */
  acceptPost(ev: PostedEvent, me: Me): string | undefined {
    const p = ev.post
    if (p.user_id === me.id) return 'own'
    if (p.type?.startsWith('system_')) return 'system'
    const props = p.props ?? {}
    // server/channels/app/post.go: CreatePost marks a bot account's posts from_bot; webhooks set from_webhook.
    const automated = props.from_bot === 'true' || props.from_webhook === 'true'
    // A bot may wake an assistant with props.activate_ai, as the Agents plugin allows
    // (server/messages.go there); webhooks never.
    const woken = props.from_bot === 'true' && props.from_webhook !== 'true' && !!props.activate_ai
    if ((this.#o.ignoreBots ?? true) && automated && !woken) {
      this.#log.debug(
        { channel: ev.channelName, sender: ev.senderName },
        'ignored a post by a bot or webhook',
      )
      return 'bot'
    }
    const sender = ev.senderName.replace(/^@/, '')
    if (!this.userAllowed(p.user_id, props.override_username === undefined ? sender : undefined)) {
      this.#log.info(
        { user: ev.senderName, userId: p.user_id, channel: ev.channelName },
        `denied: @${sender} is not in allowedUsers; ignoring their message in ~${ev.channelName}`,
      )
      return 'user'
    }
    if (ev.channelType !== 'D' && !this.channelAllowed(p.channel_id, ev.channelName, ev.channelDisplayName)) {
      this.#log.info(
        { channel: ev.channelName, user: ev.senderName },
        `denied: ~${ev.channelName} is not in the channels allow-list; ignoring a message from ${ev.senderName}`,
      )
      return 'channel'
    }
    if (this.#o.mentionOnly && ev.channelType !== 'D' && !isMention(ev, me)) {
      this.#log.debug({ channel: ev.channelName }, 'ignored: mentionOnly and the bot was not mentioned')
      return 'mention'
    }
    // Only another bot can make a loop; a busy channel of people must still get every answer.
    if (automated && this.looping(p.channel_id, ev.channelName)) return 'loop'
    return undefined
  }
}

/**
 * Whether a post @-mentions the bot or is a DM to it (the server's `mentions` list counts too).
 *
 * @example
 * ```ts
 * rt.on('posted', ev => { if (isMention(ev, bot.me)) console.log('for me:', ev.post.message) })
 * ```
 */
export function isMention(ev: PostedEvent, me: Me): boolean {
  return ev.channelType === 'D' || ev.mentions.includes(me.id) || mentions(ev.post.message, me.username)
}
