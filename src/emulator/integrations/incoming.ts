/**
 * Incoming webhooks: management (`/api/v4/hooks/incoming`) and `POST /hooks/{id}`.
 * @module
 */
import type { Channel, IncomingWebhook } from '../../types/index.js'
import { type App, type Ctx, OK, paginate } from '../app.js'
import { decodeJson, fitsShape, INCOMING_WEBHOOK, WEBHOOK_REQUEST } from '../decode.js'
import { AppError, badParam, badUrlParam, forbidden, notFound } from '../errors.js'
import { isValidId, isValidUsername, newId } from '../ids.js'
import { parseMultipart } from '../multipart.js'
import { hasTeamPermission, isSystemAdmin, requireTeamPermission } from '../permissions.js'
import { readableChannel } from '../rest-channels.js'
import { createWebhookPost, requireEnabled, slackText } from './shared.js'

const DISABLED = 'api.incoming_webhook.disabled.app_error'

function invalidParam(name: string): AppError {
  return new AppError(400, 'api.context.invalid_param.app_error', `Invalid ${name} parameter.`)
}

function badUsername(): AppError {
  return new AppError(400, 'api.incoming_webhook.invalid_username.app_error', 'Invalid username.')
}

/** Decode an incoming-webhook body as the real server does (JSON, `payload=` form, multipart). */
function decodePayload(body: Buffer, contentType: string): Record<string, unknown> {
  const type = contentType.split(';')[0]!.trim()
  const parse = (text: string): Record<string, unknown> => {
    // Real servers retry after escaping raw newlines / tabs inside string values.
    const v = (decodeJson(text) ?? decodeJson(text.replace(/\n/g, '\\n').replace(/\t/g, '\\t')))?.value
    // model.IncomingWebhookRequestFromJSON: a field of the wrong type fails the decode.
    if (!fitsShape(v, WEBHOOK_REQUEST)) throw new Error('not a webhook request')
    return v
  }
  try {
    if (type === 'application/x-www-form-urlencoded')
      return parse(new URLSearchParams(body.toString()).get('payload') ?? '')
    if (type === 'multipart/form-data') {
      // r.FormValue: the first value of each text field
      const f: Record<string, string> = {}
      for (const p of parseMultipart(body, contentType))
        if (p.filename === undefined) f[p.name] ??= p.data.toString('utf8')
      return f.payload ? parse(f.payload) : f
    }
    const v = parse(body.toString())
    if (!v || typeof v !== 'object') throw new Error('not an object')
    return v
  } catch {
    throw new AppError(400, 'web.incoming_webhook.parse.app_error', 'Unable to parse incoming data.')
  }
}

export function registerIncomingWebhooks(app: App): void {
  const { store, config } = app

  const hookOr404 = (ctx: Ctx): IncomingWebhook => {
    requireEnabled(config.EnableIncomingWebhooks, DISABLED)
    const me = ctx.user()
    if (!isValidId(ctx.params.hook_id)) throw badUrlParam('hook_id')
    const h = store.incomingHooks.get(ctx.params.hook_id)
    if (!h || h.delete_at) throw notFound('app.webhooks.get_incoming.app_error', 'webhook')
    // api4/webhook.go: manage_incoming_webhooks in the hook's team, and manage_others_… for others'
    requireTeamPermission(app, me, h.team_id, 'manage_incoming_webhooks')
    if (h.user_id !== me.id) requireTeamPermission(app, me, h.team_id, 'manage_others_incoming_webhooks')
    return h
  }
  const hookChannel = (ctx: Ctx, channelId: unknown): Channel => {
    const me = ctx.user()
    if (!isValidId(channelId)) throw badParam('channel_id')
    const ch = readableChannel(app, ctx, channelId)
    if (!store.isTeamMember(ch.team_id, me.id) && !isSystemAdmin(me)) throw forbidden()
    return ch
  }

  app.route('POST', '/api/v4/hooks/incoming', async ctx => {
    requireEnabled(config.EnableIncomingWebhooks, DISABLED)
    const me = ctx.user()
    const b = await ctx.json<Partial<IncomingWebhook>>(INCOMING_WEBHOOK, 'incoming_webhook')
    if (!b || typeof b !== 'object') throw badParam('incoming_webhook')
    const ch = hookChannel(ctx, b.channel_id)
    requireTeamPermission(app, me, ch.team_id, 'manage_incoming_webhooks')
    let owner = me.id
    if (b.user_id && b.user_id !== me.id) {
      requireTeamPermission(app, me, ch.team_id, 'manage_others_incoming_webhooks')
      if (!store.users.get(b.user_id)) throw notFound('app.user.missing_account.const', 'user')
      owner = b.user_id
    }
    const username = config.EnablePostUsernameOverride ? (b.username ?? '') : ''
    if (username && !isValidUsername(username)) throw badUsername()
    const t = store.now()
    const h: IncomingWebhook = {
      id: newId(),
      create_at: t,
      update_at: t,
      delete_at: 0,
      user_id: owner,
      channel_id: ch.id,
      team_id: ch.team_id,
      display_name: b.display_name ?? '',
      description: b.description ?? '',
      username,
      icon_url: config.EnablePostIconOverride ? (b.icon_url ?? '') : '',
      channel_locked: !!b.channel_locked,
    }
    store.incomingHooks.set(h.id, h)
    store.touch('inhook', h.id)
    return { status: 201, body: h }
  })
  app.route('GET', '/api/v4/hooks/incoming', ctx => {
    requireEnabled(config.EnableIncomingWebhooks, DISABLED)
    const me = ctx.user()
    const teamId = ctx.query.get('team_id')
    // getIncomingHooks: the team's permission with team_id, else the system-wide one (admins)
    if (teamId) requireTeamPermission(app, me, teamId, 'manage_incoming_webhooks')
    else if (!isSystemAdmin(me)) throw forbidden()
    const all = [...store.incomingHooks.values()].filter(
      h =>
        !h.delete_at &&
        (!teamId || h.team_id === teamId) &&
        (h.user_id === me.id || hasTeamPermission(app, me, h.team_id, 'manage_others_incoming_webhooks')),
    )
    const page = paginate(ctx, all)
    if (ctx.query.get('include_total_count') === 'true')
      return { body: { incoming_webhooks: page, total_count: all.length } }
    return { body: page }
  })
  app.route('GET', '/api/v4/hooks/incoming/:hook_id', ctx => ({ body: hookOr404(ctx) }))
  app.route('PUT', '/api/v4/hooks/incoming/:hook_id', async ctx => {
    const h = hookOr404(ctx)
    const b = await ctx.json<Partial<IncomingWebhook>>(INCOMING_WEBHOOK, 'incoming_webhook')
    if (!b || typeof b !== 'object') throw badParam('incoming_webhook')
    // The body's id must be the path's id (api4 updateIncomingHook).
    if (b.id !== h.id) throw invalidParam('hook_id')
    if (b.team_id && b.team_id !== h.team_id)
      throw new AppError(400, 'api.webhook.team_mismatch.app_error', 'Unable to update webhook across teams.')
    const ch = hookChannel(ctx, b.channel_id)
    if (ch.team_id !== h.team_id) throw invalidParam('channel_id')
    const username = config.EnablePostUsernameOverride ? (b.username ?? '') : h.username
    if (username && !isValidUsername(username)) throw badUsername()
    h.channel_id = ch.id
    h.display_name = b.display_name ?? ''
    h.description = b.description ?? ''
    h.username = username
    h.icon_url = config.EnablePostIconOverride ? (b.icon_url ?? '') : h.icon_url
    h.channel_locked = !!b.channel_locked
    h.update_at = store.now()
    store.touch('inhook', h.id)
    // The real handler writes 201 here, not 200.
    return { status: 201, body: h }
  })
  app.route('DELETE', '/api/v4/hooks/incoming/:hook_id', ctx => {
    const h = hookOr404(ctx)
    h.delete_at = store.now()
    store.touch('inhook', h.id)
    return OK
  })

  app.route('POST', '/hooks/:hook_id', async ctx => {
    requireEnabled(config.EnableIncomingWebhooks, 'web.incoming_webhook.disabled.app_error')
    const buf = await ctx.raw()
    const payload = decodePayload(buf, ctx.req.headers['content-type'] ?? '')
    const text = typeof payload.text === 'string' ? payload.text : ''
    const attachments = Array.isArray(payload.attachments) ? payload.attachments : undefined
    if (!text && !attachments)
      throw new AppError(400, 'web.incoming_webhook.text.app_error', 'No text specified.')
    const h = store.incomingHooks.get(ctx.params.hook_id!)
    if (!h || h.delete_at)
      throw new AppError(400, 'web.incoming_webhook.invalid.app_error', 'Invalid webhook.')
    const owner = store.users.get(h.user_id)
    const target = typeof payload.channel === 'string' ? payload.channel : ''
    let ch: Channel | undefined
    if (target.startsWith('@')) {
      const u = store.usersByName.get(target.slice(1).toLowerCase())
      if (!u) throw new AppError(400, 'web.incoming_webhook.user.app_error', "Couldn't find the user.")
      const dm = store.directChannel(h.user_id, u.id)
      if (dm.created)
        app.hub.broadcast(
          'direct_added',
          { creator_id: h.user_id, teammate_id: u.id },
          { channel_id: dm.channel.id },
        )
      ch = dm.channel
    } else if (target) {
      ch = store.channelByName(h.team_id, target.replace(/^#/, ''))
      if (!ch) throw new AppError(404, 'web.incoming_webhook.channel.app_error', "Couldn't find the channel.")
    } else {
      ch = store.channels.get(h.channel_id)
      if (!ch) throw notFound('app.channel.get.existing.app_error', 'channel')
    }
    if (h.channel_locked && ch.id !== h.channel_id)
      throw new AppError(
        403,
        'web.incoming_webhook.channel_locked.app_error',
        'This webhook is not permitted to post to the requested channel.',
      )
    if (!owner || owner.delete_at)
      throw new AppError(403, 'web.incoming_webhook.user.app_error', "Couldn't find the user.")
    if (ch.type !== 'O' && !store.isChannelMember(ch.id, owner.id) && !isSystemAdmin(owner))
      throw new AppError(
        403,
        'web.incoming_webhook.permissions.app_error',
        'Inappropriate channel permissions.',
      )
    const props: Record<string, unknown> = {
      ...(payload.props && typeof payload.props === 'object' ? (payload.props as object) : {}),
      webhook_display_name: h.display_name,
    }
    if (attachments?.length) props.attachments = attachments
    const str = (v: unknown): string => (typeof v === 'string' ? v : '')
    createWebhookPost(app, owner, ch, {
      text: slackText(app, text),
      username: str(payload.username) || h.username,
      iconUrl: str(payload.icon_url) || h.icon_url,
      iconEmoji: str(payload.icon_emoji),
      props,
      type: attachments?.length ? 'slack_attachment' : str(payload.type),
      priority: payload.priority,
    })
    await app.durable() // it writes its own reply: wait for the post to be on disk (app.ts)
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain' })
    ctx.res.end('ok')
    return undefined
  })
}
