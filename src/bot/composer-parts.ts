/**
 * The pieces `Composer` is built from: the handler and middleware types, `BotError`, the command
 * registry of a composer tree, and small helpers of the routing methods.
 * @module
 */
import { MatterkitError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import type { CommandSpec } from './args.js'
import type { Middleware, NextFunction } from './compose.js'
import type { Context } from './context.js'
import type { Trigger } from './matchers.js'

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
