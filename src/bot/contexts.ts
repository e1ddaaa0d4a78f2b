/**
 * The kind-specific contexts. Each one has its update's fields as non-optional properties, and
 * only the helpers that make sense for it. `MessageContext` lives in `message-context.ts`.
 * @module
 */
import { respond } from '../http/respond.js'
import type { RealtimeEvent } from '../realtime/events.js'
import type {
  CommandResponse,
  DialogSubmission,
  OutgoingWebhookRequest,
  OutgoingWebhookResponse,
  Post,
  PostActionRequest,
  PostActionResponse,
  SlashCommandRequest,
  SubmitDialogResponse,
} from '../types/index.js'
import type { ArgValue } from './args.js'
import { type BotRuntime, bindActions, Context, type DialogSpec, noTarget } from './context.js'

import type { MessageContext } from './message-context.js'

export { MessageContext, type WaitOptions } from './message-context.js'

/**
 * A slash command — for `bot.command`. Answer by returning a string (shown only to the user) or a
 * `CommandResponse`, or with `ctx.ephemeral()` / `ctx.inChannel()`.
 *
 * @example
 * ```ts
 * bot.command('echo', { args: [{ name: 'text', rest: true, required: true }] }, ctx => ctx.inChannel(String(ctx.params.text)))
 * ```
 */
export class CommandContext extends Context {
  readonly kind = 'command' as const
  /** The request Mattermost sent. */
  readonly command: SlashCommandRequest
  /** Positional arguments (quotes honoured). */
  args: string[] = []
  /** Named arguments and flags from the command's spec (with defaults). */
  params: Record<string, ArgValue | undefined> = {}
  /** The answer for Mattermost (set by helpers or by returning a value). */
  response: CommandResponse | string | undefined
  constructor(rt: BotRuntime, command: SlashCommandRequest, receivedAt?: number) {
    super(rt, receivedAt)
    this.command = command
  }
  get userId(): string {
    return this.command.user_id
  }
  get channelId(): string {
    return this.command.channel_id
  }
  override get rootId(): string {
    return this.command.root_id ?? ''
  }
  /** The trigger without the slash, lower case (`deploy`). */
  get name(): string {
    return this.command.command.replace(/^\//, '').toLowerCase()
  }
  /** The text after the trigger. */
  get text(): string {
    return this.command.text
  }
  /** Answer only to the user who ran the command. */
  ephemeral(text: string, extra: Omit<CommandResponse, 'text' | 'response_type'> = {}): void {
    this.response = { ...extra, response_type: 'ephemeral', text }
  }
  /** Answer in the channel, visible to everyone (posted as the user, marked as from the command). */
  inChannel(answer: string | Omit<CommandResponse, 'response_type'>): void {
    this.response = {
      ...(typeof answer === 'string' ? { text: answer } : answer),
      response_type: 'in_channel',
    }
  }
  /**
   * Open a dialog (within 30 s of the command). `state` comes back verified as `ctx.dialogState`.
   * @throws {MatterkitError} `MK_ERR_TRIGGER_EXPIRED` after 30 s.
   */
  openDialog(dialog: DialogSpec, state?: unknown, now?: number): Promise<void> {
    return this.openDialogWith(this.command.trigger_id, dialog, state, now)
  }
  /** Answer later through the command's `response_url` (valid 30 min, 5 times). */
  async respond(body: CommandResponse | string): Promise<void> {
    await respond(this.command.response_url, body)
  }
}

/**
 * A button click or menu choice — for `bot.action`. Return or `ctx.update()` to change the post.
 *
 * @example
 * ```ts
 * bot.action('approve', ctx => ctx.update({ message: `Approved by @${ctx.action.user_name} ✅` }))
 * ```
 */
export class ActionContext extends Context {
  readonly kind = 'action' as const
  /** The request Mattermost sent (its `context` is the verified one). */
  readonly action: PostActionRequest
  /** The action id (as given to `ctx.button` / `bot.button`). */
  readonly actionId: string
  /** The verified data the button carried. */
  readonly values: Record<string, unknown>
  /** The answer for Mattermost (set by helpers or by returning a value). */
  response: PostActionResponse | string | undefined
  constructor(rt: BotRuntime, action: PostActionRequest, actionId: string, receivedAt?: number) {
    super(rt, receivedAt)
    this.action = action
    this.actionId = actionId
    const { selected_option: _s, ...values } = action.context
    this.values = values
  }
  get userId(): string {
    return this.action.user_id
  }
  get channelId(): string {
    return this.action.channel_id
  }
  /** The post whose button was used. */
  get postId(): string {
    return this.action.post_id
  }
  /** The chosen option of a menu. */
  get selected(): string | undefined {
    const v = this.action.context.selected_option
    return v === undefined ? undefined : String(v)
  }
  /**
   * Replace the post's message/props (attachments included) once the click is answered. The bot's
   * buttons in `props` are bound to this post.
   */
  update(patch: { message?: string; props?: Post['props'] }): void {
    const prev = typeof this.response === 'object' ? this.response : {}
    const props = bindActions(this.rt, patch.props, { channelId: this.channelId, postId: this.postId })
    this.response = { ...prev, update: { ...prev.update, ...patch, ...(props ? { props } : {}) } }
  }
  /** Show text only to the user who clicked. */
  ephemeral(text: string): void {
    const prev = typeof this.response === 'object' ? this.response : {}
    this.response = { ...prev, ephemeral_text: text }
  }
  /** Open a dialog (within 30 s of the click). */
  openDialog(dialog: DialogSpec, state?: unknown, now?: number): Promise<void> {
    return this.openDialogWith(this.action.trigger_id, dialog, state, now)
  }
  /** Delete the post whose button was used. */
  async delete(): Promise<void> {
    await this.client.posts.delete(this.postId)
  }
}

/**
 * A dialog submission (or cancellation) — for `bot.dialog`. Return nothing to close the dialog,
 * or keep it open with `ctx.fieldErrors()` / `ctx.error()`.
 *
 * @example
 * ```ts
 * bot.dialog('deploy', ctx => { if (!ctx.values.env) return ctx.fieldErrors({ env: 'required' }) })
 * ```
 */
export class DialogContext extends Context {
  readonly kind = 'dialog' as const
  /** The submission Mattermost sent. */
  readonly submission: DialogSubmission
  /** The submitted fields. */
  readonly values: DialogSubmission['submission']
  /** The verified `state` given to `openDialog`. */
  readonly dialogState: unknown
  /** The answer for Mattermost. */
  response: SubmitDialogResponse | string | undefined
  constructor(rt: BotRuntime, submission: DialogSubmission, state: unknown, receivedAt?: number) {
    super(rt, receivedAt)
    this.submission = submission
    this.values = submission.submission
    this.dialogState = state
  }
  get userId(): string {
    return this.submission.user_id
  }
  get channelId(): string {
    return this.submission.channel_id
  }
  /** The dialog's callback id. */
  get callbackId(): string {
    return this.submission.callback_id
  }
  /** The user pressed Cancel (only sent with `notify_on_cancel`). */
  get cancelled(): boolean {
    return this.submission.cancelled
  }
  /** Keep the dialog open with messages under fields. */
  fieldErrors(errors: Record<string, string>): void {
    this.response = { errors }
  }
  /** Keep the dialog open with a general error. */
  error(message: string): void {
    this.response = { error: message }
  }
}

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

/**
 * An outgoing webhook call — for `bot.webhook(trigger)`. Return a string or an
 * `OutgoingWebhookResponse` to post an answer (authored by the hook's creator), or use `ctx.reply`
 * to answer as the bot.
 *
 * @example
 * ```ts
 * bot.webhook('!status', ctx => ({ text: 'all green', response_type: 'comment' }))
 * ```
 */
export class WebhookContext extends Context {
  readonly kind = 'webhook' as const
  /** The request Mattermost sent. */
  readonly webhook: OutgoingWebhookRequest
  /** The answer for Mattermost. */
  response: OutgoingWebhookResponse | string | undefined
  constructor(rt: BotRuntime, webhook: OutgoingWebhookRequest, receivedAt?: number) {
    super(rt, receivedAt)
    this.webhook = webhook
  }
  get userId(): string {
    return this.webhook.user_id
  }
  get channelId(): string {
    return this.webhook.channel_id
  }
  /** The message text. */
  get text(): string {
    return this.webhook.text
  }
  /** The word that matched. */
  get triggerWord(): string {
    return this.webhook.trigger_word
  }
  protected override replyTarget(): { channelId: string; rootId: string } {
    return { channelId: this.channelId, rootId: this.rt.threadReplies ? this.webhook.post_id : '' }
  }
}

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

/**
 * Any context a bot hands to middleware; switch on `kind` to narrow.
 *
 * @example
 * ```ts
 * bot.use((ctx: AnyContext, next) => (ctx.kind === 'message' && ctx.text.length > 4000 ? undefined : next()))
 * ```
 */
export type AnyContext =
  | MessageContext
  | CommandContext
  | ActionContext
  | DialogContext
  | EventContext
  | WebhookContext
  | JobContext
