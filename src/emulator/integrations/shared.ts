/**
 * What the integration modules share: the outgoing HTTP call, trigger ids, Slack-markup
 * conversion and the webhook-post path (`CreateWebhookPost` on the real server).
 * @module
 */
import type { Channel, Post, PostProps } from '../../types/index.js'
import type { App } from '../app.js'
import { AppError, disabled as disabledError } from '../errors.js'
import { newId } from '../ids.js'
import { createPost } from '../posts.js'
import type { StoredUser } from '../store-types.js'

/** `OutgoingIntegrationRequestsTimeout` (30 s): trigger-id lifetime and request timeout. */
export const TRIGGER_TTL = 30_000
/** `CommandWebhookLifetime`: a `response_url` is valid 30 minutes. */
export const RESPONSE_URL_TTL = 30 * 60_000
/** Longest post message in runes; webhook posts longer than this are split. */
export const MAX_POST_RUNES = 16383

export interface CallResult {
  status: number
  /** Media type of the response (no parameters). */
  type: string
  text: string
}

/** One request to an integration, 30 s timeout, body read as text. */
export async function call(url: string, init: RequestInit): Promise<CallResult> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(TRIGGER_TTL) })
  return {
    status: res.status,
    type: (res.headers.get('content-type') ?? '').split(';')[0]!.trim(),
    text: await res.text(),
  }
}

/** 501 unless the feature flag is on. */
export function requireEnabled(flag: boolean, id: string): void {
  if (!flag) throw disabledError(id)
}

interface Trigger {
  userId: string
  at: number
}
const triggersByApp = new WeakMap<App, Map<string, Trigger>>()
/** Every live trigger by id (bounded), so tests can age one without the emulator's internals. */
const recent = new Map<string, Trigger>()

function triggers(app: App): Map<string, Trigger> {
  let m = triggersByApp.get(app)
  if (!m) triggersByApp.set(app, (m = new Map()))
  return m
}

/** A new trigger id bound to `userId` (opaque base64, valid {@link TRIGGER_TTL}). */
export function newTrigger(app: App, userId: string): string {
  const now = app.store.wallNow()
  const id = Buffer.from(`${newId()}:${userId}:${now}:${newId()}`).toString('base64')
  const m = triggers(app)
  const t = { userId, at: now }
  m.set(id, t)
  recent.set(id, t)
  if (m.size > 10_000) for (const [k, v] of m) if (now - v.at > TRIGGER_TTL) m.delete(k)
  if (recent.size > 10_000) recent.delete(recent.keys().next().value!)
  return id
}

/** The user a trigger id belongs to; 400 when it is unknown or expired. */
export function useTrigger(app: App, triggerId: string): string {
  const t = triggers(app).get(triggerId)
  if (!t)
    throw new AppError(
      400,
      'interactive_message.decode_trigger_id.signature_decode_failed',
      'Invalid trigger id.',
    )
  if (app.store.wallNow() - t.at > TRIGGER_TTL)
    throw new AppError(400, 'interactive_message.decode_trigger_id.expired', 'Trigger ID is expired.')
  return t.userId
}

/**
 * Make a trigger id look `ms` older, to test the 30 s expiry without waiting.
 *
 * @example
 * ```ts
 * ageTrigger(triggerId, 30_001) // dialogs/open now answers 400 ...decode_trigger_id.expired
 * ```
 */
export function ageTrigger(triggerId: string, ms: number): void {
  const t = recent.get(triggerId)
  if (t) t.at -= ms
}

/**
 * Slack markup → Mattermost: `<!channel>`/`<!here>`/`<!all>` → `@…`, `<@USERID>` → `@username`,
 * `<url|label>` → `[label](url)`.
 */
export function slackText(app: App, text: string): string {
  return text
    .replace(/<!(channel|here|all)>/g, '@$1')
    .replace(/<@([a-z0-9]{26})>/g, (m, id: string) => {
      const u = app.store.users.get(id)
      return u ? `@${u.username}` : m
    })
    .replace(/<([^\n<|>]+)\|([^|\n>]+)>/g, '[$2]($1)')
}

/** Split a message into pieces of at most {@link MAX_POST_RUNES} runes. */
export function splitMessage(message: string): string[] {
  const runes = [...message]
  if (runes.length <= MAX_POST_RUNES) return [message]
  const out: string[] = []
  for (let i = 0; i < runes.length; i += MAX_POST_RUNES) out.push(runes.slice(i, i + MAX_POST_RUNES).join(''))
  return out
}

export interface WebhookPostInput {
  text: string
  username?: string
  iconUrl?: string
  iconEmoji?: string
  props?: Record<string, unknown>
  type?: string
  rootId?: string
  priority?: unknown
}

/**
 * The real `CreateWebhookPost`: `from_webhook`, override username (default `webhook`) / icon when
 * the settings allow, reserved keys in `props` ignored, `system_*` types and priorities without
 * `priority` rejected (400), long messages split. No membership needed, no outgoing webhooks.
 */
export function createWebhookPost(
  app: App,
  author: StoredUser,
  channel: Channel,
  input: WebhookPostInput,
): Post {
  const { config } = app
  // Attachments make the post a slack_attachment (ParseSlackAttachment), whatever type was asked.
  const hasAttachments = Array.isArray(input.props?.attachments) && input.props.attachments.length > 0
  const type = hasAttachments ? 'slack_attachment' : (input.type ?? '')
  if (type.startsWith('system_'))
    throw new AppError(400, 'api.context.invalid_param.app_error', 'Invalid post.type parameter.')
  let metadata: Post['metadata'] | undefined
  if (input.priority !== undefined && input.priority !== null) {
    const p = input.priority as { priority?: unknown }
    if (typeof p !== 'object' || typeof p.priority !== 'string')
      throw new AppError(
        400,
        'api.context.invalid_param.app_error',
        'Invalid webhook.priority.priority parameter.',
        'Setting the priority of a post is required to use priority.',
      )
    metadata = { priority: p as NonNullable<Post['metadata']>['priority'] }
  }
  const props: PostProps = { from_webhook: 'true' }
  if (config.EnablePostUsernameOverride) props.override_username = input.username || 'webhook'
  if (config.EnablePostIconOverride) {
    if (input.iconUrl) props.override_icon_url = input.iconUrl
    if (input.iconEmoji) props.override_icon_emoji = input.iconEmoji
  }
  for (const [k, v] of Object.entries(input.props ?? {})) {
    if (k !== 'override_icon_url' && k !== 'override_username' && k !== 'from_webhook') props[k] = v
  }
  const text = input.text.replace(/<([^\n<|>]+)\|([^|\n>]+)>/g, '[$2]($1)')
  let first: Post | undefined
  for (const piece of splitMessage(text)) {
    const p = createPost(
      app,
      author,
      {
        channel_id: channel.id,
        message: piece,
        props: { ...props },
        type,
        root_id: input.rootId ?? '',
        ...(metadata ? { metadata } : {}),
      },
      { trusted: true, fireWebhooks: false },
    )
    first ??= p
  }
  return first!
}
