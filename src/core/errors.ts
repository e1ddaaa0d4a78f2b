/**
 * Error base and codes shared by every layer of matterkit.
 *
 * Every error matterkit throws is a {@link MatterkitError} with a stable upper-case `code`
 * (`MK_ERR_*`), so `switch (err.code)` works across layers. Errors never carry secrets: tokens,
 * passwords and cookies are redacted before a message is built.
 *
 * @example
 * ```ts
 * try { await mm.users.me() } catch (err) {
 *   if (err instanceof MatterkitError && err.code === 'MK_ERR_UNAUTHORIZED') console.error(err.message)
 * }
 * ```
 * @module
 */

const BRAND = Symbol.for('matterkit.error')

/** Every error code matterkit uses. Stable across releases. */
export type ErrorCode =
  | 'MK_ERR_API'
  | 'MK_ERR_BAD_REQUEST'
  | 'MK_ERR_UNAUTHORIZED'
  | 'MK_ERR_FORBIDDEN'
  | 'MK_ERR_NOT_FOUND'
  | 'MK_ERR_PAYLOAD_TOO_LARGE'
  | 'MK_ERR_RESPONSE_TOO_LARGE'
  | 'MK_ERR_RATE_LIMITED'
  | 'MK_ERR_SERVER'
  | 'MK_ERR_NOT_IMPLEMENTED'
  | 'MK_ERR_NETWORK'
  | 'MK_ERR_TIMEOUT'
  | 'MK_ERR_ABORTED'
  | 'MK_ERR_NOT_MATTERMOST'
  | 'MK_ERR_INVALID_CONFIG'
  | 'MK_ERR_INVALID_ARGUMENT'
  | 'MK_ERR_PROTOCOL'
  | 'MK_ERR_DECODE'
  | 'MK_ERR_CLUSTER'
  /** The emulator's `CorruptStateError` (src/emulator cannot import this union, so it spells the code itself). */
  | 'MK_ERR_CORRUPT_STATE'
  | 'MK_ERR_REALTIME_CLOSED'
  | 'MK_ERR_HANDLER'
  | 'MK_ERR_NEXT_CALLED_TWICE'
  | 'MK_ERR_TRIGGER_EXPIRED'
  | 'MK_ERR_CONVERSATION_TIMEOUT'
  | 'MK_ERR_BOT_NOT_STARTED'
  | 'MK_ERR_TEST_TIMEOUT'

/**
 * Base class of every matterkit error. `instanceof MatterkitError` works even when two copies of
 * matterkit are loaded (the check uses a global symbol brand).
 */
export class MatterkitError extends Error {
  /** Stable machine-readable code, e.g. `MK_ERR_RATE_LIMITED`. */
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
    Object.defineProperty(this, BRAND, { value: true, enumerable: false })
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== MatterkitError) return Function.prototype[Symbol.hasInstance].call(this, value)
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true
  }

  /** JSON form: name, code, message and the public fields of subclasses. Never secrets. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { name: this.name, code: this.code, message: this.message }
    for (const [k, v] of Object.entries(this)) {
      if (k === 'cause' || typeof v === 'function') continue
      out[k] = v
    }
    return out
  }
}

/** A configuration value is missing or wrong. The message says which and how to fix it. */
export class ConfigError extends MatterkitError {
  constructor(message: string) {
    super('MK_ERR_INVALID_CONFIG', message)
  }
}

/** A function was called with an argument it cannot use. */
export class ArgumentError extends MatterkitError {
  constructor(message: string) {
    super('MK_ERR_INVALID_ARGUMENT', message)
  }
}

/** The operation was cancelled through its `AbortSignal`. */
export class AbortError extends MatterkitError {
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super('MK_ERR_ABORTED', message, options)
  }
}
