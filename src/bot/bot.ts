/**
 * `Bot`: listeners, middleware, filtering, ordering, the HTTP receiver and the realtime stream,
 * wired together.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { Client, type ClientOptions } from '../client/client.js'
import { ConfigError, MatterkitError } from '../core/errors.js'
import { consoleLogger, type Logger, parseLogLevel, safeLogger } from '../core/logger.js'
import { parseDuration } from '../core/time.js'
import { createReceiver, type Receiver, type ReceiverEvent, type ReceiverReply } from '../http/receiver.js'
import { signPayload } from '../http/sign.js'
import type { PostedEvent, RealtimeEvent } from '../realtime/events.js'
import type { RealtimeClient } from '../realtime/realtime.js'
import '../realtime/index.js'
import type { Post, PostAction, User } from '../types/index.js'
import { compose, type Middleware } from './compose.js'
import { type BotRuntime, Context } from './context.js'
import { parseCron } from './schedule.js'
import { MemoryStorage, type SessionStorage } from './session.js'

/** A handler: anything returned is ignored except for commands/actions/dialogs/webhooks, where a returned object or string is the answer to Mattermost. */
export type Handler = (ctx: Context) => unknown

/** Options of {@link Bot}. */
export interface BotOptions extends Omit<ClientOptions, 'login'> {
  /** HMAC key for button context and dialog state (default: random per process). */
  signingSecret?: string
  /** Answer root posts in a thread under them (default true). */
  threadReplies?: boolean
  /** Only react to messages that @-mention the bot (or DMs). Default false. */
  mentionOnly?: boolean
  /** Channel allow-list (ids or names); empty/undefined = everywhere. */
  channels?: string[]
  /** Who may talk to the bot: ids or usernames, `'*'` = everybody (default), `[]` = nobody. */
  allowedUsers?: string[] | '*'
  /** Ignore posts by other bots and webhooks (default true). */
  ignoreBots?: boolean
  /** Max handlers running at once across channels (default 16). Same channel: in order. */
  concurrency?: number
  /** Show "typing…" while a message handler runs longer than 1 s (default true). */
  typingIndicator?: boolean
  /** Max replies per channel per minute before the loop guard drops messages (default 30). */
  loopLimit?: number
  /** Session storage (default memory) and TTL. */
  session?: { storage?: SessionStorage; ttlMs?: number }
  /** Tokens of slash commands registered outside the bot (e.g. by an admin). */
  commandTokens?: string[]
  /** Tokens of outgoing webhooks pointing at this bot. */
  webhookTokens?: string[]
}

/** Options of {@link Bot.start}. */
export interface StartOptions {
  /** Port of the HTTP receiver (default 0 = any free port; the receiver starts only if needed). */
  port?: number
  host?: string
  /** Public base URL Mattermost can reach (default: the local receiver URL). */
  publicUrl?: string
  /** Create/update the slash commands in the bot's teams (default true). */
  registerCommands?: boolean
}

/** An error thrown by a handler, with its context. */
export class BotError extends MatterkitError {
  constructor(
    readonly error: unknown,
    readonly ctx: Context,
  ) {
    super('MK_ERR_HANDLER', `Handler failed on ${ctx.kind}: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    })
  }
}

interface CommandDef {
  trigger: string
  description: string
  hint: string
  handler: Handler
}

/** Split command text into arguments, honouring quotes. */
export function parseArgs(text: string): string[] {
  const out: string[] = []
  for (const m of text.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]!)
  return out
}

/**
 * A Mattermost bot.
 *
 * @example
 * ```ts
 * const bot = new Bot({ url: 'chat.example.com', token: process.env.MATTERMOST_TOKEN })
 * bot.message(/^ping$/i, ctx => ctx.reply('pong'))
 * await bot.start()
 * ```
 */
export class Bot {
  readonly client: Client
  #opts: BotOptions
  #logger: Logger
  #middleware: Middleware<Context>[] = []
  #listeners: Middleware<Context>[] = []
  #commands = new Map<string, CommandDef>()
  #actions = new Map<string, Handler>()
  #dialogs = new Map<string, Handler>()
  #webhooks = new Map<string, Handler>()
  #jobs: Array<{ start(): void; stop(): void }> = []
  #catch: (err: BotError) => unknown
  #me: User | undefined
  #rt: RealtimeClient | undefined
  #receiver: Receiver | undefined
  #server: { url: string; close(): Promise<void> } | undefined
  #publicUrl = ''
  #commandTokens = new Set<string>()
  #queues = new Map<string, Promise<void>>()
  #running = 0
  #slots: Array<() => void> = []
  #inflight = new Set<Promise<void>>()
  #waiters = new Map<string, { resolve(p: Post): void; timer: NodeJS.Timeout }>()
  #replies = new Map<string, { start: number; count: number }>()
  #channelCache = new Map<string, string>()
  #secret: string
  #storage: SessionStorage
  #stopped = false

  constructor(options: BotOptions) {
    this.#opts = options
    this.client = new Client(options)
    this.#logger = safeLogger(options.logger, { component: 'matterkit:bot' })
    this.#secret = options.signingSecret ?? randomBytes(24).toString('hex')
    this.#storage = options.session?.storage ?? new MemoryStorage()
    for (const t of options.commandTokens ?? []) this.#commandTokens.add(t)
    this.#catch = err => {
      this.#logger.error({ err: String((err.error as Error)?.stack ?? err.error) }, err.message)
      if (!options.logger) console.error(`matterkit: ${err.message}`)
    }
  }

  /**
   * Build a bot from the environment: MATTERMOST_URL, MATTERMOST_TOKEN, MATTERKIT_SIGNING_SECRET,
   * MATTERKIT_LOG (log level).
   */
  static fromEnv(overrides: Partial<BotOptions> = {}, env: NodeJS.ProcessEnv = process.env): Bot {
    const url = overrides.url ?? env.MATTERMOST_URL
    const token = overrides.token ?? env.MATTERMOST_TOKEN
    if (!url || !token) throw new ConfigError('Set MATTERMOST_URL and MATTERMOST_TOKEN (a bot access token).')
    const level = parseLogLevel(env.MATTERKIT_LOG)
    return new Bot({
      ...(level !== 'silent' ? { logger: consoleLogger(level) } : {}),
      ...(env.MATTERKIT_SIGNING_SECRET ? { signingSecret: env.MATTERKIT_SIGNING_SECRET } : {}),
      ...overrides,
      url,
      token,
    })
  }

  /** The bot's user (after `start()`). */
  get me(): User {
    if (!this.#me)
      throw new MatterkitError(
        'MK_ERR_BOT_NOT_STARTED',
        'The bot is not started: call `await bot.start()` first.',
      )
    return this.#me
  }

  /** The realtime stream (after `start()`). */
  get realtime(): RealtimeClient | undefined {
    return this.#rt
  }

  /** Add middleware that runs before every listener (`await next()` to continue). */
  use(...mw: Middleware<Context>[]): this {
    this.#messageChain = undefined
    this.#middleware.push(...mw)
    return this
  }

  /** Handle errors thrown by handlers. */
  catch(handler: (err: BotError) => unknown): this {
    this.#catch = handler
    return this
  }

  #listen(kind: Context['kind'], test: (ctx: Context) => boolean, handler: Handler): this {
    this.#messageChain = undefined
    this.#listeners.push(async (ctx, next) => {
      if (ctx.kind === kind && test(ctx)) {
        const out = await handler(ctx)
        if (out !== undefined && ctx.response === undefined)
          ctx.response = (typeof out === 'string' ? { text: out } : out) as Context['response']
      } else await next()
    })
    return this
  }

  #matcher(
    pattern: string | RegExp | ((ctx: Context) => boolean) | undefined,
    text: (ctx: Context) => string,
  ): (ctx: Context) => boolean {
    if (pattern === undefined) return () => true
    if (typeof pattern === 'function') return pattern
    if (typeof pattern === 'string') return ctx => text(ctx).trim().toLowerCase() === pattern.toLowerCase()
    return ctx => {
      const m = text(ctx).match(pattern)
      if (m) ctx.match = m
      return !!m
    }
  }

  #isMention(ctx: Context): boolean {
    const ev = ctx.event as PostedEvent | undefined
    return ev?.channelType === 'D' || new RegExp(`(^|\\W)@${this.me.username}\\b`, 'i').test(ctx.text)
  }

  #stripMention(ctx: Context): string {
    return ctx.text
      .replace(new RegExp(`(^|\\s)@${this.#me?.username ?? '\\0'}\\b[:,]?\\s*`, 'i'), '$1')
      .trim()
  }

  /** Messages matching a string (whole text, case-insensitive), a RegExp (`ctx.match`) or a predicate. */
  message(pattern: string | RegExp | ((ctx: Context) => boolean), handler: Handler): this {
    return this.#listen(
      'message',
      this.#matcher(pattern, c => c.text),
      handler,
    )
  }
  /** Messages that @-mention the bot, or DMs; the mention is stripped before matching. */
  mention(pattern: string | RegExp | ((ctx: Context) => boolean) | undefined, handler: Handler): this {
    const m = this.#matcher(pattern, c => this.#stripMention(c))
    return this.#listen('message', c => this.#isMention(c) && m(c), handler)
  }
  /** Direct messages only. */
  dm(pattern: string | RegExp | undefined, handler: Handler): this {
    const m = this.#matcher(pattern, c => c.text)
    return this.#listen(
      'message',
      c => (c.event as PostedEvent | undefined)?.channelType === 'D' && m(c),
      handler,
    )
  }
  /** Replies inside threads only. */
  thread(pattern: string | RegExp | undefined, handler: Handler): this {
    const m = this.#matcher(pattern, c => c.text)
    return this.#listen('message', c => !!c.post?.root_id && m(c), handler)
  }
  /** A slash command (`/name`). Registered in the bot's teams on start. `help` is generated. */
  command(name: string, handler: Handler, info: { description?: string; hint?: string } = {}): this {
    const trigger = name.replace(/^\//, '').toLowerCase()
    this.#commands.set(trigger, {
      trigger,
      handler,
      description: info.description ?? '',
      hint: info.hint ?? '',
    })
    return this
  }
  /** A button or menu, by the id given to {@link Bot.button}/{@link Bot.menu}. */
  action(id: string, handler: Handler): this {
    this.#actions.set(id, handler)
    return this
  }
  /** A dialog submission, by callback id. */
  dialog(callbackId: string, handler: Handler): this {
    this.#dialogs.set(callbackId, handler)
    return this
  }
  /** A realtime event by name (e.g. `user_added`, `reaction_added`). */
  event(name: string, handler: Handler): this {
    return this.#listen('event', c => c.event?.event === name, handler)
  }
  /** An outgoing webhook by trigger word. */
  webhook(trigger: string, handler: Handler): this {
    this.#webhooks.set(trigger, handler)
    return this
  }
  /** Run `job` every interval (`'30s'`, `'1h'`, ms). */
  every(interval: number | string, job: (ctx: Context) => unknown): this {
    const ms = parseDuration(interval)
    let timer: NodeJS.Timeout | undefined
    this.#jobs.push({
      start: () => {
        timer = setInterval(() => this.#runJob(job), ms)
        timer.unref()
      },
      stop: () => clearInterval(timer),
    })
    return this
  }
  /** Run `job` on a cron schedule (5 fields, local time). */
  cron(expr: string, job: (ctx: Context) => unknown): this {
    const cron = parseCron(expr)
    let timer: NodeJS.Timeout | undefined
    const arm = (): void => {
      const next = cron.next(new Date())
      timer = setTimeout(() => {
        this.#runJob(job)
        arm()
      }, next.getTime() - Date.now())
      timer.unref()
    }
    this.#jobs.push({ start: arm, stop: () => clearTimeout(timer) })
    return this
  }

  /** A button that routes to `bot.action(id)`; `context` comes back verified. */
  button(id: string, name: string, context: Record<string, unknown> = {}, style?: string): PostAction {
    return {
      id,
      type: 'button',
      name,
      ...(style ? { style } : {}),
      integration: {
        url: this.#url('action'),
        context: { _mk: signPayload({ ...context, __action: id }, this.#secret) },
      },
    }
  }
  /** A select menu that routes to `bot.action(id)`; the choice is `ctx.action.context.selected_option`. */
  menu(
    id: string,
    name: string,
    options: Array<{ text: string; value: string }>,
    context: Record<string, unknown> = {},
  ): PostAction {
    return {
      id,
      type: 'select',
      name,
      options,
      integration: {
        url: this.#url('action'),
        context: { _mk: signPayload({ ...context, __action: id }, this.#secret) },
      },
    }
  }

  #url(kind: 'action' | 'dialog' | 'command' | 'webhook'): string {
    if (!this.#receiver)
      throw new MatterkitError(
        'MK_ERR_BOT_NOT_STARTED',
        'Buttons and dialogs need the HTTP receiver: call `await bot.start()` first.',
      )
    return this.#receiver.urls(this.#publicUrl)[kind]
  }

  #rtCache: BotRuntime | undefined
  #messageChain: ((ctx: Context) => Promise<void>) | undefined

  #runtime(): BotRuntime {
    this.#rtCache ??= this.#makeRuntime()
    return this.#rtCache
  }

  #makeRuntime(): BotRuntime {
    return {
      client: this.client,
      me: () => this.me,
      signingSecret: this.#secret,
      dialogUrl: () => this.#url('dialog'),
      sign: v => signPayload(v, this.#secret),
      threadReplies: this.#opts.threadReplies ?? true,
      resolveChannel: n => this.#resolveChannel(n),
      resolveUser: async n => (/^[a-z0-9]{26}$/.test(n) ? n : (await this.client.users.getByUsername(n)).id),
      waitForReply: (key, timeoutMs) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => {
            this.#waiters.delete(key)
            reject(new MatterkitError('MK_ERR_CONVERSATION_TIMEOUT', `No reply within ${timeoutMs} ms`))
          }, timeoutMs)
          this.#waiters.set(key, { resolve, timer })
        }),
      session: {
        get: k => this.#storage.get(k),
        set: (k, v) => this.#storage.set(k, v, this.#opts.session?.ttlMs),
      },
    }
  }

  async #resolveChannel(nameOrId: string): Promise<string> {
    if (/^[a-z0-9]{26}$/.test(nameOrId)) return nameOrId
    const key = nameOrId.replace(/^[~#]/, '')
    const cached = this.#channelCache.get(key)
    if (cached) return cached
    const teams = await this.client.teams.forUser('me')
    for (const t of teams) {
      const chans = await this.client.channels.forUser('me', t.id)
      const byDisplay = chans.find(c => c.display_name === key)
      const byName = chans.find(c => c.name === key)
      const hit = byDisplay ?? byName
      if (hit) {
        this.#channelCache.set(key, hit.id)
        return hit.id
      }
    }
    throw new MatterkitError(
      'MK_ERR_NOT_FOUND',
      `No channel "${nameOrId}" among the bot's channels. Add the bot to it, or pass the channel id.`,
    )
  }

  async #run(ctx: Context, handler: (ctx: Context) => Promise<void>): Promise<void> {
    try {
      await compose([...this.#middleware, async (c: Context) => handler(c)])(ctx)
      await ctx.saveSession()
    } catch (err) {
      await this.#catch(err instanceof BotError ? err : new BotError(err, ctx))
    }
  }

  async #chain(ctx: Context): Promise<void> {
    this.#messageChain ??= compose([...this.#middleware, ...this.#listeners])
    try {
      await this.#messageChain(ctx)
      await ctx.saveSession()
    } catch (err) {
      await this.#catch(err instanceof BotError ? err : new BotError(err, ctx))
    }
  }

  #runJob(job: (ctx: Context) => unknown): void {
    const ctx = new Context(this.#runtime(), { kind: 'job' })
    this.#track(this.#run(ctx, async c => void (await job(c))))
  }

  #track(p: Promise<void>): void {
    this.#inflight.add(p)
    void p.finally(() => this.#inflight.delete(p))
  }

  /** Decide whether a post is for us; logs why not. */
  #accept(ev: PostedEvent): boolean {
    const p = ev.post
    const o = this.#opts
    if (p.user_id === this.#me?.id) return false
    if (p.type.startsWith('system_')) return false
    if ((o.ignoreBots ?? true) && (p.props?.from_bot === 'true' || p.props?.from_webhook === 'true'))
      return false
    const allowed = o.allowedUsers ?? '*'
    if (
      allowed !== '*' &&
      !allowed.includes(p.user_id) &&
      !allowed.includes(ev.senderName.replace(/^@/, ''))
    ) {
      this.#logger.info({ user: ev.senderName, channel: ev.channelName }, 'ignored: user not in allowedUsers')
      return false
    }
    if (o.channels?.length && !o.channels.includes(p.channel_id) && !o.channels.includes(ev.channelName)) {
      this.#logger.debug({ channel: ev.channelName }, 'ignored: channel not in the allow-list')
      return false
    }
    if (
      o.mentionOnly &&
      ev.channelType !== 'D' &&
      !new RegExp(`(^|\\W)@${this.#me?.username}\\b`, 'i').test(p.message)
    )
      return false
    const limit = o.loopLimit ?? 30
    const now = Date.now()
    let w = this.#replies.get(p.channel_id)
    if (!w || now - w.start >= 60_000) this.#replies.set(p.channel_id, (w = { start: now, count: 0 }))
    if (w.count >= limit) {
      if (w.count++ === limit)
        this.#logger.warn(
          { channel: ev.channelName },
          `loop guard: more than ${limit} messages in a minute here; dropping until the minute is over`,
        )
      return false
    }
    w.count++
    return true
  }

  #onPosted(ev: PostedEvent): void {
    const p = ev.post
    if (p.user_id === this.#me?.id) return
    const key = `${p.channel_id}:${p.root_id}:${p.user_id}`
    const waiter = this.#waiters.get(key)
    if (waiter) {
      this.#waiters.delete(key)
      clearTimeout(waiter.timer)
      waiter.resolve(p)
      return
    }
    if (!this.#accept(ev)) return
    const ctx = new Context(this.#runtime(), { kind: 'message', post: p, event: ev })
    this.#enqueue(p.root_id || p.channel_id, () => this.#withTyping(ctx, () => this.#chain(ctx)))
  }

  async #withTyping(ctx: Context, fn: () => Promise<void>): Promise<void> {
    if (this.#opts.typingIndicator === false) return fn()
    const typing = (): void =>
      void this.client.users.typing('me', ctx.channelId, ctx.rootId || ctx.post?.id).catch(() => {})
    let interval: NodeJS.Timeout | undefined
    const first = setTimeout(() => {
      typing()
      interval = setInterval(typing, 4000)
    }, 1000)
    try {
      await fn()
    } finally {
      clearTimeout(first)
      clearInterval(interval)
    }
  }

  /** Same key: in order. Different keys: concurrently, up to `concurrency`. */
  #enqueue(key: string, task: () => Promise<void>): void {
    const prev = this.#queues.get(key) ?? Promise.resolve()
    const next = prev.then(async () => {
      await this.#slot()
      try {
        await task()
      } finally {
        this.#running--
        this.#slots.shift()?.()
      }
    })
    this.#queues.set(key, next)
    void next.finally(() => {
      if (this.#queues.get(key) === next) this.#queues.delete(key)
    })
    this.#track(next)
  }

  async #slot(): Promise<void> {
    while (this.#running >= (this.#opts.concurrency ?? 16)) await new Promise<void>(r => this.#slots.push(r))
    this.#running++
  }

  async #dispatch(ev: ReceiverEvent): Promise<ReceiverReply | undefined> {
    const rt = this.#runtime()
    let ctx: Context
    let handler: Handler | undefined
    if (ev.kind === 'command') {
      const trigger = ev.payload.command.replace(/^\//, '').toLowerCase()
      const def = this.#commands.get(trigger)
      ctx = new Context(rt, { kind: 'command', command: ev.payload })
      ctx.args = parseArgs(ev.payload.text)
      if (!def || ctx.args[0] === 'help') return { response_type: 'ephemeral', text: this.#help(def) }
      handler = def.handler
    } else if (ev.kind === 'action') {
      const id = String(ev.context.__action ?? '')
      const { __action: _a, ...context } = ev.context
      ctx = new Context(rt, { kind: 'action', action: { ...ev.payload, context } })
      handler = this.#actions.get(id)
    } else if (ev.kind === 'dialog') {
      const st = (ev.state ?? {}) as { cb?: string; state?: unknown }
      ctx = new Context(rt, { kind: 'dialog', dialog: { ...ev.payload, stateValue: st.state } })
      handler = this.#dialogs.get(ev.payload.callback_id) ?? (st.cb ? this.#dialogs.get(st.cb) : undefined)
    } else {
      ctx = new Context(rt, { kind: 'webhook', webhook: ev.payload })
      handler = this.#webhooks.get(ev.payload.trigger_word) ?? this.#webhooks.get('*')
    }
    if (!handler) {
      this.#logger.warn({ kind: ev.kind }, 'no handler registered for this request')
      return undefined
    }
    const h = handler
    await this.#run(ctx, async c => {
      const out = await h(c)
      if (out !== undefined && c.response === undefined)
        c.response = (typeof out === 'string' ? { text: out } : out) as Context['response']
    })
    return ctx.response
  }

  #help(def: CommandDef | undefined): string {
    const lines = (def ? [def] : [...this.#commands.values()]).map(
      d => `\`/${d.trigger}${d.hint ? ` ${d.hint}` : ''}\`${d.description ? ` — ${d.description}` : ''}`,
    )
    return lines.length ? `Commands:\n${lines.join('\n')}` : 'No commands.'
  }

  /**
   * Connect: realtime events, plus (when needed) the HTTP receiver, and register slash commands.
   */
  async start(opts: StartOptions = {}): Promise<void> {
    this.#stopped = false
    this.#me = await this.client.login()
    const needsHttp =
      this.#commands.size + this.#actions.size + this.#dialogs.size + this.#webhooks.size > 0 ||
      opts.port !== undefined
    if (needsHttp) {
      this.#receiver = createReceiver({
        signingSecret: this.#secret,
        commandTokens: () => [...this.#commandTokens],
        webhookTokens: () => this.#opts.webhookTokens ?? [],
        dispatch: ev => this.#dispatch(ev),
        logger: this.#logger,
      })
      this.#server = await this.#receiver.listen(opts.port ?? 0, opts.host ?? '127.0.0.1')
      this.#publicUrl = opts.publicUrl ?? this.#server.url
      if (opts.registerCommands !== false && this.#commands.size) await this.#registerCommands()
    }
    const rt = this.client.realtime()
    this.#rt = rt
    rt.on('posted', ev => this.#onPosted(ev))
    rt.on('event', (ev: RealtimeEvent) => {
      if (ev.event === 'posted' || ev.event === 'hello') return
      const ctx = new Context(this.#runtime(), { kind: 'event', event: ev })
      this.#enqueue(ctx.channelId || `event:${ev.event}`, () => this.#chain(ctx))
    })
    await rt.connect()
    for (const j of this.#jobs) j.start()
    this.#logger.info({ user: this.#me.username, receiver: this.#server?.url }, 'bot started')
  }

  async #registerCommands(): Promise<void> {
    const url = this.#url('command')
    for (const team of await this.client.teams.forUser('me')) {
      const existing = await this.client.commands.list(team.id, { customOnly: true })
      for (const def of this.#commands.values()) {
        const body = {
          trigger: def.trigger,
          url,
          method: 'P' as const,
          auto_complete: true,
          auto_complete_desc: def.description,
          auto_complete_hint: def.hint,
          display_name: def.trigger,
          description: def.description,
        }
        const mine = existing.find(c => c.trigger === def.trigger && c.creator_id === this.#me!.id)
        const cmd = mine
          ? await this.client.commands.update(mine.id, { ...mine, ...body })
          : await this.client.commands.create({ ...body, team_id: team.id })
        this.#commandTokens.add(cmd.token)
      }
    }
  }

  /** Stop: no new work; wait for running handlers up to `timeoutMs` (default 10 s). */
  async stop(opts: { timeoutMs?: number } = {}): Promise<void> {
    if (this.#stopped) return
    this.#stopped = true
    for (const j of this.#jobs) j.stop()
    await this.#rt?.close()
    const deadline = new Promise(r => setTimeout(r, opts.timeoutMs ?? 10_000).unref())
    await Promise.race([Promise.allSettled([...this.#inflight]), deadline])
    for (const w of this.#waiters.values()) clearTimeout(w.timer)
    await this.#server?.close()
    await this.client.close()
  }
}
