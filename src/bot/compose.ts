/**
 * The middleware engine: `(ctx, next) => …`, index-based, guarded against a second `next()`.
 * @module
 */
import { MatterkitError } from '../core/errors.js'

/** Continue with the rest of the chain. */
export type NextFunction = () => Promise<void>
/** A middleware. */
export type Middleware<C> = (ctx: C, next: NextFunction) => unknown

/**
 * Compose middlewares into one.
 *
 * @example
 * ```ts
 * const run = compose([async (ctx, next) => { console.time('h'); await next(); console.timeEnd('h') }, handler])
 * await run(ctx, async () => {})
 * ```
 */
export function compose<C>(
  middlewares: readonly Middleware<C>[],
): (ctx: C, next?: NextFunction) => Promise<void> {
  if (middlewares.length === 1) {
    const only = middlewares[0]!
    return async (ctx, next = async () => {}) => {
      await only(ctx, next)
    }
  }
  return (ctx, next = async () => {}) => {
    let last = -1
    const dispatch = async (i: number): Promise<void> => {
      if (i <= last)
        throw new MatterkitError('MK_ERR_NEXT_CALLED_TWICE', 'next() was called twice in one middleware')
      last = i
      const fn = middlewares[i]
      if (!fn) return next()
      await fn(ctx, () => dispatch(i + 1))
    }
    return dispatch(0)
  }
}
