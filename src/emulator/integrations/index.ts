/**
 * The calls Mattermost makes to integrations, and their management endpoints: slash commands,
 * incoming/outgoing webhooks, interactive actions, dialogs, ephemeral posts. Owned by the
 * integrations engineer; see docs/emulator-internals.md for the APIs it builds on.
 * @module
 */
import type { Command, CommandResponse, IncomingWebhook, OutgoingWebhook, Post } from '../../types/index.js'
import type { App, Ctx } from '../app.js'
import { createPost, sanitizePost, sendEphemeral } from '../posts.js'
import { readableChannel } from '../rest-core.js'
import type { StoredUser } from '../store.js'
import {
  AppError,
  badParam,
  disabled as disabledError,
  forbidden,
  isValidId,
  newId,
  notFound,
} from '../util.js'

const TRIGGER_TTL = 30_000
const RESPONSE_URL_TTL = 30 * 60_000

async function call(url: string, init: RequestInit): Promise<{ status: number; type: string; text: string }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) })
  return {
    status: res.status,
    type: (res.headers.get('content-type') ?? '').split(';')[0]!.trim(),
    text: await res.text(),
  }
}

export function registerIntegrations(app: App): void {
  const { store, hub, config } = app
  const triggers = new Map<string, { userId: string; at: number }>()
  const responseUrls = new Map<
    string,
    { uses: number; at: number; userId: string; channelId: string; rootId: string; command: Command }
  >()
  const OK = { body: { status: 'OK' } }
  const newTrigger = (userId: string): string => {
    const id = Buffer.from(`${newId()}:${userId}:${Date.now()}`).toString('base64')
    triggers.set(id, { userId, at: Date.now() })
    return id
  }
  const disabled = (flag: boolean, id: string) => {
    if (!flag) throw disabledError(id)
  }

  /** Turn a CommandResponse into posts. */
  const applyCommandResponse = (
    user: StoredUser,
    channelId: string,
    rootId: string,
    r: CommandResponse,
    cmd: Command,
  ): void => {
    const target = r.channel_id || channelId
    if (target !== channelId && !store.isChannelMember(target, user.id)) throw forbidden()
    const props: Record<string, unknown> = { ...(r.props ?? {}) }
    if (r.attachments?.length) props.attachments = r.attachments
    const hasContent = !!r.text || !!r.attachments?.length
    if (hasContent) {
      if (r.response_type === 'in_channel') {
        props.from_webhook = 'true'
        const username = cmd.username || r.username
        if (config.EnablePostUsernameOverride && username) props.override_username = username
        createPost(
          app,
          user,
          {
            channel_id: target,
            message: r.text ?? '',
            root_id: rootId,
            props,
            type: r.attachments?.length ? 'slack_attachment' : (r.type ?? ''),
          },
          { trusted: true },
        )
      } else {
        sendEphemeral(app, user.id, { channel_id: target, message: r.text ?? '', root_id: rootId, props })
      }
    }
    for (const extra of r.extra_responses ?? []) applyCommandResponse(user, channelId, rootId, extra, cmd)
  }
  const parseCommandBody = (res: { type: string; text: string }): CommandResponse => {
    if (res.type === 'application/json') {
      try {
        return JSON.parse(res.text) as CommandResponse
      } catch {
        throw new AppError(
          500,
          'api.command.execute_command.failed.app_error',
          'Command failed: bad response.',
        )
      }
    }
    return { text: res.text }
  }

  // --- slash commands ---
  const cmdOr404 = (ctx: Ctx): Command => {
    const me = ctx.user()
    const c = store.commands.get(ctx.params.command_id!)
    if (!c || c.delete_at) throw notFound('app.command.getcommand.app_error', 'command')
    if (c.creator_id !== me.id && !me.roles.includes('system_admin') && !store.isTeamMember(c.team_id, me.id))
      throw forbidden()
    return c
  }
  app.route('POST', '/api/v4/commands', async ctx => {
    disabled(config.EnableCommands, 'api.command.disabled.app_error')
    const me = ctx.user()
    const b = await ctx.json<Partial<Command>>()
    if (!b || !isValidId(b.team_id)) throw badParam('team_id')
    const trigger = (b.trigger ?? '').toLowerCase()
    if (!trigger || trigger.startsWith('/') || /\s/.test(trigger) || trigger.length > 128) {
      throw new AppError(400, 'model.command.is_valid.trigger.app_error', 'Invalid trigger.')
    }
    if (!b.url || !/^https?:\/\//.test(b.url))
      throw new AppError(400, 'model.command.is_valid.url.app_error', 'Invalid URL.')
    if (b.method !== 'P' && b.method !== 'G')
      throw new AppError(400, 'model.command.is_valid.method.app_error', 'Invalid method.')
    if (!store.isTeamMember(b.team_id, me.id)) throw forbidden()
    for (const c of store.commands.values()) {
      if (c.team_id === b.team_id && c.trigger === trigger && !c.delete_at) {
        throw new AppError(
          400,
          'api.command.duplicate_trigger.app_error',
          'This trigger word is already in use. Please choose another word.',
        )
      }
    }
    const t = store.now()
    const cmd: Command = {
      id: newId(),
      token: newId(),
      create_at: t,
      update_at: t,
      delete_at: 0,
      creator_id: me.id,
      team_id: b.team_id,
      trigger,
      method: b.method,
      username: b.username ?? '',
      icon_url: b.icon_url ?? '',
      auto_complete: !!b.auto_complete,
      auto_complete_desc: b.auto_complete_desc ?? '',
      auto_complete_hint: b.auto_complete_hint ?? '',
      display_name: b.display_name ?? '',
      description: b.description ?? '',
      url: b.url,
    }
    store.commands.set(cmd.id, cmd)
    store.touch('command', cmd.id)
    return { status: 201, body: cmd }
  })
  app.route('GET', '/api/v4/commands', ctx => {
    disabled(config.EnableCommands, 'api.command.disabled.app_error')
    const me = ctx.user()
    const teamId = ctx.query.get('team_id') ?? ''
    if (!isValidId(teamId)) throw badParam('team_id')
    const mine = [...store.commands.values()].filter(c => c.team_id === teamId && !c.delete_at)
    return {
      body: mine.map(c =>
        c.creator_id === me.id || me.roles.includes('system_admin')
          ? c
          : { ...c, token: '', url: '', method: '', username: '', icon_url: '', creator_id: '' },
      ),
    }
  })
  app.route('GET', '/api/v4/teams/:team_id/commands/autocomplete', ctx => {
    ctx.user()
    return {
      body: [...store.commands.values()].filter(
        c => c.team_id === ctx.params.team_id && c.auto_complete && !c.delete_at,
      ),
    }
  })
  app.route('GET', '/api/v4/commands/:command_id', ctx => ({ body: cmdOr404(ctx) }))
  app.route('PUT', '/api/v4/commands/:command_id', async ctx => {
    const c = cmdOr404(ctx)
    const b = await ctx.json<Partial<Command>>()
    for (const k of [
      'trigger',
      'url',
      'method',
      'username',
      'icon_url',
      'auto_complete',
      'auto_complete_desc',
      'auto_complete_hint',
      'display_name',
      'description',
    ] as const) {
      if (b?.[k] !== undefined) (c as unknown as Record<string, unknown>)[k] = b[k]
    }
    c.update_at = store.now()
    store.touch('command', c.id)
    return { body: c }
  })
  app.route('DELETE', '/api/v4/commands/:command_id', ctx => {
    const c = cmdOr404(ctx)
    c.delete_at = store.now()
    store.touch('command', c.id)
    return OK
  })
  app.route('PUT', '/api/v4/commands/:command_id/regen_token', ctx => {
    const c = cmdOr404(ctx)
    c.token = newId()
    store.touch('command', c.id)
    return { body: { token: c.token } }
  })
  app.route('POST', '/api/v4/commands/execute', async ctx => {
    disabled(config.EnableCommands, 'api.command.disabled.app_error')
    const me = ctx.user()
    const b = await ctx.json<{
      channel_id?: string
      command?: string
      team_id?: string
      root_id?: string
      parent_id?: string
    }>()
    if (!isValidId(b?.channel_id)) throw badParam('channel_id')
    if (!b.command?.startsWith('/')) throw badParam('command')
    const ch = readableChannel(app, ctx, b.channel_id)
    if (!store.isChannelMember(ch.id, me.id)) throw forbidden()
    const m = /^(\S+)(\s[\s\S]*)?$/.exec(b.command)!
    const trigger = m[1]!.slice(1).toLowerCase()
    const text = (m[2] ?? '').replace(/^\s/, '')
    const teamId = ch.team_id || b.team_id || ''
    const cmd = [...store.commands.values()].find(
      c => c.trigger === trigger && c.team_id === teamId && !c.delete_at,
    )
    if (!cmd)
      throw new AppError(
        404,
        'api.command.execute_command.not_found.app_error',
        `Command with a trigger of '/${trigger}' not found.`,
      )
    if (!config.SiteURL)
      throw new AppError(
        400,
        'api.command.execute_command.site_url_required.app_error',
        'SiteURL is required.',
      )
    const team = store.teams.get(teamId)
    const hookId = newId()
    const rootId = b.root_id || b.parent_id || ''
    responseUrls.set(hookId, {
      uses: 0,
      at: Date.now(),
      userId: me.id,
      channelId: ch.id,
      rootId,
      command: cmd,
    })
    const triggerId = newTrigger(me.id)
    const form = new URLSearchParams({
      token: cmd.token,
      team_id: teamId,
      team_domain: team?.name ?? '',
      channel_id: ch.id,
      channel_name: ch.name,
      user_id: me.id,
      user_name: me.username,
      command: `/${trigger}`,
      text,
      trigger_id: triggerId,
      root_id: rootId,
      response_url: `${config.SiteURL}/hooks/commands/${hookId}`,
    })
    for (const mm of text.matchAll(/@([a-z0-9._-]+)/gi)) {
      const u = store.usersByName.get(mm[1]!.toLowerCase())
      if (u) {
        form.append('user_mentions', u.username)
        form.append('user_mentions_ids', u.id)
      }
    }
    let res: { status: number; type: string; text: string }
    const headers = { Accept: 'application/json', Authorization: `Token ${cmd.token}` }
    try {
      res =
        cmd.method === 'G'
          ? await call(`${cmd.url}${cmd.url.includes('?') ? '&' : '?'}${form}`, { method: 'GET', headers })
          : await call(cmd.url, {
              method: 'POST',
              headers: { ...headers, 'Content-Type': 'application/x-www-form-urlencoded' },
              body: form.toString(),
            })
    } catch (err) {
      throw new AppError(
        500,
        'api.command.execute_command.failed.app_error',
        `Command with a trigger of '/${trigger}' failed.`,
        String(err),
      )
    }
    if (res.status !== 200) {
      throw new AppError(
        500,
        'api.command.execute_command.failed_resp.app_error',
        `Command with a trigger of '/${trigger}' returned response ${res.status}.`,
      )
    }
    if (!res.text && res.type === 'application/json') {
      // Real servers fail to decode an empty JSON body (CommandResponseFromHTTPBody).
      throw new AppError(
        500,
        'api.command.execute_command.failed_empty.app_error',
        `Command with a trigger of '/${trigger}' returned an empty response.`,
      )
    }
    const r = res.text ? parseCommandBody(res) : {}
    applyCommandResponse(me, ch.id, rootId, r, cmd)
    return { body: { ...r, trigger_id: triggerId } }
  })
  app.route('POST', '/hooks/commands/:hook_id', async ctx => {
    const h = responseUrls.get(ctx.params.hook_id!)
    if (!h || Date.now() - h.at > RESPONSE_URL_TTL)
      throw notFound('app.command_webhook.get.missing', 'command webhook')
    if (h.uses >= 5) throw new AppError(400, 'app.command_webhook.try_use.invalid', 'Invalid webhook.')
    h.uses++
    const buf = await ctx.raw()
    const type = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim()
    const r = parseCommandBody({ type, text: buf.toString() })
    applyCommandResponse(store.users.get(h.userId)!, h.channelId, h.rootId, r, h.command)
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain' })
    ctx.res.end('ok')
    return undefined
  })

  // --- incoming webhooks ---
  const inOr404 = (ctx: Ctx): IncomingWebhook => {
    disabled(config.EnableIncomingWebhooks, 'api.incoming_webhook.disabled.app_error')
    const me = ctx.user()
    const h = store.incomingHooks.get(ctx.params.hook_id!)
    if (!h || h.delete_at) throw notFound('app.webhooks.get_incoming.app_error', 'webhook')
    if (h.user_id !== me.id && !me.roles.includes('system_admin')) throw forbidden()
    return h
  }
  app.route('POST', '/api/v4/hooks/incoming', async ctx => {
    disabled(config.EnableIncomingWebhooks, 'api.incoming_webhook.disabled.app_error')
    const me = ctx.user()
    const b = await ctx.json<Partial<IncomingWebhook>>()
    if (!isValidId(b?.channel_id)) throw badParam('channel_id')
    const ch = readableChannel(app, ctx, b.channel_id)
    if (!store.isChannelMember(ch.id, me.id) && ch.type !== 'O') throw forbidden()
    const t = store.now()
    const h: IncomingWebhook = {
      id: newId(),
      create_at: t,
      update_at: t,
      delete_at: 0,
      user_id: me.id,
      channel_id: ch.id,
      team_id: ch.team_id,
      display_name: b.display_name ?? '',
      description: b.description ?? '',
      username: b.username ?? '',
      icon_url: b.icon_url ?? '',
      channel_locked: !!b.channel_locked,
    }
    store.incomingHooks.set(h.id, h)
    store.touch('inhook', h.id)
    return { status: 201, body: h }
  })
  app.route('GET', '/api/v4/hooks/incoming', ctx => {
    disabled(config.EnableIncomingWebhooks, 'api.incoming_webhook.disabled.app_error')
    const me = ctx.user()
    const teamId = ctx.query.get('team_id')
    return {
      body: [...store.incomingHooks.values()].filter(
        h =>
          !h.delete_at &&
          (!teamId || h.team_id === teamId) &&
          (h.user_id === me.id || me.roles.includes('system_admin')),
      ),
    }
  })
  app.route('GET', '/api/v4/hooks/incoming/:hook_id', ctx => ({ body: inOr404(ctx) }))
  app.route('PUT', '/api/v4/hooks/incoming/:hook_id', async ctx => {
    const h = inOr404(ctx)
    const b = await ctx.json<Partial<IncomingWebhook>>()
    for (const k of [
      'display_name',
      'description',
      'username',
      'icon_url',
      'channel_id',
      'channel_locked',
    ] as const) {
      if (b?.[k] !== undefined) (h as unknown as Record<string, unknown>)[k] = b[k]
    }
    h.update_at = store.now()
    store.touch('inhook', h.id)
    return { body: h }
  })
  app.route('DELETE', '/api/v4/hooks/incoming/:hook_id', ctx => {
    const h = inOr404(ctx)
    h.delete_at = store.now()
    store.touch('inhook', h.id)
    return OK
  })
  app.route('POST', '/hooks/:hook_id', async ctx => {
    disabled(config.EnableIncomingWebhooks, 'api.incoming_webhook.disabled.app_error')
    const h = store.incomingHooks.get(ctx.params.hook_id!)
    if (!h || h.delete_at)
      throw new AppError(400, 'web.incoming_webhook.invalid.app_error', 'Invalid webhook.')
    const buf = await ctx.raw()
    const type = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim()
    let payload: Record<string, unknown>
    try {
      const text =
        type === 'application/x-www-form-urlencoded'
          ? (new URLSearchParams(buf.toString()).get('payload') ?? '')
          : buf.toString()
      payload = JSON.parse(text)
    } catch {
      throw new AppError(400, 'web.incoming_webhook.parse.app_error', 'Unable to parse incoming data.')
    }
    const text = typeof payload.text === 'string' ? payload.text : ''
    const attachments = Array.isArray(payload.attachments) ? payload.attachments : []
    if (!text && !attachments.length)
      throw new AppError(400, 'web.incoming_webhook.text.app_error', 'No text specified.')
    const owner = store.users.get(h.user_id)!
    let channelId = h.channel_id
    const target = typeof payload.channel === 'string' ? payload.channel : ''
    if (target) {
      let chId: string | undefined
      if (target.startsWith('@')) {
        const u = store.usersByName.get(target.slice(1).toLowerCase())
        if (u) chId = store.directChannel(owner.id, u.id).channel.id
      } else chId = store.channelByName(h.team_id, target.replace(/^#/, ''))?.id
      if (!chId)
        throw new AppError(404, 'web.incoming_webhook.channel.app_error', "Couldn't find the channel.")
      if (h.channel_locked && chId !== h.channel_id)
        throw new AppError(
          403,
          'web.incoming_webhook.channel_locked.app_error',
          'This webhook is not permitted to post to the requested channel.',
        )
      channelId = chId
    }
    const props: Record<string, unknown> = {
      ...((payload.props as object) ?? {}),
      from_webhook: 'true',
      webhook_display_name: h.display_name,
    }
    if (attachments.length) props.attachments = attachments
    const username = (payload.username as string) || h.username || 'webhook'
    if (config.EnablePostUsernameOverride) props.override_username = username
    if (config.EnablePostIconOverride && (payload.icon_url || h.icon_url))
      props.override_icon_url = payload.icon_url || h.icon_url
    const converted = text
      .replace(/<!(channel|here|all)>/g, '@$1')
      .replace(/<(https?:[^|>]+)\|([^>]+)>/g, '[$2]($1)')
    const ch = store.channels.get(channelId)!
    if (!store.isChannelMember(ch.id, owner.id)) store.addChannelMember(ch.id, owner.id)
    createPost(
      app,
      owner,
      {
        channel_id: channelId,
        message: converted,
        props,
        type: attachments.length ? 'slack_attachment' : '',
      },
      { trusted: true },
    )
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain' })
    ctx.res.end('ok')
    return undefined
  })

  // --- outgoing webhooks ---
  const outOr404 = (ctx: Ctx): OutgoingWebhook => {
    disabled(config.EnableOutgoingWebhooks, 'api.outgoing_webhook.disabled.app_error')
    const me = ctx.user()
    const h = store.outgoingHooks.get(ctx.params.hook_id!)
    if (!h || h.delete_at) throw notFound('app.webhooks.get_outgoing.app_error', 'webhook')
    if (h.creator_id !== me.id && !me.roles.includes('system_admin')) throw forbidden()
    return h
  }
  app.route('POST', '/api/v4/hooks/outgoing', async ctx => {
    disabled(config.EnableOutgoingWebhooks, 'api.outgoing_webhook.disabled.app_error')
    const me = ctx.user()
    const b = await ctx.json<Partial<OutgoingWebhook>>()
    if (!isValidId(b?.team_id)) throw badParam('team_id')
    if (!b.callback_urls?.length || !b.callback_urls.every(u => /^https?:\/\//.test(u))) {
      throw new AppError(400, 'model.outgoing_hook.is_valid.callback.app_error', 'Invalid callback urls.')
    }
    if (!b.channel_id && !b.trigger_words?.length)
      throw new AppError(
        400,
        'api.webhook.create_outgoing.triggers.app_error',
        'Either trigger_words or channel_id must be set',
      )
    if (b.channel_id) {
      const ch = store.channels.get(b.channel_id)
      if (!ch) throw notFound('app.channel.get.existing.app_error', 'channel')
      if (ch.type !== 'O')
        throw new AppError(
          403,
          'api.webhook.create_outgoing.not_open.app_error',
          'Outgoing webhooks can only be created for public channels.',
        )
    }
    const t = store.now()
    const h: OutgoingWebhook = {
      id: newId(),
      token: newId(),
      create_at: t,
      update_at: t,
      delete_at: 0,
      creator_id: me.id,
      channel_id: b.channel_id ?? '',
      team_id: b.team_id,
      trigger_words: b.trigger_words ?? [],
      trigger_when: b.trigger_when === 1 ? 1 : 0,
      callback_urls: b.callback_urls,
      display_name: b.display_name ?? '',
      description: b.description ?? '',
      content_type: b.content_type || 'application/x-www-form-urlencoded',
      username: b.username ?? '',
      icon_url: b.icon_url ?? '',
    }
    store.outgoingHooks.set(h.id, h)
    store.touch('outhook', h.id)
    return { status: 201, body: h }
  })
  app.route('GET', '/api/v4/hooks/outgoing', ctx => {
    disabled(config.EnableOutgoingWebhooks, 'api.outgoing_webhook.disabled.app_error')
    const me = ctx.user()
    return {
      body: [...store.outgoingHooks.values()].filter(
        h => !h.delete_at && (h.creator_id === me.id || me.roles.includes('system_admin')),
      ),
    }
  })
  app.route('GET', '/api/v4/hooks/outgoing/:hook_id', ctx => ({ body: outOr404(ctx) }))
  app.route('DELETE', '/api/v4/hooks/outgoing/:hook_id', ctx => {
    const h = outOr404(ctx)
    h.delete_at = store.now()
    store.touch('outhook', h.id)
    return OK
  })
  app.route('POST', '/api/v4/hooks/outgoing/:hook_id/regen_token', ctx => {
    const h = outOr404(ctx)
    h.token = newId()
    store.touch('outhook', h.id)
    return { body: h }
  })
  app.postCreated.push((post: Post, author: StoredUser) => {
    if (!config.EnableOutgoingWebhooks) return
    const ch = store.channels.get(post.channel_id)
    if (ch?.type !== 'O') return
    const first = post.message.split(/\s+/)[0] ?? ''
    for (const h of store.outgoingHooks.values()) {
      if (h.delete_at || h.team_id !== ch.team_id || (h.channel_id && h.channel_id !== ch.id)) continue
      const word =
        h.trigger_words.length === 0
          ? ''
          : h.trigger_words.find(w => (h.trigger_when === 0 ? first === w : first.startsWith(w)))
      if (word === undefined) continue
      const json = h.content_type === 'application/json'
      const fields = {
        token: h.token,
        team_id: ch.team_id,
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
      const creator = store.users.get(h.creator_id)!
      for (const url of h.callback_urls) {
        const body = json
          ? JSON.stringify(fields)
          : new URLSearchParams(
              Object.entries(fields).map(([k, v]): [string, string] => [k, String(v)]),
            ).toString()
        call(url, {
          method: 'POST',
          headers: {
            'Content-Type': json ? 'application/json' : 'application/x-www-form-urlencoded',
            Accept: 'application/json',
          },
          body,
        })
          .then(res => {
            if (!res.text) return
            const r = JSON.parse(res.text) as {
              text?: string | null
              response_type?: string
              attachments?: unknown[]
              username?: string
              props?: object
            }
            if (r.text == null && !r.attachments?.length) return
            const props: Record<string, unknown> = {
              ...(r.props ?? {}),
              from_webhook: 'true',
              webhook_display_name: h.display_name,
            }
            if (r.attachments?.length) props.attachments = r.attachments
            if (config.EnablePostUsernameOverride)
              props.override_username = r.username || h.username || 'webhook'
            if (!store.isChannelMember(ch.id, creator.id)) store.addChannelMember(ch.id, creator.id)
            createPost(
              app,
              creator,
              {
                channel_id: ch.id,
                message: r.text ?? '',
                props,
                root_id: r.response_type === 'comment' ? post.root_id || post.id : '',
              },
              { trusted: true },
            )
          })
          .catch(() => {})
      }
    }
  })

  // --- interactive actions ---
  app.route('POST', '/api/v4/posts/:post_id/actions/:action_id', async ctx => {
    const me = ctx.user()
    const post = store.posts.get(ctx.params.post_id!)
    if (!post || post.delete_at) throw notFound('app.post.get.app_error', 'post')
    const ch = readableChannel(app, ctx, post.channel_id)
    const b = (await ctx.json<{ selected_option?: string } | null>()) ?? {}
    const action = (post.props.attachments ?? [])
      .flatMap(a => a.actions ?? [])
      .find(a => a.id === ctx.params.action_id)
    if (!action?.integration?.url) throw notFound('api.post.do_action.action_id.app_error', 'action')
    const triggerId = newTrigger(me.id)
    const context = { ...(action.integration.context ?? {}) } as Record<string, unknown>
    if (b.selected_option) context.selected_option = b.selected_option
    const team = store.teams.get(ch.team_id)
    let res: { status: number; type: string; text: string }
    try {
      res = await call(action.integration.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({
          user_id: me.id,
          user_name: me.username,
          channel_id: ch.id,
          channel_name: ch.name,
          team_id: ch.team_id,
          team_domain: team?.name ?? '',
          post_id: post.id,
          trigger_id: triggerId,
          type: action.type ?? 'button',
          data_source: action.data_source ?? '',
          context,
        }),
      })
    } catch {
      res = { status: 0, type: '', text: '' }
    }
    if (res.status !== 200)
      throw new AppError(400, 'api.post.do_action.action_integration.app_error', 'Action integration error.')
    const r = res.text ? (JSON.parse(res.text) as { update?: Partial<Post>; ephemeral_text?: string }) : {}
    if (r.update) {
      const keep = {
        from_webhook: post.props.from_webhook,
        override_username: post.props.override_username,
        override_icon_url: post.props.override_icon_url,
      }
      if (typeof r.update.message === 'string') post.message = r.update.message
      if (r.update.props)
        post.props = {
          ...r.update.props,
          ...Object.fromEntries(Object.entries(keep).filter(([, v]) => v !== undefined)),
        }
      post.update_at = store.now()
      store.touch('post', post.id)
      hub.broadcast(
        'post_edited',
        { post: JSON.stringify(sanitizePost(post)) },
        { channel_id: post.channel_id },
      )
    }
    if (r.ephemeral_text)
      sendEphemeral(app, me.id, {
        channel_id: ch.id,
        message: r.ephemeral_text,
        root_id: post.root_id || post.id,
      })
    return { body: { status: 'OK', trigger_id: triggerId } }
  })

  // --- dialogs ---
  const dialogUrls = new Map<string, string>() // user → url of the last opened dialog
  app.route('POST', '/api/v4/actions/dialogs/open', async ctx => {
    const b = await ctx.json<{ trigger_id?: string; url?: string; dialog?: { title?: string } }>()
    if (!b?.trigger_id) throw badParam('trigger_id')
    if (!b.url) throw badParam('url')
    if (!b.dialog) throw badParam('dialog')
    const t = triggers.get(b.trigger_id)
    if (!t)
      throw new AppError(
        400,
        'interactive_message.decode_trigger_id.signature_decode_failed',
        'Invalid trigger id.',
      )
    if (Date.now() - t.at > TRIGGER_TTL)
      throw new AppError(
        400,
        'interactive_message.decode_trigger_id.expired',
        'Trigger ID for interactive dialog is expired.',
      )
    dialogUrls.set(t.userId, b.url)
    hub.broadcast(
      'open_dialog',
      { dialog: JSON.stringify({ ...b, trigger_id: newId() }) },
      { user_id: t.userId },
    )
    return OK
  })
  app.route('POST', '/api/v4/actions/dialogs/submit', async ctx => {
    const me = ctx.user()
    const b = await ctx.json<Record<string, unknown>>()
    if (!b?.url || typeof b.url !== 'string') throw badParam('url')
    if (!isValidId(b.channel_id)) throw badParam('channel_id')
    const { url, ...rest } = b
    const res = await call(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ ...rest, type: 'dialog_submission', user_id: me.id }),
    }).catch(() => ({ status: 0, type: '', text: '' }))
    if (res.status !== 200)
      throw new AppError(400, 'api.dialog.submit.integration_error', 'Dialog integration error.')
    return { body: res.text ? JSON.parse(res.text) : {} }
  })
  app.route('POST', '/api/v4/posts/ephemeral', async ctx => {
    const me = ctx.user()
    if (!me.is_bot && !me.roles.includes('system_admin')) throw forbidden()
    const b = await ctx.json<{
      user_id?: string
      post?: { channel_id?: string; message?: string; props?: Record<string, unknown>; root_id?: string }
    }>()
    if (!isValidId(b?.user_id)) throw badParam('user_id')
    if (!isValidId(b.post?.channel_id)) throw badParam('post.channel_id')
    const p = sendEphemeral(app, b.user_id, { ...b.post, channel_id: b.post.channel_id, user_id: me.id })
    return { status: 201, body: p }
  })
}
