/**
 * Errors of the test harness.
 * @module
 */
import { MatterkitError } from '../core/errors.js'

/**
 * `waitForPost` saw no matching post in time. `recent` holds the last posts it saw in the
 * watched channels (oldest first), so a failing test shows what the bot said instead.
 *
 * @example
 * ```ts
 * try { await t.waitForPost({ text: 'pong' }, { timeoutMs: 500 }) } catch (err) {
 *   if (err instanceof TestTimeoutError) console.log(err.code, err.recent.map(p => p.message))
 * }
 * ```
 */
export class TestTimeoutError extends MatterkitError {
  /** How long it waited, in ms. */
  readonly timeoutMs: number
  /** The last few posts seen in the watched channels, oldest first (message, author, channel). */
  readonly recent: ReadonlyArray<{
    id: string
    message: string
    user: string
    channel: string
    create_at: number
  }>

  constructor(
    message: string,
    timeoutMs: number,
    recent: TestTimeoutError['recent'],
    options?: { cause?: unknown },
  ) {
    super('MK_ERR_TEST_TIMEOUT', message, options)
    this.timeoutMs = timeoutMs
    this.recent = recent
  }
}
