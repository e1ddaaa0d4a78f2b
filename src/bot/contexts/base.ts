/**
 * `Context`: the base of what every handler and middleware receives — the client, the bot's
 * identity, the session and helpers that work for every kind of update. The kind-specific
 * contexts (`MessageContext`, `CommandContext`, …) have a file each beside this one.
 * @module
 */

import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import type { CreatePost, UploadFile } from '../../client/resources-posts.js'
import { ArgumentError, MatterkitError } from '../../core/errors.js'
import type { Logger } from '../../core/logger.js'
import { parseDuration } from '../../core/time.js'
import type { Client } from '../../realtime/client.js'
import type {
  Channel,
  Dialog,
  MessageAttachment,
  Post,
  PostAction,
  PostActionOption,
  User,
} from '../../types/index.js'
import { CONFIRM_NO, CONFIRM_YES, type Controls, STOP_ACTION } from '../controls.js'
import type { SessionData } from '../session.js'
import { splitMessage } from '../split.js'
import { type StreamOptions, type StreamResult, type StreamSource, streamInto } from '../stream.js'
import type { ActionContext } from './action.js'
import type { CommandContext } from './command.js'
import type { DialogContext } from './dialog.js'
import type { EventContext } from './event.js'
import type { JobContext } from './job.js'
import type { MessageContext } from './message.js'
import type { WebhookContext } from './webhook.js'

/**
 * The kinds of update a bot handles.
 *
 * @example
 * ```ts
 * bot.use((ctx, next) => { console.log(ctx.kind satisfies UpdateKind); return next() })
 * ```
 */
export type UpdateKind = 'message' | 'command' | 'action' | 'dialog' | 'event' | 'webhook' | 'job'

/**
 * Text, or a post body without its channel.
 *
 * @example
 * ```ts
 * const m: Message = { message: 'Build failed', props: { attachments: [{ color: 'danger', text: 'see logs' }] } }
 * ```
 */
export type Message = string | Omit<CreatePost, 'channel_id'>

/**
 * A dialog to open: Mattermost's `Dialog` with a required `callback_id` (routes the submission to
 * `bot.dialog(callback_id)`).
 *
 * @example
 * ```ts
 * const d: DialogSpec = { callback_id: 'deploy', title: 'Deploy', elements: [{ display_name: 'Env', name: 'env', type: 'text' }] }
 * ```
 */
export type DialogSpec = Omit<Dialog, 'state' | 'callback_id'> & { callback_id: string }

/**
 * Options of a button made with `ctx.button()` / `bot.button()`.
 *
 * @example
 * ```ts
 * bot.button('approve', 'Approve', { context: { id: 42 }, style: 'primary' })
 * ```
 */
export interface ButtonOptions {
  /** Data handed back, verified, as `ctx.values` when the button is used. */
  context?: Record<string, unknown>
  /** `default`, `primary`, `success`, `good`, `warning`, `danger` or `#rrggbb`. */
  style?: string
  disabled?: boolean
  /** Refuse clicks after this long (ms or `'7d'`); default: never, as buttons live on posts for months. */
  expires?: number | string
}

/** What a signed action is bound to. @internal */
export interface ActionBinding {
  channelId?: string
  postId?: string
  expiresAt?: number
}

/**
 * What a `waitForReply` waits for. @internal
 * @example
 * ```ts
 * const w: ReplyWait = { channelId, userId, roots: [''], timeoutMs: 60_000 }
 * ```
 */
export interface ReplyWait {
  channelId: string
  userId: string
  /** Accepted thread roots (`''` = the channel root). */
  roots: readonly string[]
  timeoutMs: number
  filter?: (post: Post) => boolean
}

/**
 * Internal services a context uses (provided by `Bot`). @internal
 * @example
 * ```ts
 * // built by Bot; tests may pass a partial one
 * ```
 */
export interface BotRuntime {
  client: Client
  me(): User
  log: Logger
  /** The Stop and confirm buttons' state. */
  controls: Controls
  /** Whether buttons can reach this bot (it has a receiver URL). */
  canReceive(): boolean
  threadReplies: boolean
  /** Sign a button/menu context (see `signActionContext`). */
  signAction(id: string, context: Record<string, unknown>, bind: ActionBinding): string
  /** Sign a dialog state bound to its callback id (see `signDialogState`). */
  signDialog(callbackId: string, state: unknown): string
  urls(): { action: string; dialog: string }
  resolveChannel(nameOrId: string): Promise<string>
  resolveUser(nameOrId: string): Promise<string>
  waitForReply(wait: ReplyWait): Promise<Post>
  /** Show "typing…": over the bot's socket while it is open, else by REST. */
  typing(channelId: string, parentId: string): Promise<void>
}

/** @internal */
export const asPost = (m: Message): Omit<CreatePost, 'channel_id'> =>
  typeof m === 'string' ? { message: m } : m

/** Trigger ids live 30 s from the moment Mattermost made them; keep a margin for transit. */
const TRIGGER_LIFETIME_MS = 29_000

/**
 * @internal The identity of the event being handled, in cluster mode: the bot's posts then carry a
 * `pending_post_id` derived from it, so a replica taking the event over makes the server drop a
 * second copy of a post the first replica already made.
 */
export const IDEMPOTENCY: unique symbol = Symbol('matterkit.idempotency')

/** @internal Aborts when the update's work should stop (an assistant question was superseded). */
export const INTERRUPT: unique symbol = Symbol('matterkit.interrupt')

/** @internal Session slot, filled by the bot's session middleware. */
export const SESSION: unique symbol = Symbol('matterkit.session')

/**
 * The base of every context. Handlers receive a kind-specific subclass, narrowed by the listener:
 * `bot.message(…)` → `MessageContext`, `bot.command(…)` → `CommandContext`, and so on. In
 * middleware (`bot.use`), switch on `ctx.kind` to narrow.
 *
 * @example
 * ```ts
 * bot.use(async (ctx, next) => {
 *   const t = Date.now()
 *   await next()
 *   console.log(ctx.kind, ctx.userId, Date.now() - t, 'ms')
 * })
 * ```
 */
export abstract class Context {
  /** The kind of update. */
  abstract readonly kind: UpdateKind
  /** The REST client, authenticated as the bot. */
  readonly client: Client
  /** Free-form state shared by middleware and handlers of this update. */
  readonly state: Record<string, unknown> = {}
  /** When the update arrived (ms since the epoch). */
  readonly receivedAt: number
  /** @internal */
  protected readonly rt: BotRuntime;
  /** @internal */
  /** @internal */
  [IDEMPOTENCY]: { key: string; posts: number } | undefined;
  [INTERRUPT]: AbortSignal | undefined;
  [SESSION]: { data: SessionData | undefined; enabled: boolean; cleared: boolean } = {
    data: undefined,
    enabled: false,
    cleared: false,
  }
  #user: Promise<User> | undefined
  #channel: Promise<Channel> | undefined

  constructor(rt: BotRuntime, receivedAt = Date.now()) {
    this.rt = rt
    this.client = rt.client
    this.receivedAt = receivedAt
  }

  /** The bot's own user. */
  get me(): User {
    return this.rt.me()
  }
  /** The user who caused the update (`''` for jobs). */
  abstract get userId(): string
  /** The channel of the update (`''` when there is none, e.g. jobs). */
  abstract get channelId(): string
  /** The thread root of the update (`''` at channel level). */
  get rootId(): string {
    return ''
  }

  /**
   * The session of this update (per user by default; see the `session` option of `Bot`). Mutate
   * it or assign a new object; it is saved after the handlers finish. Assign `undefined` to delete.
   */
  get session(): SessionData {
    const s = this[SESSION]
    if (!s.enabled)
      throw new MatterkitError(
        'MK_ERR_INVALID_CONFIG',
        'ctx.session is off: enable it with new Bot({ …, session: {} }) (options: scope, storage, ttl, initial).',
      )
    if (!s.data)
      throw new MatterkitError(
        'MK_ERR_INVALID_ARGUMENT',
        `ctx.session: this ${this.kind} update has no key for the configured session scope.`,
      )
    return s.data
  }
  set session(value: SessionData | undefined) {
    const s = this[SESSION]
    s.data = value ?? {}
    s.cleared = value === undefined
  }

  /** The user who caused the update (fetched once, then cached). */
  user(): Promise<User> {
    if (!this.userId) return Promise.reject(noTarget('user()', this.kind, 'a user'))
    this.#user ??= this.client.users.get(this.userId)
    return this.#user
  }
  /** The channel of the update (fetched once, then cached). */
  channel(): Promise<Channel> {
    if (!this.channelId) return Promise.reject(noTarget('channel()', this.kind, 'a channel'))
    this.#channel ??= this.client.channels.get(this.channelId)
    return this.#channel
  }

  /** @internal Open a dialog with a trigger id, checking its 30 s lifetime first. */
  protected async openDialogWith(
    triggerId: string,
    dialog: DialogSpec,
    state: unknown,
    now = Date.now(),
  ): Promise<void> {
    const age = now - this.receivedAt
    if (age > TRIGGER_LIFETIME_MS)
      throw new MatterkitError(
        'MK_ERR_TRIGGER_EXPIRED',
        `The trigger id expired: dialogs must open within 30 s of the command or click (this one is ${Math.round(age / 1000)} s old). Open the dialog first, then do slow work.`,
      )
    await this.client.system.openDialog({
      trigger_id: triggerId,
      url: this.rt.urls().dialog,
      dialog: { ...dialog, state: this.rt.signDialog(dialog.callback_id, state) },
    })
  }

  /** Where `reply` posts: channel and thread root. */
  protected replyTarget(): { channelId: string; rootId: string } {
    if (!this.channelId) throw noTarget('reply()', this.kind, 'a channel; use ctx.send(channel, …)')
    return { channelId: this.channelId, rootId: this.rootId }
  }

  /** Post where the update happened, as the bot (a message in a thread is answered in it). */
  reply(message: Message): Promise<Post> {
    const { channelId, rootId } = this.replyTarget()
    return this.sendPost({
      ...asPost(message),
      channel_id: channelId,
      ...(rootId ? { root_id: rootId } : {}),
    })
  }

  /**
   * Stream a model's answer where `reply` would post: "typing…" until the first text, then one
   * post edited as the text arrives (at most one edit in flight, about one a second, slower when
   * the server says few requests are left; a 429 delays text, never drops it), continued in a new
   * post of the thread before Mattermost's 16,383-rune limit, never inside an open code fence.
   * The final text of each post is exactly what the source produced. The posts are marked as
   * written by a model (`ai_generated_by`, `unsafe_links`) unless `generated: false`.
   * A source that throws ends the post with a short note, and the error is thrown on.
   *
   * @example
   * ```ts
   * bot.message(/^ask (.+)/, async ctx => {
   *   async function* answer(): AsyncGenerator<string> {
   *     yield 'Thinking about '
   *     yield ctx.match[1] ?? ''
   *   }
   *   await ctx.stream(answer())
   * })
   * ```
   */
  async stream(source: StreamSource, options: StreamOptions = {}): Promise<StreamResult> {
    const { channelId, rootId } = this.replyTarget()
    // A Stop button for the one who asked, when buttons can reach the bot.
    const stop =
      options.stopButton !== false && this.userId && this.rt.canReceive()
        ? this.rt.controls.stream(this.userId, this.questionId())
        : undefined
    const signals = [stop?.signal, options.signal, this[INTERRUPT]].filter(s => s !== undefined)
    const signal = signals.length > 1 ? AbortSignal.any(signals) : signals[0]
    const extra = stop
      ? {
          attachments: [
            {
              actions: [
                this.button(STOP_ACTION, options.stopLabel ?? 'Stop', {
                  context: { id: stop.id, requester: this.userId },
                }),
              ],
            },
          ],
        }
      : {}
    try {
      return await this.#streamInto(
        channelId,
        rootId,
        source,
        { ...options, ...(signal ? { signal } : {}) },
        extra,
      )
    } finally {
      stop?.end()
    }
  }

  /** The post whose deletion stops a streamed answer (a message's own post). @internal */
  protected questionId(): string | undefined {
    return undefined
  }

  /**
   * Ask the user who triggered this update to approve or reject, with two buttons in the thread;
   * resolves `true` or `false`. Only that user (or a system admin) may answer; anyone else is told
   * so. Rejects with `MK_ERR_CONVERSATION_TIMEOUT` after `timeout` (default 10 min).
   *
   * @example
   * ```ts
   * bot.command('deploy', async ctx => {
   *   if (await ctx.confirm('Deploy to production?', { approve: 'Deploy' })) await ctx.reply('Deploying…')
   * })
   * ```
   */
  async confirm(
    text: string,
    options: { approve?: string; reject?: string; timeout?: number | string } = {},
  ): Promise<boolean> {
    if (!this.userId) throw noTarget('confirm()', this.kind, 'a user who can answer')
    const c = this.rt.controls.confirm(this.userId, parseDuration(options.timeout ?? '10m'))
    const context = { id: c.id, requester: this.userId, text }
    try {
      const post = await this.reply({
        message: text,
        props: {
          attachments: [
            {
              actions: [
                this.button(CONFIRM_YES, options.approve ?? 'Approve', { context, style: 'primary' }),
                this.button(CONFIRM_NO, options.reject ?? 'Reject', { context, style: 'danger' }),
              ],
            },
          ],
        },
      })
      try {
        return await c.answer
      } catch (err) {
        await this.client.posts
          .update(post.id, {
            message: `${text}

⌛ No answer in time.`,
            props: {},
          })
          .catch(() => {})
        throw err
      }
    } finally {
      c.end()
    }
  }

  #streamInto(
    channelId: string,
    rootId: string,
    source: StreamSource,
    options: StreamOptions,
    extra: Record<string, unknown>,
  ): Promise<StreamResult> {
    return streamInto(
      {
        channelId,
        rootId,
        botId: this.me.id,
        log: this.rt.log,
        create: body => this.sendPost(body),
        // The one post edit (posts.update's patch endpoint), read whole: the streamer slows down
        // on the response's X-RateLimit-Remaining, which posts.update does not return.
        edit: async (postId, message, props) => {
          const res = await this.client.requestFull<Post>(
            'PUT',
            `/posts/${encodeURIComponent(postId)}/patch`,
            {
              body: { message, ...(props ? { props } : {}) },
            },
          )
          const left = Number(res.headers['x-ratelimit-remaining'])
          return Number.isFinite(left) ? left : undefined
        },
        typing: () => this.rt.typing(channelId, rootId),
      },
      source,
      options,
      extra,
    )
  }

  /**
   * Post to a channel by id, name (`town-square`, `~town-square`) or display name (`Town Square`);
   * among the bot's channels, a display-name match wins over a name match.
   *
   * @example
   * ```ts
   * await ctx.send('Town Square', 'Deploy finished ✅')
   * ```
   */
  async send(channel: string, message: Message): Promise<Post> {
    const id = await this.rt.resolveChannel(channel)
    return this.sendPost({ ...asPost(message), channel_id: id })
  }
  /** Direct-message a user by id or username (`alice`, `@alice`). */
  async dm(user: string, message: Message): Promise<Post> {
    const uid = await this.rt.resolveUser(user)
    const ch = await this.client.channels.direct(this.me.id, uid)
    return this.sendPost({ ...asPost(message), channel_id: ch.id })
  }

  /**
   * @internal The bot's one way to create a post: buttons are bound to the channel, and a message over
   * Mattermost's limit is split into several posts in the same thread (the last one is returned).
   */
  protected async sendPost(body: CreatePost): Promise<Post> {
    const bound = { ...body, props: bindActions(this.rt, body.props, { channelId: body.channel_id }) }
    if (bound.props === undefined) delete bound.props
    const parts = splitMessage(body.message ?? '')
    if (parts.length <= 1) return this.client.posts.create(this.#idempotent(bound))
    let last: Post | undefined
    for (const [i, message] of parts.entries()) {
      const final = i === parts.length - 1
      // Attachments and files go with the last part, so they follow the whole text.
      last = await this.client.posts.create(
        this.#idempotent(
          final
            ? { ...bound, message }
            : { channel_id: bound.channel_id, message, ...(bound.root_id ? { root_id: bound.root_id } : {}) },
        ),
      )
    }
    return last as Post
  }

  /** In cluster mode: the nth post of this event gets the same `pending_post_id` on any replica. */
  #idempotent(body: CreatePost): CreatePost {
    const idem = this[IDEMPOTENCY]
    if (!idem || body.pending_post_id) return body
    const h = createHash('sha1')
      .update(`${idem.key}#${idem.posts++}`)
      .digest('base64url')
      .slice(0, 20)
    return { ...body, pending_post_id: `${this.me.id}:${h}` }
  }

  /**
   * Upload a file and post it with `message` where `reply` would post: `{ path }` (a file on
   * disk), `{ text }` (content, UTF-8) or `{ data }` (a Buffer, a stream, or — for compatibility —
   * a string, which is a path).
   *
   * @throws {ArgumentError} `MK_ERR_INVALID_ARGUMENT` when a path does not exist or is not a file.
   * @example
   * ```ts
   * await ctx.upload({ name: 'report.csv', text: csv }, 'Here is the report')
   * await ctx.upload({ path: './build.log' })
   * ```
   */
  async upload(file: UploadInput, message: Message = ''): Promise<Post> {
    const { channelId } = this.replyTarget()
    const [info] = await this.client.files.upload(channelId, uploadFile(file))
    const body = asPost(message)
    return this.reply({ ...body, file_ids: [...(body.file_ids ?? []), (info as { id: string }).id] })
  }

  /**
   * A button that routes to `bot.action(id)`; its context is signed, so a click with forged
   * context is refused by the receiver.
   *
   * @example
   * ```ts
   * await ctx.reply({ message: 'Deploy?', props: { attachments: [{ actions: [ctx.button('approve', 'Approve', { context: { env } })] }] } })
   * ```
   */
  button(id: string, label: string, options: ButtonOptions = {}): PostAction {
    return buildAction(this.rt, id, label, options)
  }
  /** A select menu that routes to `bot.action(id)`; the choice is `ctx.selected`. */
  menu(
    id: string,
    label: string,
    choices: readonly PostActionOption[],
    options: ButtonOptions = {},
  ): PostAction {
    return buildAction(this.rt, id, label, options, choices)
  }
}

/**
 * What `ctx.upload` takes.
 *
 * @example
 * ```ts
 * const f: UploadInput = { name: 'notes.txt', text: 'hello' }
 * ```
 */
export type UploadInput =
  | { name?: string; data: Buffer | Readable | string }
  | { name?: string; path: string }
  | { name: string; text: string }

const uploadFile = (f: UploadInput): UploadFile =>
  'path' in f
    ? { ...(f.name ? { name: f.name } : {}), data: f.path }
    : 'text' in f
      ? { name: f.name, data: Buffer.from(f.text) }
      : f

const BUTTON_OPTION_KEYS: ReadonlySet<string> = new Set(['context', 'style', 'disabled', 'expires'])

/** @internal Build a signed action pointing at the receiver: a button, or a menu when `choices` are given. */
export function buildAction(
  rt: BotRuntime,
  id: string,
  label: string,
  o: ButtonOptions,
  choices?: readonly PostActionOption[],
): PostAction {
  if (!/^[A-Za-z0-9_-]+$/.test(id))
    throw new ArgumentError(`Action id "${id}" must use letters, digits, "-" or "_" only.`)
  // bot.button once took (context, style): a context passed where the options go must not be
  // signed as options in silence, with its values lost.
  const unknown = Object.keys(o).filter(k => !BUTTON_OPTION_KEYS.has(k))
  if (unknown.length)
    throw new ArgumentError(
      `Unknown button option${unknown.length > 1 ? 's' : ''} ${unknown.map(k => JSON.stringify(k)).join(', ')} for "${id}": pass data as { context: { … } } (options: ${[...BUTTON_OPTION_KEYS].join(', ')}).`,
    )
  const expiresAt = o.expires === undefined ? undefined : Date.now() + parseDuration(o.expires)
  return {
    id,
    type: choices ? 'select' : 'button',
    name: label,
    ...(choices ? { options: [...choices] } : {}),
    ...(o.style ? { style: o.style } : {}),
    ...(o.disabled ? { disabled: true } : {}),
    integration: {
      url: rt.urls().action,
      context: signedContext(rt, { id, context: o.context ?? {}, expiresAt }),
    },
  }
}

/** The unsigned parts of a button, kept (invisible to JSON) so a send can bind it to its channel or post. */
const UNBOUND: unique symbol = Symbol('matterkit.unbound')
interface Unbound {
  id: string
  context: Record<string, unknown>
  expiresAt: number | undefined
}

function signedContext(rt: BotRuntime, u: Unbound, bind: ActionBinding = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    _mk: rt.signAction(u.id, u.context, { ...bind, ...(u.expiresAt ? { expiresAt: u.expiresAt } : {}) }),
  }
  Object.defineProperty(out, UNBOUND, { value: u, enumerable: false })
  return out
}

/**
 * Props with the bot's buttons re-signed for where they are going (a copy; the caller's objects
 * are not changed). Buttons not made by the bot, or copied through JSON, are left as they are.
 * @internal
 */
export function bindActions(
  rt: BotRuntime,
  props: Post['props'] | undefined,
  bind: ActionBinding,
): Post['props'] | undefined {
  const attachments = (props as { attachments?: unknown } | undefined)?.attachments
  if (!props || !Array.isArray(attachments)) return props
  const rebind = (a: PostAction): PostAction => {
    const u = (a.integration?.context as { [UNBOUND]?: Unbound } | undefined)?.[UNBOUND]
    return u && a.integration
      ? { ...a, integration: { ...a.integration, context: signedContext(rt, u, bind) } }
      : a
  }
  return {
    ...props,
    attachments: attachments.map(att =>
      att && typeof att === 'object' && Array.isArray((att as MessageAttachment).actions)
        ? { ...att, actions: ((att as MessageAttachment).actions as PostAction[]).map(rebind) }
        : att,
    ),
  }
}

/** @internal */
export function noTarget(helper: string, kind: string, needs: string): MatterkitError {
  return new MatterkitError('MK_ERR_INVALID_ARGUMENT', `${helper} needs ${needs}; a ${kind} update has none.`)
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
