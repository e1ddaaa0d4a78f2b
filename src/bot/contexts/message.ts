/**
 * `MessageContext`: the context of a `posted` event — for `bot.message`, `bot.mention`, `bot.dm`
 * and `bot.thread`.
 * @module
 */
import { parseDuration } from '../../core/time.js'
import type { PostedEvent } from '../../realtime/events.js'
import type { Post } from '../../types/index.js'
import { isMention } from '../filters.js'
import { type HistoryMessage, type HistoryOptions, threadHistory } from '../history.js'
import { stripMention } from '../matchers.js'
import { asPost, type BotRuntime, bindActions, Context, type Message } from './base.js'

/** @internal Answer in the thread even in a DM (the assistant always does). */
export const IN_THREAD: unique symbol = Symbol('matterkit.inThread')

/**
 * Options of `ctx.waitForReply()`.
 *
 * @example
 * ```ts
 * const answer = await ctx.waitForReply({ timeout: '2m', filter: p => /^(yes|no)$/i.test(p.message) })
 * ```
 */
export interface WaitOptions {
  /** How long to wait (ms or `'30s'`, `'5m'`; default 60 s); then `MK_ERR_CONVERSATION_TIMEOUT`. */
  timeout?: number | string
  /** Only accept replies passing this test (others are handled as usual). */
  filter?: (post: Post) => boolean
}

/**
 * A message (a `posted` event) — for `bot.message`, `bot.mention`, `bot.dm`, `bot.thread`.
 *
 * @example
 * ```ts
 * bot.message(/^add (\d+) (\d+)$/, ctx => ctx.reply(String(+ctx.match[1]! + +ctx.match[2]!)))
 * ```
 */
export class MessageContext extends Context {
  readonly kind = 'message' as const
  /** The post. */
  readonly post: Post
  /** The decoded realtime event (channel type and names, sender, mentions). */
  readonly event: PostedEvent
  /** The listener's match: RegExp groups, or `[text]` for string and predicate triggers. */
  match: RegExpMatchArray;
  [IN_THREAD] = false
  constructor(rt: BotRuntime, event: PostedEvent, receivedAt?: number) {
    super(rt, receivedAt)
    this.event = event
    this.post = event.post
    this.match = [event.post.message] as RegExpMatchArray
  }
  get userId(): string {
    return this.post.user_id
  }
  get channelId(): string {
    return this.post.channel_id
  }
  override get rootId(): string {
    return this.post.root_id || ''
  }
  /** The message text. */
  get text(): string {
    return this.post.message
  }
  /** The text without the bot's @-mention. */
  get textWithoutMention(): string {
    return stripMention(this.post.message, this.me.username)
  }
  /** A direct message to the bot. */
  get isDirect(): boolean {
    return this.event.channelType === 'D'
  }
  /** The bot is @-mentioned (DMs count). */
  get isMention(): boolean {
    return isMention(this.event, this.me)
  }
  /** The post is inside a thread. */
  get inThread(): boolean {
    return this.post.root_id !== ''
  }
  /** The thread this message belongs to, or would start (its root id). */
  get threadId(): string {
    return this.post.root_id || this.post.id
  }
  protected override replyTarget(): { channelId: string; rootId: string } {
    const threaded = this[IN_THREAD] || (this.rt.threadReplies && !this.isDirect)
    const root = this.post.root_id || (threaded ? this.post.id : '')
    return { channelId: this.post.channel_id, rootId: root }
  }
  /** Answer in the thread of this post, always (starting one under a root post). */
  replyInThread(message: Message): Promise<Post> {
    return this.sendPost({
      ...asPost(message),
      channel_id: this.channelId,
      root_id: this.threadId,
    })
  }
  protected override questionId(): string {
    return this.post.id
  }

  /**
   * This post's thread as model-ready messages, oldest first: the bot's posts are `assistant`,
   * everyone else's `user` (prefixed `@username:` when several people speak), files and
   * attachments as short notes. `budget` keeps the newest messages that fit.
   *
   * @example
   * ```ts
   * bot.mention(async ctx => {
   *   const messages = await ctx.history({ system: 'You are a helpful assistant.', budget: 12_000 })
   *   await ctx.reply(`I see ${messages.length} messages`)
   * })
   * ```
   */
  history(options: HistoryOptions = {}): Promise<HistoryMessage[]> {
    return threadHistory(this.client, this.me.id, this.post.root_id || this.post.id, options)
  }

  /** React to the post (`'white_check_mark'`, `':+1:'`). */
  async react(emoji: string): Promise<void> {
    await this.client.reactions.add(this.post.id, emoji.replace(/^:|:$/g, ''), this.me.id)
  }
  /**
   * Edit one of the bot's posts by id.
   *
   * @example
   * ```ts
   * const note = await ctx.reply('Working…')
   * await ctx.edit(note.id, { message: 'Done ✅' })
   * ```
   */
  async edit(postId: string, patch: { message?: string; props?: Post['props'] }): Promise<Post> {
    const props = bindActions(this.rt, patch.props, { postId })
    return this.client.posts.update(postId, { ...patch, ...(props ? { props } : {}) })
  }
  /** Delete a post (default: this post; needs permission to delete others' posts). */
  async delete(postId: string = this.post.id): Promise<void> {
    await this.client.posts.delete(postId)
  }
  /** Show a message only to the author (ephemeral), where the post is. */
  async ephemeral(text: string): Promise<void> {
    await this.client.posts.ephemeral(this.userId, {
      channel_id: this.channelId,
      message: text,
      root_id: this.rootId,
    })
  }
  /** Show "typing…" once (the bot does this automatically for handlers running over ~1 s). */
  async typing(): Promise<void> {
    await this.rt.typing(this.channelId, this.replyTarget().rootId)
  }
  /**
   * Wait for the same user's next message in this conversation: in the thread, or — when this
   * message is at the channel root — at the root or in the thread under it.
   *
   * @throws {MatterkitError} `MK_ERR_CONVERSATION_TIMEOUT` after the timeout; `MK_ERR_ABORTED` when the bot stops.
   */
  waitForReply(options: WaitOptions = {}): Promise<Post> {
    return this.rt.waitForReply({
      channelId: this.channelId,
      userId: this.userId,
      roots: this.post.root_id ? [this.post.root_id] : ['', this.post.id],
      timeoutMs: parseDuration(options.timeout ?? 60_000),
      ...(options.filter ? { filter: options.filter } : {}),
    })
  }
}
