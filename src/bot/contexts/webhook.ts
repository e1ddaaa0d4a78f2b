/**
 * An outgoing webhook: `WebhookContext`, for `bot.webhook`.
 * @module
 */
import type { OutgoingWebhookRequest, OutgoingWebhookResponse } from '../../types/index.js'
import { type BotRuntime, Context } from './base.js'

/**
 * An outgoing webhook call — for `bot.webhook(trigger)`. Return a string or an
 * `OutgoingWebhookResponse` to post an answer (authored by the hook's creator), or use `ctx.reply`
 * to answer as the bot.
 *
 * @example
 * ```ts
 * bot.webhook('!status', ctx => ({ text: 'all green', response_type: 'comment' }))
 * ```
 */
export class WebhookContext extends Context {
  readonly kind = 'webhook' as const
  /** The request Mattermost sent. */
  readonly webhook: OutgoingWebhookRequest
  /** The answer for Mattermost. */
  response: OutgoingWebhookResponse | string | undefined
  constructor(rt: BotRuntime, webhook: OutgoingWebhookRequest, receivedAt?: number) {
    super(rt, receivedAt)
    this.webhook = webhook
  }
  get userId(): string {
    return this.webhook.user_id
  }
  get channelId(): string {
    return this.webhook.channel_id
  }
  /** The message text. */
  get text(): string {
    return this.webhook.text
  }
  /** The word that matched. */
  get triggerWord(): string {
    return this.webhook.trigger_word
  }
  protected override replyTarget(): { channelId: string; rootId: string } {
    return { channelId: this.channelId, rootId: this.rt.threadReplies ? this.webhook.post_id : '' }
  }
}
