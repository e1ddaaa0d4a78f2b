/**
 * `Composer`: a tree of middleware. Every routing method (`message`, `command`, `action`, …) is a
 * one-liner over `filter`, which is built from `branch`, which is built from `lazy` — all over the
 * one `compose()` primitive. Routing methods return a child composer whose context type is
 * narrowed, so chained calls mean "and". With it live what it is built from: the handler and
 * middleware types, `BotError`, and the command registry of a composer tree.
 * @module
 */
import { MatterkitError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { RealtimeEventMap } from '../realtime/events.js'
import { type CommandSpec, commandHelp, parseCommand } from './args.js'
import { compose, type Middleware, type NextFunction } from './compose.js'
import type { ActionContext } from './contexts/action.js'
import type { AnyContext, Context } from './contexts/base.js'
import type { CommandContext } from './contexts/command.js'
import type { DialogContext } from './contexts/dialog.js'
import type { EventContext } from './contexts/event.js'
import type { MessageContext } from './contexts/message.js'
import type { WebhookContext } from './contexts/webhook.js'
import { matchTrigger, type Trigger } from './matchers.js'

/**
 * Middleware, or anything with a `middleware()` method (a `Composer`).
 *
 * @example
 * ```ts
 * const admin = new Composer<AnyContext>()
 * bot.use(admin) // a Composer is a MiddlewareLike
 * ```
 */
export type MiddlewareLike<C> = Middleware<C> | { middleware(): Middleware<C> }

/**
 * A listener's handler. For commands, actions, dialogs and webhooks a returned string or object is
 * the answer to Mattermost.
 *
 * @example
 * ```ts
 * const h: Handler<CommandContext> = ctx => `Hello @${ctx.command.user_name}`
 * ```
 */
export type Handler<C> = (ctx: C, next: NextFunction) => unknown

/**
 * An error thrown by a handler or middleware, with the context it was handling.
 *
 * @example
 * ```ts
 * bot.catch(err => console.error(`${err.ctx.kind} failed:`, err.error))
 * ```
 */
export class BotError extends MatterkitError {
  constructor(
    readonly error: unknown,
    readonly ctx: Context,
  ) {
    super('MK_ERR_HANDLER', `A ${ctx.kind} handler failed: ${(error as Error)?.message ?? String(error)}`, {
      cause: error,
    })
  }
  override toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message, kind: this.ctx.kind }
  }
}

/** What `bot.catch` does until it is set: log the error (and print it when no logger was given). */
export function defaultCatch(log: Logger, print: boolean): (err: BotError) => void {
  return err => {
    log.error({ err: err.error, kind: err.ctx.kind }, err.message)
    if (print) console.error(`matterkit: ${err.message} (add bot.catch(…) to handle errors)`, err.error)
  }
}

/** Where the command specs of a composer tree are collected (for help and registration). */
export class Registry {
  readonly commands = new Map<string, CommandSpec>()
  usesHttp = false
  parent: Registry | undefined
  add(trigger: string, spec: CommandSpec): void {
    this.commands.set(trigger, spec)
    this.parent?.add(trigger, spec)
  }
  markHttp(): void {
    this.usesHttp = true
    this.parent?.markHttp()
  }
  adopt(child: Registry): void {
    if (child === this) return
    child.parent = this
    for (const [t, s] of child.commands) this.add(t, s)
    if (child.usesHttp) this.markHttp()
  }
}

export const REGISTRY = Symbol('matterkit.registry')

export function flatten<C>(m: MiddlewareLike<C>): Middleware<C> {
  return typeof m === 'function' ? m : m.middleware()
}
export const pass: Middleware<unknown> = (_ctx, next) => next()

/** Set a handler's returned value as the answer (commands, actions, dialogs, webhooks). */
export function answering<C>(h: Handler<C>): Middleware<C> {
  return async (ctx, next) => {
    const out = await h(ctx, next)
    if (out !== undefined && typeof ctx === 'object' && ctx !== null && 'response' in ctx) {
      const c = ctx as { response: unknown }
      // `return ctx.send(…)` hands back the Post it made: that is not an answer to Mattermost.
      const isPost = typeof out === 'object' && out !== null && 'create_at' in out && 'user_id' in out
      if (c.response === undefined && !isPost && (typeof out === 'string' || typeof out === 'object'))
        c.response = out
    }
  }
}

/** Split `(trigger?, ...handlers)`: a single function argument is the handler. */
export function triggerAndHandlers<C>(args: unknown[]): [Trigger | undefined, Handler<C>[]] {
  if (args.length === 1 && typeof args[0] === 'function') return [undefined, args as Handler<C>[]]
  return [args[0] as Trigger | undefined, args.slice(1) as Handler<C>[]]
}

/** An id equals `want`, or matches it when it is a RegExp. */
export function idMatches(want: string | RegExp, got: string): boolean {
  if (typeof want === 'string') return want === got
  want.lastIndex = 0
  return want.test(got)
}

/**
 * A tree of middleware with routing methods. `Bot` is a `Composer`; make groups with `new
 * Composer()` and `bot.use(group)`.
 *
 * @example
 * ```ts
 * const admin = new Composer<AnyContext>()
 * admin.command('purge', ctx => ctx.ephemeral('purged'))
 * bot.filter(ctx => ADMINS.has(ctx.userId)).use(admin)
 * bot.errorBoundary(err => console.error(err), admin)
 * ```
 */
export class Composer<C extends Context = AnyContext> {
  #items: Middleware<C>[] = []
  #fn: Middleware<C> = pass as Middleware<C>;
  /** @internal */
  [REGISTRY] = new Registry()

  constructor(...middleware: MiddlewareLike<C>[]) {
    if (middleware.length) this.#push(...middleware.map(m => this.#adopt(m)))
  }

  #adopt(m: MiddlewareLike<C>): Middleware<C> {
    if (m instanceof Composer) this[REGISTRY].adopt(m[REGISTRY])
    return flatten(m)
  }

  #push(...mw: Middleware<C>[]): void {
    this.#items.push(...mw)
    this.#fn = this.#items.length === 1 ? (this.#items[0] as Middleware<C>) : compose(this.#items)
  }

  #child<D extends Context>(mw: MiddlewareLike<D>[]): Composer<D> {
    const c = new Composer<D>(...mw)
    this[REGISTRY].adopt(c[REGISTRY])
    return c
  }

  /** The composed middleware of this tree (always the current one, even after more `use` calls). */
  middleware(): Middleware<C> {
    return (ctx, next) => this.#fn(ctx, next)
  }

  /** The command specs registered anywhere in this tree. */
  get commands(): ReadonlyMap<string, CommandSpec> {
    return this[REGISTRY].commands
  }
  /** Whether this tree has listeners Mattermost calls over HTTP (commands, actions, dialogs, webhooks). */
  get usesHttp(): boolean {
    return this[REGISTRY].usesHttp
  }

  /** Add middleware; returns a child composer for chaining. */
  use(...middleware: MiddlewareLike<C>[]): Composer<C> {
    const child = this.#child<C>(middleware)
    this.#push(child.middleware())
    return child
  }

  /** Run `middleware` only when `predicate` holds (a type guard narrows the context). */
  filter<D extends C>(predicate: (ctx: C) => ctx is D, ...middleware: MiddlewareLike<D>[]): Composer<D>
  filter(predicate: (ctx: C) => boolean | Promise<boolean>, ...middleware: MiddlewareLike<C>[]): Composer<C>
  filter(predicate: (ctx: C) => boolean | Promise<boolean>, ...middleware: MiddlewareLike<C>[]): Composer<C> {
    const child = this.#child<C>(middleware)
    this.branch(predicate, child, pass as Middleware<C>)
    return child
  }

  /** Run `middleware` only when `predicate` does not hold. */
  drop(predicate: (ctx: C) => boolean | Promise<boolean>, ...middleware: MiddlewareLike<C>[]): Composer<C> {
    return this.filter(async ctx => !(await predicate(ctx)), ...middleware)
  }

  /** Run `trueMw` or `falseMw` depending on `predicate`. */
  branch(
    predicate: (ctx: C) => boolean | Promise<boolean>,
    trueMw: MiddlewareLike<C>,
    falseMw: MiddlewareLike<C>,
  ): Composer<C> {
    const t = this.#adopt(trueMw)
    const f = this.#adopt(falseMw)
    return this.lazy(ctx => {
      const r = predicate(ctx)
      return r instanceof Promise ? r.then(ok => (ok ? t : f)) : r ? t : f
    })
  }

  /** Choose the middleware per update. */
  lazy(factory: (ctx: C) => MiddlewareLike<C> | Promise<MiddlewareLike<C>>): Composer<C> {
    return this.use((ctx, next) => {
      const m = factory(ctx)
      return m instanceof Promise ? m.then(x => flatten(x)(ctx, next)) : flatten(m)(ctx, next)
    })
  }

  /**
   * Catch errors thrown inside `middleware` (not by what runs after it). The handler may call
   * `next` to continue with the rest of the chain.
   */
  errorBoundary(
    handler: (err: BotError, next: NextFunction) => unknown,
    ...middleware: MiddlewareLike<C>[]
  ): Composer<C> {
    const child = this.#child<C>(middleware)
    const inner = child.middleware()
    this.use(async (ctx, next) => {
      let nextCalled = false
      try {
        await inner(ctx, () => {
          nextCalled = true
          return Promise.resolve()
        })
      } catch (err) {
        await handler(err instanceof BotError ? err : new BotError(err, ctx), next)
        return
      }
      if (nextCalled) await next()
    })
    return child
  }

  /** Updates of one kind (`'message'`, `'command'`, …), with the context narrowed. */
  on<K extends AnyContext['kind']>(
    kind: K,
    ...middleware: MiddlewareLike<Extract<AnyContext, { kind: K }> & C>[]
  ): Composer<Extract<AnyContext, { kind: K }> & C> {
    return this.filter((ctx): ctx is Extract<AnyContext, { kind: K }> & C => ctx.kind === kind, ...middleware)
  }

  #text(
    test: (ctx: MessageContext) => boolean,
    text: (ctx: MessageContext) => string,
    args: unknown[],
  ): Composer<MessageContext & C> {
    const [trigger, handlers] = triggerAndHandlers<MessageContext & C>(args)
    return this.filter(
      (ctx): ctx is MessageContext & C => {
        if (ctx.kind !== 'message') return false
        const m = ctx as unknown as MessageContext
        if (!test(m)) return false
        if (trigger === undefined) return true
        let match = matchTrigger(trigger, text(m))
        // "@bot ping" also matches a trigger written for "ping".
        if (!match && m.text.includes('@') && m.isMention) match = matchTrigger(trigger, m.textWithoutMention)
        if (match) m.match = match
        return match !== null
      },
      ...handlers,
    )
  }

  /**
   * Messages matching a trigger: a string (the whole text, case-insensitive), a RegExp (groups in
   * `ctx.match`), a predicate on the text, or a list. Without trigger: every message. When the
   * text does not match but @-mentions the bot, the text without the mention is tried too.
   *
   * @example
   * ```ts
   * bot.message(/^ping$/i, ctx => ctx.reply('pong'))
   * ```
   */
  message(handler: Handler<MessageContext & C>): Composer<MessageContext & C>
  message(
    trigger: Trigger | undefined,
    ...handlers: Handler<MessageContext & C>[]
  ): Composer<MessageContext & C>
  message(...args: unknown[]): Composer<MessageContext & C> {
    return this.#text(
      () => true,
      c => c.text,
      args,
    )
  }
  /** Messages that @-mention the bot, or DMs; the trigger is matched without the mention. */
  mention(handler: Handler<MessageContext & C>): Composer<MessageContext & C>
  mention(
    trigger: Trigger | undefined,
    ...handlers: Handler<MessageContext & C>[]
  ): Composer<MessageContext & C>
  mention(...args: unknown[]): Composer<MessageContext & C> {
    return this.#text(
      c => c.isMention,
      c => c.textWithoutMention,
      args,
    )
  }
  /** Direct messages to the bot. */
  dm(handler: Handler<MessageContext & C>): Composer<MessageContext & C>
  dm(trigger: Trigger | undefined, ...handlers: Handler<MessageContext & C>[]): Composer<MessageContext & C>
  dm(...args: unknown[]): Composer<MessageContext & C> {
    return this.#text(
      c => c.isDirect,
      c => c.text,
      args,
    )
  }
  /** Messages inside threads (replies). */
  thread(handler: Handler<MessageContext & C>): Composer<MessageContext & C>
  thread(
    trigger: Trigger | undefined,
    ...handlers: Handler<MessageContext & C>[]
  ): Composer<MessageContext & C>
  thread(...args: unknown[]): Composer<MessageContext & C> {
    return this.#text(
      c => c.inThread,
      c => c.text,
      args,
    )
  }

  /**
   * A slash command (`/name`). With a spec, arguments are parsed and checked into `ctx.params`
   * (bad input gets the usage, privately, and the handler does not run); `/name help` shows the
   * generated help. The bot registers its commands in its teams on `start()`.
   *
   * @example
   * ```ts
   * bot.command('deploy', { description: 'Deploy', args: [{ name: 'env', choices: ['staging', 'prod'], required: true }] },
   *   ctx => ctx.inChannel(`Deploying to ${ctx.params.env}…`))
   * ```
   */
  command(
    name: string,
    spec: CommandSpec,
    ...handlers: Handler<CommandContext & C>[]
  ): Composer<CommandContext & C>
  command(name: string, ...handlers: Handler<CommandContext & C>[]): Composer<CommandContext & C>
  command(
    name: string,
    handler: Handler<CommandContext & C>,
    info: { description?: string; hint?: string },
  ): Composer<CommandContext & C>
  command(name: string, ...rest: unknown[]): Composer<CommandContext & C> {
    const trigger = name.replace(/^\//, '').toLowerCase()
    if (!/^[a-z0-9_.-]+$/.test(trigger))
      throw new MatterkitError(
        'MK_ERR_INVALID_ARGUMENT',
        `Command "${name}": use letters, digits, ".", "-" or "_" only.`,
      )
    const spec = (rest.find(x => typeof x === 'object' && x !== null) ?? {}) as CommandSpec
    const handlers = rest.filter(x => typeof x === 'function') as Handler<CommandContext & C>[]
    this[REGISTRY].add(trigger, spec)
    this[REGISTRY].markHttp()
    const checked: Middleware<CommandContext & C> = (ctx, next) => {
      const first = ctx.command.text.trim().split(/\s+/)[0]
      if (first === 'help' || first === '--help') {
        ctx.ephemeral(commandHelp(trigger, spec))
        return
      }
      try {
        const parsed = parseCommand(spec, ctx.command.text, trigger)
        ctx.args = parsed.args
        ctx.params = parsed.params
      } catch (err) {
        const usage = (err as { usage?: string }).usage
        if (usage === undefined) throw err
        ctx.ephemeral(`${(err as Error).message}\n\n${usage}`)
        return
      }
      return next()
    }
    return this.filter(
      (ctx): ctx is CommandContext & C =>
        ctx.kind === 'command' && (ctx as unknown as CommandContext).name === trigger,
      checked,
      ...handlers.map(h => answering(h)),
    )
  }

  /** A button or menu, by the id given to `ctx.button` / `bot.button` (or a RegExp). */
  action(id: string | RegExp, ...handlers: Handler<ActionContext & C>[]): Composer<ActionContext & C> {
    this[REGISTRY].markHttp()
    return this.filter(
      (ctx): ctx is ActionContext & C =>
        ctx.kind === 'action' && idMatches(id, (ctx as unknown as ActionContext).actionId),
      ...handlers.map(h => answering(h)),
    )
  }

  /** A dialog submission, by callback id (or a RegExp). */
  dialog(
    callbackId: string | RegExp,
    ...handlers: Handler<DialogContext & C>[]
  ): Composer<DialogContext & C> {
    this[REGISTRY].markHttp()
    return this.filter(
      (ctx): ctx is DialogContext & C =>
        ctx.kind === 'dialog' && idMatches(callbackId, (ctx as unknown as DialogContext).callbackId),
      ...handlers.map(h => answering(h)),
    )
  }

  /**
   * A realtime event by name (`user_added`, `reaction_added`, …); `ctx.event` is typed.
   *
   * @example
   * ```ts
   * bot.event('reaction_added', ctx => console.log(ctx.event.reaction.emoji_name))
   * ```
   */
  event<K extends keyof RealtimeEventMap>(
    name: K,
    ...handlers: Handler<EventContext<RealtimeEventMap[K]> & C>[]
  ): Composer<EventContext<RealtimeEventMap[K]> & C>
  event(name: string, ...handlers: Handler<EventContext & C>[]): Composer<EventContext & C>
  event(name: string, ...handlers: Handler<EventContext & C>[]): Composer<EventContext & C> {
    return this.filter(
      (ctx): ctx is EventContext & C =>
        ctx.kind === 'event' && (ctx as unknown as EventContext).event.event === name,
      ...handlers,
    )
  }

  /** An outgoing webhook by trigger word (`'*'` = any). */
  webhook(trigger: string, ...handlers: Handler<WebhookContext & C>[]): Composer<WebhookContext & C> {
    this[REGISTRY].markHttp()
    return this.filter(
      (ctx): ctx is WebhookContext & C =>
        ctx.kind === 'webhook' &&
        (trigger === '*' ||
          (ctx as unknown as WebhookContext).triggerWord.toLowerCase() === trigger.toLowerCase()),
      ...handlers.map(h => answering(h)),
    )
  }
}
