/**
 * `Context`: what every handler and middleware receives — the event, the client, and helpers
 * that answer in the right place.
 * @module
 */
import type { Readable } from 'node:stream'
import type { Client } from '../client/client.js'
import type { CreatePost } from '../client/resources.js'
import { MatterkitError } from '../core/errors.js'
import { respond } from '../http/respond.js'
import type { RealtimeEvent } from '../realtime/events.js'
import type {
  Channel,
  CommandResponse,
  Dialog,
  DialogSubmission,
  OutgoingWebhookRequest,
  Post,
  PostActionRequest,
  PostActionResponse,
  SlashCommandRequest,
  SubmitDialogResponse,
  User,
} from '../types/index.js'

/** What kind of update a context carries. */
export type UpdateKind = 'message' | 'command' | 'action' | 'dialog' | 'event' | 'webhook' | 'job'

/** Internal services a context uses. @internal */
export interface BotRuntime {
  client: Client
  me(): User
  signingSecret: string
  dialogUrl(): string
  sign(value: unknown): string
  threadReplies: boolean
  resolveChannel(nameOrId: string): Promise<string>
  resolveUser(nameOrId: string): Promise<string>
  waitForReply(key: string, timeoutMs: number): Promise<Post>
  session: { get(key: string): Promise<unknown>; set(key: string, v: unknown): Promise<void> }
}

/** Text or a post body. */
export type Message = string | Omit<CreatePost, 'channel_id'>

const asPost = (m: Message): Omit<CreatePost, 'channel_id'> => (typeof m === 'string' ? { message: m } : m)

/**
 * The context of one update.
 *
 * @example
 * ```ts
 * bot.message(/^ping$/i, ctx => ctx.reply('pong'))
 * ```
 */
export class Context {
  /** The kind of update. */
  readonly kind: UpdateKind
  /** The REST client (authenticated as the bot). */
  readonly client: Client
  /** The post, for messages. */
  readonly post: Post | undefined
  /** The raw realtime event, for messages and events. */
  readonly event: RealtimeEvent | undefined
  /** Regex match, for `bot.message(/…/)` listeners. */
  match: RegExpMatchArray | null = null
  /** Slash-command request. */
  readonly command: SlashCommandRequest | undefined
  /** Parsed slash-command arguments (after the trigger). */
  args: string[] = []
  /** Action request and its verified context. */
  readonly action: (PostActionRequest & { context: Record<string, unknown> }) | undefined
  /** Dialog submission and its verified state. */
  readonly dialogSubmission: (DialogSubmission & { stateValue: unknown }) | undefined
  /** Outgoing-webhook request. */
  readonly webhook: OutgoingWebhookRequest | undefined
  /** The answer returned to Mattermost for commands/actions/dialogs/webhooks. */
  response: (CommandResponse & PostActionResponse & SubmitDialogResponse) | undefined
  /** Free-form state shared by middleware. */
  readonly state: Record<string, unknown> = {}
  #rt: BotRuntime
  #user: Promise<User> | undefined
  #channel: Promise<Channel> | undefined
  #receivedAt = Date.now()
  #sessions = new Map<string, Record<string, unknown>>()

  constructor(
    rt: BotRuntime,
    init: {
      kind: UpdateKind
      post?: Post
      event?: RealtimeEvent
      command?: SlashCommandRequest
      action?: PostActionRequest & { context: Record<string, unknown> }
      dialog?: DialogSubmission & { stateValue: unknown }
      webhook?: OutgoingWebhookRequest
    },
  ) {
    this.#rt = rt
    this.kind = init.kind
    this.client = rt.client
    this.post = init.post
    this.event = init.event
    this.command = init.command
    this.action = init.action
    this.dialogSubmission = init.dialog
    this.webhook = init.webhook
  }

  /** The bot's own user. */
  get me(): User {
    return this.#rt.me()
  }
  /** Channel of the update ('' for jobs). */
  get channelId(): string {
    return (
      this.post?.channel_id ??
      this.command?.channel_id ??
      this.action?.channel_id ??
      this.dialogSubmission?.channel_id ??
      this.webhook?.channel_id ??
      (this.event?.broadcast?.channel_id ||
        String((this.event?.data as { channel_id?: string })?.channel_id ?? ''))
    )
  }
  /** The user who caused the update. */
  get userId(): string {
    return (
      this.post?.user_id ??
      this.command?.user_id ??
      this.action?.user_id ??
      this.dialogSubmission?.user_id ??
      this.webhook?.user_id ??
      ''
    )
  }
  /** The message text (post message, command text, webhook text). */
  get text(): string {
    return this.post?.message ?? this.command?.text ?? this.webhook?.text ?? ''
  }
  /** The thread root of the update ('' at channel level). */
  get rootId(): string {
    if (this.post) return this.post.root_id || ''
    return this.command?.root_id ?? ''
  }

  /** The user who caused the update (fetched once). */
  user(): Promise<User> {
    this.#user ??= this.client.users.get(this.userId)
    return this.#user
  }
  /** The channel of the update (fetched once). */
  channel(): Promise<Channel> {
    this.#channel ??= this.client.channels.get(this.channelId)
    return this.#channel
  }

  /**
   * Answer where the update happened. A message inside a thread is answered in that thread; a
   * root message is answered in a new thread under it unless `threadReplies: false`.
   */
  reply(message: Message): Promise<Post> {
    const body = asPost(message)
    let root = this.rootId
    if (!root && this.post && this.#rt.threadReplies) root = this.post.id
    return this.client.posts.create({
      ...body,
      channel_id: this.channelId,
      ...(root ? { root_id: root } : {}),
    })
  }
  /** Answer in the thread of the update's post, always. */
  replyInThread(message: Message): Promise<Post> {
    const root = this.rootId || this.post?.id || ''
    return this.client.posts.create({ ...asPost(message), channel_id: this.channelId, root_id: root })
  }
  /** Post to a channel by id, `team:name`, name or display name. */
  async send(channel: string, message: Message): Promise<Post> {
    const id = await this.#rt.resolveChannel(channel)
    return this.client.posts.create({ ...asPost(message), channel_id: id })
  }
  /** Direct-message a user by id or username. */
  async dm(user: string, message: Message): Promise<Post> {
    const uid = await this.#rt.resolveUser(user)
    const ch = await this.client.channels.direct(this.me.id, uid)
    return this.client.posts.create({ ...asPost(message), channel_id: ch.id })
  }
  /** React to the update's post. */
  async react(emoji: string): Promise<void> {
    const id = this.post?.id ?? this.action?.post_id
    if (!id) throw new MatterkitError('MK_ERR_INVALID_ARGUMENT', 'react(): this update has no post')
    await this.client.reactions.add(id, emoji, this.me.id)
  }
  /** Upload a file and post it where the update happened. */
  async upload(file: { name: string; data: Buffer | Readable | string }, message = ''): Promise<Post> {
    const [info] = await this.client.files.upload(this.channelId, file)
    return this.reply({ message, file_ids: [info!.id] })
  }
  /** Show a message only to the user (ephemeral). */
  async ephemeral(text: string): Promise<void> {
    if (this.kind === 'action' || this.kind === 'command') {
      this.response = {
        ...this.response,
        ...(this.kind === 'action' ? { ephemeral_text: text } : { text, response_type: 'ephemeral' }),
      }
      return
    }
    await this.client.posts.ephemeral(this.userId, {
      channel_id: this.channelId,
      message: text,
      root_id: this.rootId,
    })
  }
  /** Update the post whose button was clicked (actions), or edit a post by id. */
  async update(patch: { message?: string; props?: Post['props'] }, postId?: string): Promise<void> {
    if (this.kind === 'action' && !postId) {
      this.response = { ...this.response, update: { ...patch } }
      return
    }
    const id = postId ?? this.post?.id
    if (!id) throw new MatterkitError('MK_ERR_INVALID_ARGUMENT', 'update(): no post to update')
    await this.client.posts.patch(id, patch)
  }
  /** Delete a post (default: the update's post). */
  async delete(postId?: string): Promise<void> {
    const id = postId ?? this.post?.id ?? this.action?.post_id
    if (!id) throw new MatterkitError('MK_ERR_INVALID_ARGUMENT', 'delete(): no post')
    await this.client.posts.delete(id)
  }
  /** Dialog submissions: keep the dialog open with errors on fields. */
  fieldErrors(errors: Record<string, string>): void {
    this.response = { ...this.response, errors }
  }
  /**
   * Open a dialog (commands and actions only; their trigger id lives 30 s). `state` is signed.
   *
   * @example
   * ```ts
   * bot.command('deploy', ctx => ctx.openDialog({ callback_id: 'deploy', title: 'Deploy', elements: [{ display_name: 'Env', name: 'env', type: 'text' }] }))
   * ```
   */
  async openDialog(dialog: Dialog & { callback_id: string }, state?: unknown): Promise<void> {
    const trigger = this.command?.trigger_id ?? this.action?.trigger_id
    if (!trigger)
      throw new MatterkitError(
        'MK_ERR_INVALID_ARGUMENT',
        'openDialog() needs a slash command or an action (they carry a trigger id).',
      )
    if (Date.now() - this.#receivedAt > 29_000) {
      throw new MatterkitError(
        'MK_ERR_TRIGGER_EXPIRED',
        'The trigger id expired (30 s). Open the dialog before any slow work.',
      )
    }
    await this.client.system.openDialog({
      trigger_id: trigger,
      url: this.#rt.dialogUrl(),
      dialog: { ...dialog, state: this.#rt.sign({ cb: dialog.callback_id, state: state ?? null }) },
    })
  }
  /** Answer a slash command later through its `response_url`. */
  async respond(body: CommandResponse | string): Promise<void> {
    if (!this.command) throw new MatterkitError('MK_ERR_INVALID_ARGUMENT', 'respond() is for slash commands')
    await respond(this.command.response_url, body)
  }
  /** Wait for the same user's next message in the same channel (and thread). */
  waitForReply(opts: { timeout?: number | string } = {}): Promise<Post> {
    const timeout = typeof opts.timeout === 'number' ? opts.timeout : 60_000
    return this.#rt.waitForReply(
      `${this.channelId}:${this.rootId || this.post?.id || ''}:${this.userId}`,
      timeout,
    )
  }
  /**
   * The session object for this user (default), channel or thread: loaded once, saved after the
   * handler returns.
   *
   * @example
   * ```ts
   * const s = await ctx.session<{ count?: number }>('channel')
   * s.count = (s.count ?? 0) + 1
   * ```
   */
  async session<T extends Record<string, unknown> = Record<string, unknown>>(
    scope: 'user' | 'channel' | 'thread' = 'user',
  ): Promise<T> {
    const key =
      scope === 'user'
        ? `user:${this.userId}`
        : scope === 'channel'
          ? `channel:${this.channelId}`
          : `thread:${this.rootId || this.post?.id || this.channelId}`
    let s = this.#sessions.get(key)
    if (!s) {
      s = ((await this.#rt.session.get(key)) as Record<string, unknown>) ?? {}
      this.#sessions.set(key, s)
    }
    return s as T
  }
  /** @internal Persist the sessions that were used. */
  async saveSession(): Promise<void> {
    for (const [k, v] of this.#sessions) await this.#rt.session.set(k, v)
  }
}
