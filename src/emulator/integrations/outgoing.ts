/**
 * Outgoing webhooks: management (`/api/v4/hooks/outgoing`, incl. update and token regeneration)
 * and the POST to each callback URL when a matching post is created in a public channel.
 * @module
 */
import type { OutgoingWebhook, Post } from '../../types/index.js'
import { type App, type Ctx, OK, paginate } from '../app.js'
import { OUTGOING_WEBHOOK } from '../decode.js'
import { AppError, badParam, badUrlParam, forbidden, notFound } from '../errors.js'
import { isValidId, newId } from '../ids.js'
import { hasTeamPermission, isSystemAdmin, requireTeamPermission } from '../permissions.js'
import type { StoredUser } from '../store-types.js'
import { call, createWebhookPost, requireEnabled, slackText } from './shared.js'

const DISABLED = 'api.outgoing_webhook.disabled.app_error'
const FORM = 'application/x-www-form-urlencoded'

interface HookResponse {
  text?: string | null
  username?: string
  icon_url?: string
  props?: Record<string, unknown>
  attachments?: unknown[]
  type?: string
  response_type?: string
  priority?: unknown
}

/** `OutgoingWebhook.IsValid` (the fields a client can get wrong). */
function validate(h: Partial<OutgoingWebhook>): void {
  const bad = (f: string) => new AppError(400, `model.outgoing_hook.is_valid.${f}.app_error`, `Invalid ${f}.`)
  if (!Array.isArray(h.callback_urls) || !h.callback_urls.length) throw bad('callback')
  if (!h.callback_urls.every(u => typeof u === 'string' && /^https?:\/\/\S+$/.test(u))) throw bad('url')
  if (h.trigger_words !== undefined && !Array.isArray(h.trigger_words)) throw bad('words')
  if ((h.trigger_words ?? []).some(w => typeof w !== 'string' || !w || w.length > 64)) throw bad('words')
  if ((h.display_name ?? '').length > 64) throw bad('display_name')
  if ((h.description ?? '').length > 500) throw bad('description')
  if (h.content_type && h.content_type.length > 128) throw bad('content_type')
  if (h.trigger_when !== undefined && h.trigger_when !== 0 && h.trigger_when !== 1) throw bad('trigger_when')
}

const intersects = (a: string[], b: string[]): boolean => a.some(x => b.includes(x))

export function registerOutgoingWebhooks(app: App): void {
  const { store, config } = app

  const hookOr404 = (ctx: Ctx): OutgoingWebhook => {
    requireEnabled(config.EnableOutgoingWebhooks, DISABLED)
    const me = ctx.user()
    if (!isValidId(ctx.params.hook_id)) throw badUrlParam('hook_id')
    const h = store.outgoingHooks.get(ctx.params.hook_id)
    if (!h || h.delete_at) throw notFound('app.webhooks.get_outgoing.app_error', 'webhook')
    if (!store.isTeamMember(h.team_id, me.id) && !isSystemAdmin(me)) throw forbidden()
    // api4/webhook.go: manage_outgoing_webhooks in the team, and manage_others_… for others'
    requireTeamPermission(app, me, h.team_id, 'manage_outgoing_webhooks')
    if (h.creator_id !== me.id) requireTeamPermission(app, me, h.team_id, 'manage_others_outgoing_webhooks')
    return h
  }
  /** The channel rules of Create/UpdateOutgoingWebhook; `update` changes ids and statuses. */
  const checkChannel = (h: Partial<OutgoingWebhook>, teamId: string, update: boolean): void => {
    if (h.channel_id) {
      if (!isValidId(h.channel_id)) throw badParam('channel_id')
      const ch = store.channels.get(h.channel_id)
      if (!ch) throw notFound('app.channel.get.existing.app_error', 'channel')
      // Create answers 403 with the "disabled" id for a non-public channel (sic).
      if (ch.type !== 'O')
        throw new AppError(
          403,
          update ? 'api.webhook.create_outgoing.not_open.app_error' : DISABLED,
          'Outgoing webhooks can only be created for public channels.',
        )
      if (ch.team_id !== teamId)
        throw new AppError(403, 'api.webhook.create_outgoing.permissions.app_error', 'Invalid permissions.')
    } else if (!h.trigger_words?.length) {
      throw new AppError(
        update ? 500 : 400,
        'api.webhook.create_outgoing.triggers.app_error',
        'Either trigger_words or channel_id must be set',
      )
    }
    for (const o of store.outgoingHooks.values()) {
      if (o.delete_at || o.team_id !== teamId || o.id === h.id) continue
      if (
        (o.channel_id || '') === (h.channel_id || '') &&
        intersects(o.callback_urls, h.callback_urls ?? []) &&
        intersects(o.trigger_words, h.trigger_words ?? [])
      )
        throw new AppError(
          update ? 400 : 500,
          update
            ? 'api.webhook.update_outgoing.intersect.app_error'
            : 'api.webhook.create_outgoing.intersect.app_error',
          'Outgoing webhooks from the same channel cannot have the same trigger words/callback URLs.',
        )
    }
  }

  app.route('POST', '/api/v4/hooks/outgoing', async ctx => {
    requireEnabled(config.EnableOutgoingWebhooks, DISABLED)
    const me = ctx.user()
    const b = await ctx.json<Partial<OutgoingWebhook>>(OUTGOING_WEBHOOK, 'outgoing_webhook')
    if (!b || typeof b !== 'object') throw badParam('outgoing_webhook')
    if (!isValidId(b.team_id)) throw badParam('team_id')
    if (!store.isTeamMember(b.team_id, me.id) && !isSystemAdmin(me)) throw forbidden()
    requireTeamPermission(app, me, b.team_id, 'manage_outgoing_webhooks')
    let creator = me.id
    if (b.creator_id && b.creator_id !== me.id) {
      requireTeamPermission(app, me, b.team_id, 'manage_others_outgoing_webhooks')
      if (!store.users.get(b.creator_id)) throw notFound('app.user.missing_account.const', 'user')
      creator = b.creator_id
    }
    checkChannel(b, b.team_id, false)
    validate(b)
    const t = store.now()
    const h: OutgoingWebhook = {
      id: newId(),
      token: newId(),
      create_at: t,
      update_at: t,
      delete_at: 0,
      creator_id: creator,
      channel_id: b.channel_id ?? '',
      team_id: b.team_id,
      trigger_words: b.trigger_words ?? [],
      trigger_when: b.trigger_when === 1 ? 1 : 0,
      callback_urls: b.callback_urls!,
      display_name: b.display_name ?? '',
      description: b.description ?? '',
      content_type: b.content_type || FORM,
      username: b.username ?? '',
      icon_url: b.icon_url ?? '',
    }
    store.outgoingHooks.set(h.id, h)
    store.touch('outhook', h.id)
    return { status: 201, body: h }
  })
  app.route('GET', '/api/v4/hooks/outgoing', ctx => {
    requireEnabled(config.EnableOutgoingWebhooks, DISABLED)
    const me = ctx.user()
    const channelId = ctx.query.get('channel_id')
    const teamId = ctx.query.get('team_id')
    // getOutgoingHooks: the channel's team permission, the team's, or the system-wide one (admins)
    const scope = channelId ? store.channels.get(channelId)?.team_id : teamId
    if (channelId && !store.isChannelMember(channelId, me.id) && !isSystemAdmin(me)) throw forbidden()
    if (scope) requireTeamPermission(app, me, scope, 'manage_outgoing_webhooks')
    else if (!isSystemAdmin(me)) throw forbidden()
    const list = [...store.outgoingHooks.values()].filter(
      h =>
        !h.delete_at &&
        (channelId ? h.channel_id === channelId : !teamId || h.team_id === teamId) &&
        (h.creator_id === me.id || hasTeamPermission(app, me, h.team_id, 'manage_others_outgoing_webhooks')),
    )
    return { body: paginate(ctx, list) }
  })
  app.route('GET', '/api/v4/hooks/outgoing/:hook_id', ctx => ({ body: hookOr404(ctx) }))
  app.route('PUT', '/api/v4/hooks/outgoing/:hook_id', async ctx => {
    requireEnabled(config.EnableOutgoingWebhooks, DISABLED)
    ctx.user()
    if (!isValidId(ctx.params.hook_id)) throw badUrlParam('hook_id')
    const b = await ctx.json<Partial<OutgoingWebhook>>(OUTGOING_WEBHOOK, 'outgoing_webhook')
    if (!b || typeof b !== 'object') throw badParam('outgoing_webhook')
    if (b.id !== ctx.params.hook_id)
      throw new AppError(400, 'api.context.invalid_param.app_error', 'Invalid hook_id parameter.')
    const h = hookOr404(ctx)
    if (b.team_id && b.team_id !== h.team_id)
      throw new AppError(400, 'api.webhook.team_mismatch.app_error', 'Unable to update webhook across teams.')
    const next: Partial<OutgoingWebhook> = { ...b, id: h.id, trigger_words: b.trigger_words ?? [] }
    checkChannel(next, h.team_id, true)
    validate(next)
    // Everything but id, token, creator, team, create_at and delete_at is replaced.
    h.channel_id = b.channel_id ?? ''
    h.trigger_words = b.trigger_words ?? []
    h.trigger_when = b.trigger_when === 1 ? 1 : 0
    h.callback_urls = b.callback_urls!
    h.display_name = b.display_name ?? ''
    h.description = b.description ?? ''
    h.content_type = b.content_type || FORM
    h.username = b.username ?? ''
    h.icon_url = b.icon_url ?? ''
    h.update_at = store.now()
    store.touch('outhook', h.id)
    return { body: h }
  })
  app.route('DELETE', '/api/v4/hooks/outgoing/:hook_id', ctx => {
    const h = hookOr404(ctx)
    h.delete_at = store.now()
    store.touch('outhook', h.id)
    return OK
  })
  app.route('POST', '/api/v4/hooks/outgoing/:hook_id/regen_token', ctx => {
    const h = hookOr404(ctx)
    h.token = newId()
    h.update_at = store.now()
    store.touch('outhook', h.id)
    return { body: h }
  })

  const respond = (h: OutgoingWebhook, post: Post, r: HookResponse): void => {
    if (r.text == null && !r.attachments?.length) return
    const ch = store.channels.get(post.channel_id)
    const creator = store.users.get(h.creator_id)
    if (!ch || !creator) return
    const props: Record<string, unknown> = { ...(r.props ?? {}), webhook_display_name: h.display_name }
    if (r.attachments?.length) props.attachments = r.attachments
    createWebhookPost(app, creator, ch, {
      text: slackText(app, r.text ?? ''),
      username: r.username || h.username,
      iconUrl: r.icon_url || h.icon_url,
      props,
      type: r.type ?? '',
      // The real server uses the triggering post's id, so a reply to a reply is rejected.
      rootId: r.response_type === 'comment' ? post.id : '',
      priority: r.priority,
    })
  }

  app.postCreated.push((post: Post, author: StoredUser) => {
    if (!config.EnableOutgoingWebhooks) return
    const ch = store.channels.get(post.channel_id)
    if (ch?.type !== 'O') return
    const first = post.message.trim().split(/\s+/)[0] ?? ''
    for (const h of store.outgoingHooks.values()) {
      if (h.delete_at || h.team_id !== ch.team_id || (h.channel_id && h.channel_id !== ch.id)) continue
      let word: string | undefined
      if (h.channel_id === ch.id && h.trigger_words.length === 0) word = ''
      else if (h.trigger_when === 0) word = h.trigger_words.find(w => w === first)
      else word = h.trigger_words.find(w => first.startsWith(w))
      if (word === undefined || (word !== '' && !first)) continue
      const json = h.content_type === 'application/json'
      const fields = {
        token: h.token,
        team_id: h.team_id,
        team_domain: store.teams.get(ch.team_id)?.name ?? '',
        channel_id: ch.id,
        channel_name: ch.name,
        timestamp: json ? post.create_at : Math.floor(post.create_at / 1000),
        user_id: author.id,
        user_name: author.username,
        post_id: post.id,
        text: post.message,
        trigger_word: word,
        file_ids: (post.file_ids ?? []).join(','),
      }
      const body = json
        ? JSON.stringify(fields)
        : new URLSearchParams(
            Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)]),
          ).toString()
      for (const url of h.callback_urls) {
        call(url, {
          method: 'POST',
          headers: { 'Content-Type': json ? 'application/json' : FORM, Accept: 'application/json' },
          body,
        })
          .then(res => {
            if (!res.text.trim()) return
            respond(h, post, JSON.parse(res.text) as HookResponse)
          })
          .catch(err => app.log(`emulator: outgoing webhook ${h.id}: ${(err as Error).message}`))
      }
    }
  })
}
