/**
 * The middleware engine: `(ctx, next) => …`, index-based, guarded against a second `next()`.
 * @module
 */
import { MatterkitError } from '../core/errors.js'

/**
 * Continue with the rest of the chain.
 *
 * @example
 * ```ts
 * const timing: Middleware<Context> = async (ctx, next: NextFunction) => { await next() }
 * ```
 */
export type NextFunction = () => Promise<void>

/**
 * A middleware: do something, optionally `await next()` to run the rest of the chain.
 *
 * @example
 * ```ts
 * const log: Middleware<AnyContext> = async (ctx, next) => { console.log(ctx.kind); await next() }
 * ```
 */
export type Middleware<C> = (ctx: C, next: NextFunction) => unknown

const NOOP: NextFunction = () => Promise.resolve()

const twice = (): MatterkitError =>
  new MatterkitError(
    'MK_ERR_NEXT_CALLED_TWICE',
    'next() was called twice in one middleware; call it once (and await it) to run the rest of the chain.',
  )

/**
 * Compose middlewares into one, run in order; each runs the rest through `next()`.
 *
 * @throws {MatterkitError} `MK_ERR_NEXT_CALLED_TWICE` when a middleware calls `next()` twice.
 * @example
 * ```ts
 * const run = compose([async (ctx, next) => { console.time('h'); await next(); console.timeEnd('h') }, handler])
 * await run(ctx)
 * ```
 */
export function compose<C>(
  middlewares: readonly Middleware<C>[],
): (ctx: C, next?: NextFunction) => Promise<void> {
  const list = [...middlewares]
  return (ctx, next = NOOP) => {
    let last = -1
    const dispatch = async (i: number): Promise<void> => {
      if (i <= last) throw twice()
      last = i
      const fn = list[i]
      if (fn === undefined) return next()
      await fn(ctx, () => dispatch(i + 1))
    }
    return dispatch(0)
  }
}
