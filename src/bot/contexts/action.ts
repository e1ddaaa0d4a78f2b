/**
 * A button click or menu choice: `ActionContext`, for `bot.action`.
 * @module
 */
import type { Post, PostActionRequest, PostActionResponse } from '../../types/index.js'
import { type BotRuntime, bindActions, Context, type DialogSpec } from './base.js'

/**
 * A button click or menu choice — for `bot.action`. Return or `ctx.update()` to change the post.
 *
 * @example
 * ```ts
 * bot.action('approve', ctx => ctx.update({ message: `Approved by @${ctx.action.user_name} ✅` }))
 * ```
 */
export class ActionContext extends Context {
  readonly kind = 'action' as const
  /** The request Mattermost sent (its `context` is the verified one). */
  readonly action: PostActionRequest
  /** The action id (as given to `ctx.button` / `bot.button`). */
  readonly actionId: string
  /** The verified data the button carried. */
  readonly values: Record<string, unknown>
  /** The answer for Mattermost (set by helpers or by returning a value). */
  response: PostActionResponse | string | undefined
  constructor(rt: BotRuntime, action: PostActionRequest, actionId: string, receivedAt?: number) {
    super(rt, receivedAt)
    this.action = action
    this.actionId = actionId
    const { selected_option: _s, ...values } = action.context
    this.values = values
  }
  get userId(): string {
    return this.action.user_id
  }
  get channelId(): string {
    return this.action.channel_id
  }
  /** The post whose button was used. */
  get postId(): string {
    return this.action.post_id
  }
  /** The chosen option of a menu. */
  get selected(): string | undefined {
    const v = this.action.context.selected_option
    return v === undefined ? undefined : String(v)
  }
  /**
   * Replace the post's message/props (attachments included) once the click is answered. The bot's
   * buttons in `props` are bound to this post.
   */
  update(patch: { message?: string; props?: Post['props'] }): void {
    const prev = typeof this.response === 'object' ? this.response : {}
    const props = bindActions(this.rt, patch.props, { channelId: this.channelId, postId: this.postId })
    this.response = { ...prev, update: { ...prev.update, ...patch, ...(props ? { props } : {}) } }
  }
  /** Show text only to the user who clicked. */
  ephemeral(text: string): void {
    const prev = typeof this.response === 'object' ? this.response : {}
    this.response = { ...prev, ephemeral_text: text }
  }
  /** Open a dialog (within 30 s of the click). */
  openDialog(dialog: DialogSpec, state?: unknown, now?: number): Promise<void> {
    return this.openDialogWith(this.action.trigger_id, dialog, state, now)
  }
  /** Delete the post whose button was used. */
  async delete(): Promise<void> {
    await this.client.posts.delete(this.postId)
  }
}
