/**
 * `Bot`: a `Composer` wired to the realtime stream and the HTTP receiver, with filtering,
 * per-channel ordering, sessions, conversations and schedules.
 * @module
 */

import { builtin } from '../core/builtins.js'
import { ArgumentError, ConfigError, MatterkitError } from '../core/errors.js'
import { consoleLogger, type Logger, safeLogger, silentLogger } from '../core/logger.js'
import { globalSecrets } from '../core/redact.js'
import { parseDuration } from '../core/time.js'
import type { ReceiverEvent } from '../http/events.js'
import { createReceiver } from '../http/receiver.js'
import type { Receiver, ReceiverReply } from '../http/receiver-types.js'
import { defaultSigningSecret, signActionContext, signDialogState } from '../http/sign.js'
import { Client } from '../realtime/client.js'
import { isEvent, type PostedEvent, type RealtimeEvent } from '../realtime/events.js'
import { RealtimeClosedError } from '../realtime/options.js'
import type { RealtimeClient } from '../realtime/realtime.js'
import type { PostAction, PostActionOption, User } from '../types/index.js'
import { commandHelp, commandsHelp } from './args.js'
import { Assistant, type AssistantOptions } from './assistant.js'
import type { Cluster, ClusterOptions } from './cluster/cluster.js'
import { eventIdentity } from './cluster/event-identity.js'
import type { Middleware } from './compose.js'
import { BotError, Composer, defaultCatch } from './composer.js'
import {
  type AnyContext,
  type BotRuntime,
  type ButtonOptions,
  buildAction,
  IDEMPOTENCY,
} from './contexts/base.js'
import { EventContext } from './contexts/event.js'
import { JobContext } from './contexts/job.js'
import { MessageContext } from './contexts/message.js'
import { Controls, isControl } from './controls.js'
import { Conversations } from './conversations.js'
import { Directory } from './directory.js'
import { PostFilter } from './filters.js'
import { Jobs } from './jobs.js'
import { type BotOptions, optionsFromEnv, type StartOptions, type StopResult } from './options.js'
import { KeyedQueue } from './queue.js'
import {
  answerFailure,
  deliverLate,
  deniedRequest,
  mayRegisterCommands,
  registerCommands,
  requestContext,
  withTyping,
} from './receive.js'
import type { CronOptions } from './schedule.js'
import { type LoadedSession, Sessions } from './session.js'

/**
 * How long a dialog's signed state is accepted after the dialog opened: long enough for a person
 * to fill any form, short enough that a captured submission cannot be replayed for ever.
 */
const DIALOG_LIFETIME_MS = 24 * 60 * 60 * 1000

/**
 * A Mattermost bot.
 *
 * @example
 * ```ts
 * const bot = new Bot({ url: 'https://chat.example.com', token: process.env.MATTERMOST_TOKEN })
 * bot.message(/^ping$/i, ctx => ctx.reply('pong'))
 * bot.command('deploy', { args: [{ name: 'service', required: true }] }, ctx => `Deploying ${ctx.params.service}`)
 * bot.catch(err => console.error(err))
 * await bot.start({ publicUrl: 'https://bot.example.com', port: 3000, host: '0.0.0.0' })
 * ```
 */
export class Bot extends Composer<AnyContext> {
  /** The REST client, authenticated as the bot. */
  readonly client: Client
  readonly #opts: BotOptions
  readonly #log: Logger
  readonly #filter: PostFilter
  readonly #queue: KeyedQueue
  readonly #controls = new Controls()
  #assistant: Assistant | undefined
  readonly #secret: string
  readonly #sessions: Sessions | undefined
  #catch: (err: BotError) => unknown
  #me: User | undefined
  #rt: RealtimeClient | undefined
  #cluster: Cluster | undefined
  #receiver: Receiver | undefined
  #server: { url: string; close(): Promise<void> } | undefined
  #publicUrl = ''
  #commandTokens = new Set<string>()
  #webhookTokens = new Set<string>()
  #inflight = new Set<Promise<unknown>>()
  readonly #conversations = new Conversations()
  readonly #directory: Directory
  readonly #jobs: Jobs
  #stopped = true
  #runtime: BotRuntime
  #chain: Middleware<AnyContext> | undefined
  readonly #ackMs: number

  constructor(options: BotOptions) {
    super()
    if (!options || typeof options !== 'object')
      throw new ConfigError('new Bot({ url, token }): options are required.')
    this.#opts = options
    this.client = new Client(options)
    this.#directory = new Directory(this.client, options.team)
    // Without a logger the bot still says what needs attention (loop guard, refused requests) on stderr.
    this.#log = safeLogger(options.logger ?? consoleLogger('warn'), { matterkit: 'bot' })
    // Stable across restarts and replicas, and changes when the token is rotated.
    this.#secret = options.signingSecret ?? defaultSigningSecret(String(options.token ?? '').trim())
    if (this.#secret.length < 16)
      throw new ConfigError(
        'signingSecret must have at least 16 characters; generate one with `openssl rand -hex 32`.',
      )
    globalSecrets.add(this.#secret)
    this.#ackMs = parseDuration(options.ackTimeout ?? 2500)
    this.#filter = new PostFilter(options, this.#log)
    this.#jobs = new Jobs(this.#log, () => this.#stopped)
    this.#queue = new KeyedQueue(options.concurrency ?? 16, err =>
      this.#log.error({ err }, 'queue task failed'),
    )
    for (const t of options.commandTokens ?? []) this.addToken('command', t)
    for (const t of options.webhookTokens ?? []) this.addToken('webhook', t)
    this.#sessions = options.session ? new Sessions(options.session) : undefined
    // No logger: the default catch prints the error with its stack itself (once).
    this.#catch = options.logger ? defaultCatch(this.#log, false) : defaultCatch(silentLogger, true)
    this.#runtime = {
      client: this.client,
      me: () => this.me,
      log: this.#log,
      controls: this.#controls,
      canReceive: () => !!this.#publicUrl,
      threadReplies: options.threadReplies ?? true,
      signAction: (id, context, bind) => signActionContext(id, context, this.#secret, bind),
      signDialog: (cb, state) => signDialogState(cb, state, this.#secret, Date.now() + DIALOG_LIFETIME_MS),
      urls: () => this.#urls(),
      resolveChannel: n => this.#directory.channel(n),
      resolveUser: n => this.#directory.user(n),
      waitForReply: w => {
        if (this.#stopped) return Promise.reject(new MatterkitError('MK_ERR_ABORTED', 'The bot is stopping.'))
        const cluster = this.#cluster
        if (!cluster) return this.#conversations.wait(w)
        // Follow-ups from this user here are routed to this replica while it waits.
        const route = `${w.channelId}:${w.userId}`
        const routed = cluster.route(route, w.timeoutMs)
        return routed
          .then(() => this.#conversations.wait(w))
          .finally(() => void cluster.route(route, undefined))
      },
      // The socket is what the webapp uses (`user_typing`); REST costs a request and a rate-limit slot.
      typing: async (channelId, parentId) => {
        if (this.#rt?.state === 'open') {
          try {
            return await this.#rt.typing(channelId, parentId)
          } catch (err) {
            if (!(err instanceof RealtimeClosedError)) throw err
          }
        }
        await this.client.users.typing('me', channelId, parentId)
      },
    }
  }

  /**
   * A bot configured from the environment: `MATTERMOST_URL`, `MATTERMOST_TOKEN`,
   * `MATTERMOST_TEAM`, `MATTERKIT_SIGNING_SECRET`, `MATTERKIT_LOG` (log level), `MATTERKIT_ALLOWED_USERS` and
   * `MATTERKIT_CHANNELS` (comma-separated), `MATTERKIT_MENTION_ONLY` (`true`).
   *
   * @example
   * ```ts
   * const bot = Bot.fromEnv({ threadReplies: false })
   * ```
   */
  static fromEnv(overrides: Partial<BotOptions> = {}, env: NodeJS.ProcessEnv = process.env): Bot {
    return new Bot(optionsFromEnv(overrides, env))
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

  /** A summary without secrets (for logs). */
  toJSON(): Record<string, unknown> {
    return { bot: this.#me?.username ?? null, started: !this.#stopped, commands: [...this.commands.keys()] }
  }
  /** @internal */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Bot ${builtin('node:util').inspect(this.toJSON())}`
  }
  /** A summary without secrets. */
  override toString(): string {
    return `Bot(@${this.#me?.username ?? '?'})`
  }

  /** The realtime stream (after `start()`). */
  get realtime(): RealtimeClient | undefined {
    return this.#rt
  }

  /**
   * The HTTP receiver, to mount in your own server with an adapter (then `start({ listen: false, publicUrl })`).
   *
   * @example
   * ```ts
   * app.use(expressAdapter(bot.receiver))
   * await bot.start({ listen: false, publicUrl: 'https://bot.example.com' })
   * ```
   */
  get receiver(): Receiver {
    this.#receiver ??= createReceiver({
      signingSecret: this.#secret,
      commandTokens: () => [...this.#commandTokens],
      webhookTokens: () => [...this.#webhookTokens],
      dispatch: (ev, { acked }) => this.#dispatch(ev, acked),
      ackTimeoutMs: this.#ackMs,
      logger: this.#log,
      probes: {
        ready: () => this.#notReady(),
        metrics: () => this.#cluster?.metrics.text() ?? '',
      },
    })
    return this.#receiver
  }

  /**
   * The URLs Mattermost calls (after `start()`): give `webhook` to an outgoing webhook, `command`
   * to a slash command made by hand.
   *
   * @example
   * ```ts
   * await admin.webhooks.outgoing.create({ team_id, channel_id, trigger_words: ['!status'], callback_urls: [bot.urls.webhook] })
   * ```
   */
  get urls(): { command: string; action: string; dialog: string; webhook: string } {
    return this.#urls()
  }

  /**
   * Accept the token of a slash command or outgoing webhook made outside the bot (the bot learns
   * the tokens of the commands it registers itself).
   *
   * @example
   * ```ts
   * bot.addToken('webhook', hook.token)
   * ```
   */
  addToken(kind: 'command' | 'webhook', token: string): this {
    if (!token) throw new MatterkitError('MK_ERR_INVALID_ARGUMENT', `addToken(${kind}): the token is empty.`)
    globalSecrets.add(token)
    ;(kind === 'command' ? this.#commandTokens : this.#webhookTokens).add(token)
    return this
  }

  /**
   * An AI assistant: `handler` answers DMs and @-mentions, and follow-ups in a thread it answered
   * (no new mention needed), always in the thread. Other bots and webhooks are ignored unless
   * their post has `props.activate_ai` (and `ignoreBots` lets them through). `overlap` says what a
   * new question does while the thread's previous answer still runs: wait (`'queue'`), be ignored
   * (`'drop'`) or stop it (`'interrupt'`: its `ctx.stream()` ends with "stopped").
   *
   * @example
   * ```ts
   * bot.assistant(async ctx => {
   *   const history = await ctx.history({ system: 'You are a helpful assistant.' })
   *   async function* echo(): AsyncGenerator<string> {
   *     yield `You said: ${history.at(-1)?.content ?? ''}`
   *   }
   *   await ctx.stream(echo())
   * }, { overlap: 'interrupt' })
   * ```
   */
  assistant(handler: (ctx: MessageContext) => unknown, options: AssistantOptions = {}): this {
    if (this.#assistant) throw new ArgumentError('bot.assistant() can be set once per bot.')
    const a = new Assistant(options)
    this.#assistant = a
    this.filter(
      ctx => ctx.kind === 'message' && a.wants(ctx),
      ctx => a.run(ctx as MessageContext, handler),
    )
    return this
  }

  /** Handle errors thrown by handlers and middleware (default: log them). */
  catch(handler: (err: BotError) => unknown): this {
    this.#catch = handler
    return this
  }

  /** Run `job` every interval (`'30s'`, `'1h'`, or ms). A run still going when the next is due is skipped. */
  every(interval: number | string, job: (ctx: JobContext) => unknown): this {
    this.#jobs.every(interval, schedule => this.#runJob(schedule, job))
    return this
  }

  /**
   * Run `job` on a 5-field cron schedule (`'0 9 * * 1-5'` = weekdays at 09:00) or a macro
   * (`@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`), in local time or in `timezone`.
   *
   * @example
   * ```ts
   * bot.cron('0 9 * * 1-5', { timezone: 'Europe/Berlin' }, ctx => ctx.send('town-square', 'Stand-up!'))
   * bot.cron('@daily', ctx => ctx.send('town-square', 'A new day.'))
   * ```
   */
  cron(expression: string, job: (ctx: JobContext) => unknown): this
  cron(expression: string, options: CronOptions, job: (ctx: JobContext) => unknown): this
  cron(
    expression: string,
    a: CronOptions | ((ctx: JobContext) => unknown),
    b?: (ctx: JobContext) => unknown,
  ): this {
    const job = typeof a === 'function' ? a : b
    if (typeof job !== 'function')
      throw new ArgumentError('bot.cron(expression, [options], job): job must be a function.')
    const options = typeof a === 'function' ? {} : a
    this.#jobs.cron(expression, schedule => this.#runJob(schedule, job), options)
    return this
  }

  #runJob(schedule: string, job: (ctx: JobContext) => unknown): Promise<void> {
    const ctx = new JobContext(this.#runtime, schedule)
    return this.#track(this.#handle(ctx, async c => void (await job(c as JobContext))))
  }

  /**
   * A button routing to `bot.action(id)` (after `start()`: it points at the receiver), with the
   * same signature as `ctx.button`. The context is signed; it comes back verified as `ctx.values`.
   *
   * @example
   * ```ts
   * bot.button('approve', 'Approve', { context: { service: 'api' }, style: 'primary' })
   * ```
   */
  button(id: string, label: string, options: ButtonOptions = {}): PostAction {
    return buildAction(this.#runtime, id, label, options)
  }
  /** A select menu routing to `bot.action(id)`; the choice is `ctx.selected`. */
  menu(
    id: string,
    label: string,
    choices: readonly PostActionOption[],
    options: ButtonOptions = {},
  ): PostAction {
    return buildAction(this.#runtime, id, label, options, choices)
  }

  #urls(): { action: string; dialog: string; command: string; webhook: string } {
    if (!this.#publicUrl)
      throw new MatterkitError(
        'MK_ERR_BOT_NOT_STARTED',
        'Buttons and dialogs point at the HTTP receiver: register a bot.action/bot.dialog/bot.command and call `await bot.start()` first.',
      )
    return this.receiver.urls(this.#publicUrl)
  }

  #track<T>(p: Promise<T>): Promise<T> {
    this.#inflight.add(p)
    void p.finally(() => this.#inflight.delete(p)).catch(() => {})
    return p
  }

  /** Run the middleware tree on a context (jobs: then `final`): sessions, errors to `catch`. */
  async #handle(ctx: AnyContext, final?: (ctx: AnyContext) => Promise<void>): Promise<void> {
    let session: LoadedSession | undefined
    try {
      session = this.#sessions ? await this.#sessions.load(ctx) : undefined
      this.#chain ??= this.middleware()
      await this.#chain(ctx, () => (final ? final(ctx) : this.#fallback(ctx)))
      if (session) await this.#sessions?.save(ctx, session)
    } catch (err) {
      answerFailure(ctx)
      try {
        await this.#catch(err instanceof BotError ? err : new BotError(err, ctx))
      } catch (e) {
        this.#log.error({ err: e }, 'bot.catch() handler threw')
      }
    } finally {
      await session?.release?.().catch(err => this.#log.warn({ err }, 'could not release the session lock'))
    }
  }

  /** Reached when no listener handled the update. */
  async #fallback(ctx: AnyContext): Promise<void> {
    if (ctx.kind === 'command') {
      const spec = this.commands.get(ctx.name)
      if (ctx.response === undefined)
        ctx.ephemeral(
          spec ? commandHelp(ctx.name, spec) : commandsHelp(`Unknown command /${ctx.name}.`, this.commands),
        )
    } else if (ctx.kind !== 'message' && ctx.kind !== 'event' && ctx.kind !== 'job')
      this.#log.warn({ kind: ctx.kind }, `no listener handled this ${ctx.kind}`)
  }

  #onPosted(ev: PostedEvent): void {
    if (this.#stopped) return
    const p = ev.post
    const me = this.#me as User
    if (p.user_id === me.id) {
      this.#filter.noteOwnPost(p.channel_id)
      return
    }
    this.#assistant?.arrived(p)
    const handle = async (identity?: string): Promise<void> => {
      if (this.#conversations.answer(p)) return
      if (this.#filter.acceptPost(ev, me) !== undefined) return
      const ctx = new MessageContext(this.#runtime, ev)
      if (identity) ctx[IDEMPOTENCY] = { key: identity, posts: 0 }
      await (this.#opts.typingIndicator === false
        ? this.#handle(ctx)
        : withTyping(ctx, () => this.#handle(ctx)))
    }
    const queueKey = p.root_id || p.channel_id
    if (!this.#cluster) {
      if (this.#conversations.answer(p)) return
      if (this.#filter.acceptPost(ev, me) !== undefined) return
      this.#queue.push(queueKey, () => handle())
      return
    }
    this.#claimed(queueKey, eventIdentity(ev), handle, `${p.channel_id}:${p.user_id}`)
  }

  #onEvent(ev: RealtimeEvent): void {
    if (this.#stopped || ev.event === 'posted' || ev.event === 'hello') return
    // A question deleted while it is being answered stops the answer (on the replica streaming it).
    if (isEvent(ev, 'post_deleted')) this.#controls.deleted(ev.post.id)
    const ctx = new EventContext(this.#runtime, ev)
    const queueKey = ctx.channelId || `event:${ev.event}`
    if (!this.#cluster) this.#queue.push(queueKey, () => this.#handle(ctx))
    else this.#claimed(queueKey, eventIdentity(ev), () => this.#handle(ctx))
  }

  /**
   * Cluster mode: the owner of the lane (`queueKey`) claims the event in its queue's turn and runs
   * it if won; the other replicas look again after the lease, to take it over if its holder died.
   */
  #claimed(
    queueKey: string,
    identity: string,
    run: (identity: string) => Promise<void>,
    waitKey?: string,
  ): void {
    const cluster = this.#cluster as Cluster
    cluster.metrics.received++
    const requeue = (again: () => Promise<void>): void => {
      if (!this.#stopped) this.#queue.push(queueKey, again)
    }
    cluster.receive(identity, () => run(identity), requeue, waitKey, queueKey)
  }

  /** Why this replica should not get traffic (`/readyz`): empty when ready. */
  async #notReady(): Promise<string[]> {
    const why: string[] = []
    if (this.#stopped) why.push('not started')
    else if (this.#rt?.state !== 'open') why.push(`realtime ${this.#rt?.state ?? 'not connected'}`)
    if (this.#cluster?.draining) why.push('draining')
    if (this.#cluster) await this.#cluster.store.ping().catch(() => why.push('Redis unreachable'))
    return why
  }

  /** Connect the cluster store (after login: keys are per bot user) and share jobs and sessions. */
  async #startCluster(options: ClusterOptions): Promise<void> {
    const [{ Cluster }, { RedisClusterStore }] = await Promise.all([
      import('./cluster/cluster.js'),
      import('./cluster/redis-store.js'),
    ])
    const me = this.#me as User
    const prefix = `mk:${options.prefix ? `${options.prefix}:` : ''}${me.id}:`
    let cluster: Cluster | undefined
    const store = await RedisClusterStore.connect(options.redis, prefix, {
      onState: (up, err) => cluster?.storeState(up, err),
    })
    cluster = new Cluster({
      store,
      log: this.#log,
      leaseMs: options.leaseMs,
      keepMs: options.keepMs,
      pause: at => this.client.pauseUntil(at),
    })
    await cluster.start()
    const c = cluster
    this.#cluster = c
    this.#jobs.claim = async (job, tick, ttl) => {
      const won = await c.claimTick(job, tick, ttl)
      if (won) c.metrics.jobRuns++
      return won
    }
    if (this.#sessions && !this.#sessions.hasOwnStorage) this.#sessions.useStorage(c.sessionStorage())
    // A Stop or confirm press that reaches another replica is passed on through Redis, and every
    // replica follows the threads the assistant answered.
    const shared = {
      get: (key: string) => c.store.get(`control:${key}`),
      set: (key: string, value: string, ttlMs?: number) => c.store.set(`control:${key}`, value, ttlMs),
    }
    this.#controls.store = shared
    if (this.#assistant) this.#assistant.store = shared
    this.client.on('rateLimited', info => {
      c.metrics.rateLimitPauses++
      c.rateLimited(info.retryAfterMs)
    })
    this.#log.info({ replica: c.replica, redis: store.toString() }, 'cluster mode: claiming events in Redis')
  }

  /**
   * Requests from Mattermost (through the receiver, whose timer is the only ack timer): an answer
   * that comes after the receiver acked is delivered by REST or `response_url` instead.
   */
  async #dispatch(ev: ReceiverEvent, acked: AbortSignal): Promise<ReceiverReply | undefined> {
    const ctx = requestContext(this.#runtime, ev)
    const denied = deniedRequest(this.#filter, ev, this.#log)
    if (denied) return denied
    if (ctx.kind === 'action' && isControl(ctx.actionId)) {
      const clicked = ctx
      await this.#controls.press(clicked, async () =>
        (await this.client.users.get(clicked.userId)).roles.split(' ').includes('system_admin'),
      )
      return clicked.response ?? {}
    }
    return this.#track(
      (async () => {
        await this.#handle(ctx)
        if (!acked.aborted) return ctx.response ?? undefined
        this.#log.info({ kind: ev.kind }, 'handler answered after the ack; delivering its answer now')
        await deliverLate(this.client, ctx, this.#log)
        return undefined
      })(),
    )
  }

  /**
   * Connect: log in, start the HTTP receiver when there are commands/actions/dialogs/webhooks (and
   * register the slash commands in the bot's teams), open the realtime stream, start schedules.
   */
  async start(opts: StartOptions = {}): Promise<void> {
    if (!this.#stopped) throw new MatterkitError('MK_ERR_INVALID_ARGUMENT', 'The bot is already started.')
    this.#me = await this.client.login()
    this.#stopped = false
    this.#chain = undefined
    if (this.#opts.cluster) {
      try {
        await this.#startCluster(this.#opts.cluster)
      } catch (err) {
        this.#stopped = true
        await this.client.close()
        throw err
      }
    }
    const allowed = this.#opts.allowedUsers
    if (allowed && allowed !== '*')
      this.#filter.setAllowedUsers(allowed, await this.#directory.userIds(allowed, this.#log))
    if (opts.listen ?? (this.usesHttp || opts.port !== undefined || !!this.#cluster)) {
      this.#server = await this.receiver.listen(opts.port ?? 0, opts.host ?? '127.0.0.1')
      this.#publicUrl = opts.publicUrl ?? this.#server.url
    } else if (opts.publicUrl) this.#publicUrl = opts.publicUrl
    const register = this.#publicUrl && opts.registerCommands !== false && this.commands.size > 0
    if (register && !mayRegisterCommands({ publicUrl: opts.publicUrl, serverUrl: this.client.url.base }))
      this.#log.warn(
        { receiver: this.#publicUrl, commands: [...this.commands.keys()] },
        `not registering slash commands: without publicUrl they would point at ${this.#publicUrl}, which the server at ${this.client.url.base} cannot reach; pass start({ publicUrl, port }) or register them by hand (bot.urls.command)`,
      )
    else if (register) {
      const registration = async (): Promise<void> =>
        registerCommands({
          client: this.client,
          teams: await this.#directory.teams(),
          commands: this.commands,
          url: this.#urls().command,
          me: this.me.id,
          log: this.#log,
          learn: token => this.addToken('command', token),
        })
      // Replicas starting together: one creates the commands, the others then find them and learn the tokens.
      await (this.#cluster ? this.#cluster.withLock('commands', registration) : registration())
    }
    const rt = this.client.realtime(this.#cluster ? { resumeStore: this.#cluster.resumeStore() } : {})
    this.#rt = rt
    rt.on('posted', ev => this.#onPosted(ev))
    rt.on('event', ev => this.#onEvent(ev))
    const metrics = this.#cluster?.metrics
    if (metrics) {
      rt.on('state', st => {
        if (st === 'reconnecting') metrics.reconnects++
      })
      rt.on('resynced', info => {
        metrics.backfilled += info.posts
      })
    }
    await rt.connect()
    // Only now that it receives events does this replica take a share of the lanes.
    await this.#cluster?.join()
    this.#jobs.start()
    this.#log.info(
      { user: this.#me.username, receiver: this.#server?.url },
      `bot @${this.#me.username} started`,
    )
  }

  /**
   * Stop: no new work, end pending `waitForReply` calls (`MK_ERR_ABORTED`), wait for running
   * handlers up to `timeout` (default 10 s), then close the receiver and the connections.
   */
  async stop(opts: { timeout?: number | string } = {}): Promise<StopResult> {
    if (this.#stopped) return { drained: true, pending: 0 }
    this.#stopped = true
    // Stop claiming first: events this replica has not claimed are left to the others.
    this.#cluster?.drain()
    this.#jobs.stop()
    await this.#rt?.close()
    this.#conversations.cancelAll('The bot stopped while waiting for a reply.')
    const ms = parseDuration(opts.timeout ?? 10_000)
    const start = Date.now()
    const q = await this.#queue.drain(ms)
    const rest = await settlesWithin(Promise.allSettled([...this.#inflight]), ms - (Date.now() - start))
    const result = { drained: q.drained && rest, pending: q.pending + (rest ? 0 : this.#inflight.size) }
    if (!result.drained)
      this.#log.warn(result, `stop: ${result.pending} handler(s) still running at the deadline`)
    await this.#server?.close()
    this.#server = undefined
    this.#publicUrl = ''
    await this.#cluster?.close()
    this.#cluster = undefined
    this.#jobs.claim = undefined
    await this.client.close()
    return result
  }
}

/** Whether `p` settles within `ms` (it keeps running either way; its rejection counts as settled). */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const inTime = await Promise.race([
    p.then(
      () => true,
      () => true,
    ),
    new Promise<false>(r => {
      timer = setTimeout(() => r(false), Math.max(0, ms))
    }),
  ])
  clearTimeout(timer)
  return inTime
}
