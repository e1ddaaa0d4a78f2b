/**
 * A dialog submission: `DialogContext`, for `bot.dialog`.
 * @module
 */
import type { DialogSubmission, SubmitDialogResponse } from '../../types/index.js'
import { type BotRuntime, Context } from './base.js'

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
