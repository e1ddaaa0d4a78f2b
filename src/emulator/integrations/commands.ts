/**
 * Slash commands: registration (CRUD, regen token, autocomplete), execution (the request to the
 * command URL and its `CommandResponse`), and delayed replies through `response_url`.
 * @module
 */
import type { Command, CommandResponse } from '../../types/index.js'
import { type App, type Ctx, OK } from '../app.js'
import { COMMAND } from '../decode.js'
import { AppError, badParam, badUrlParam, forbidden, notFound } from '../errors.js'
import { isValidId, newId } from '../ids.js'
import { hasTeamPermission, isSystemAdmin, requireTeamPermission } from '../permissions.js'
import { createPost, sendEphemeral } from '../posts.js'
import { readableChannel } from '../rest-channels.js'
import type { StoredUser } from '../store-types.js'
import { BUILT_IN_TRIGGERS } from './builtin-triggers.js'
import { type CallResult, call, newTrigger, RESPONSE_URL_TTL, requireEnabled, slackText } from './shared.js'

interface ResponseUrl {
  uses: number
  at: number
  userId: string
  channelId: string
  rootId: string
  commandId: string
}

const DISABLED = 'api.command.disabled.app_error'
const EDITABLE = [
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
] as const

function invalid(field: string): AppError {
  return new AppError(400, `model.command.is_valid.${field}.app_error`, `Invalid ${field}.`)
}

/** The field checks of `Command.IsValid`. */
function validate(c: Partial<Command>): void {
  const trigger = c.trigger ?? ''
  if (!trigger || trigger.startsWith('/') || /\s/.test(trigger) || trigger.length > 128)
    throw invalid('trigger')
  if (!c.url || !/^https?:\/\/\S+$/.test(c.url) || c.url.length > 1024) throw invalid('url')
  if (c.method !== 'P' && c.method !== 'G') throw invalid('method')
  if ((c.display_name ?? '').length > 64) throw invalid('display_name')
  if ((c.description ?? '').length > 128) throw invalid('description')
}

/** Parse a command response: JSON only when the media type is exactly application/json. */
export function parseCommandBody(res: { type: string; text: string }): CommandResponse {
  if (res.type !== 'application/json') return { text: res.text }
  try {
    const r = JSON.parse(res.text) as unknown
    if (!r || typeof r !== 'object') throw new Error('not an object')
    return r as CommandResponse
  } catch (err) {
    throw new AppError(
      500,
      'api.command.execute_command.failed.app_error',
      'Command failed: bad response.',
      String(err),
    )
  }
}

/**
 * The answer of `POST /commands/execute`: the integration's response decoded into the server's
 * `CommandResponse` (every field present, unknown ones dropped, the text as posted).
 */
function commandResponseBody(r: CommandResponse, triggerId: string): Record<string, unknown> {
  return {
    response_type: r.response_type ?? '',
    text: r.text ?? '',
    username: r.username ?? '',
    channel_id: r.channel_id ?? '',
    icon_url: r.icon_url ?? '',
    type: r.type ?? '',
    props: r.props ?? null,
    goto_location: r.goto_location ?? '',
    trigger_id: triggerId,
    skip_slack_parsing: !!r.skip_slack_parsing,
    attachments: r.attachments ?? null,
    extra_responses: r.extra_responses ?? null,
  }
}

export function registerCommands(app: App): void {
  const { store, config } = app
  const responseUrls = new Map<string, ResponseUrl>()

  /** `HandleCommandResponse`: posts / ephemerals for the response and each extra response. */
  const apply = (
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
    // As HandleCommandResponsePost, the response's own text is rewritten (the execute reply shows it)
    if (!r.skip_slack_parsing) r.text = slackText(app, r.text ?? '')
    const text = r.text ?? ''
    if (text || r.attachments?.length) {
      // HandleCommandResponsePost: the post is the caller's, marked as an integration's (custom
      // commands are never built-in), with the overrides; both for in_channel and ephemeral.
      const username = cmd.username || r.username
      if (config.EnablePostUsernameOverride && username) props.override_username = username
      if (config.EnablePostIconOverride) props.override_icon_url = cmd.icon_url || r.icon_url || ''
      props.from_webhook = 'true'
      if (r.response_type === 'in_channel') {
        // Custom commands post through CreatePostMissingChannel with triggerWebhooks = true.
        createPost(
          app,
          user,
          {
            channel_id: target,
            message: text,
            root_id: rootId,
            props,
            type: r.attachments?.length ? 'slack_attachment' : (r.type ?? ''),
          },
          { trusted: true, fireWebhooks: true },
        )
      } else {
        if ((r.type ?? '').startsWith('system_'))
          throw new AppError(400, 'api.context.invalid_param.app_error', 'Invalid post.type parameter.')
        sendEphemeral(app, user.id, {
          user_id: user.id,
          channel_id: target,
          message: text,
          root_id: rootId,
          props,
        })
      }
    }
    for (const extra of r.extra_responses ?? []) apply(user, channelId, rootId, extra, cmd)
  }

  // api4/command.go: your own commands need manage_slash_commands, others' manage_others_….
  const canManage = (me: StoredUser, c: Command): boolean =>
    hasTeamPermission(
      app,
      me,
      c.team_id,
      c.creator_id === me.id ? 'manage_slash_commands' : 'manage_others_slash_commands',
    )
  const cmdOr404 = (ctx: Ctx): Command => {
    requireEnabled(config.EnableCommands, DISABLED)
    const me = ctx.user()
    if (!isValidId(ctx.params.command_id)) throw badUrlParam('command_id')
    const c = store.commands.get(ctx.params.command_id)
    if (!c || c.delete_at) throw notFound('app.command.getcommand.app_error', 'command')
    if (!store.isTeamMember(c.team_id, me.id) && !isSystemAdmin(me))
      throw notFound('app.command.getcommand.app_error', 'command')
    if (!canManage(me, c)) throw forbidden()
    return c
  }
  /**
   * `validateCommandTriggerUniqueness`: the built-in triggers first, then the team's live custom
   * commands (both lower-cased); it runs before the field checks of `Command.IsValid`.
   */
  const clash = (teamId: string, trigger: string, exceptId = ''): void => {
    const t = trigger.toLowerCase()
    const taken =
      BUILT_IN_TRIGGERS.has(t) ||
      [...store.commands.values()].some(
        c => c.team_id === teamId && c.trigger.toLowerCase() === t && !c.delete_at && c.id !== exceptId,
      )
    if (taken)
      throw new AppError(
        400,
        'api.command.duplicate_trigger.app_error',
        'This trigger word is already in use. Please choose another word.',
      )
  }

  app.route('POST', '/api/v4/commands', async ctx => {
    requireEnabled(config.EnableCommands, DISABLED)
    const me = ctx.user()
    const b = await ctx.json<Partial<Command>>(COMMAND, 'command')
    if (!b || typeof b !== 'object' || !isValidId(b.team_id)) throw badParam('team_id')
    if (!store.isTeamMember(b.team_id, me.id) && !isSystemAdmin(me)) throw forbidden()
    requireTeamPermission(app, me, b.team_id, 'manage_slash_commands')
    const trigger = (typeof b.trigger === 'string' ? b.trigger : '').toLowerCase()
    clash(b.team_id, trigger)
    validate({ ...b, trigger })
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
      method: b.method!,
      username: b.username ?? '',
      icon_url: b.icon_url ?? '',
      auto_complete: !!b.auto_complete,
      auto_complete_desc: b.auto_complete_desc ?? '',
      auto_complete_hint: b.auto_complete_hint ?? '',
      display_name: b.display_name ?? '',
      description: b.description ?? '',
      url: b.url!,
    }
    store.commands.set(cmd.id, cmd)
    store.touch('command', cmd.id)
    return { status: 201, body: cmd }
  })
  app.route('GET', '/api/v4/commands', ctx => {
    requireEnabled(config.EnableCommands, DISABLED)
    const me = ctx.user()
    const teamId = ctx.query.get('team_id') ?? ''
    if (!isValidId(teamId)) throw badParam('team_id')
    if (!store.isTeamMember(teamId, me.id) && !isSystemAdmin(me)) throw forbidden()
    if (ctx.query.get('custom_only') === 'true')
      requireTeamPermission(app, me, teamId, 'manage_slash_commands')
    const list = [...store.commands.values()].filter(c => c.team_id === teamId && !c.delete_at)
    return {
      body: list.map(c =>
        canManage(me, c)
          ? c
          : { ...c, token: '', url: '', method: '', username: '', icon_url: '', creator_id: '' },
      ),
    }
  })
  app.route('GET', '/api/v4/teams/:team_id/commands/autocomplete', ctx => {
    const me = ctx.user()
    if (!isValidId(ctx.params.team_id)) throw badUrlParam('team_id')
    if (!store.isTeamMember(ctx.params.team_id, me.id) && !isSystemAdmin(me)) throw forbidden()
    return {
      body: [...store.commands.values()]
        .filter(c => c.team_id === ctx.params.team_id && c.auto_complete && !c.delete_at)
        .map(c => ({ ...c, token: '', creator_id: '' })),
    }
  })
  app.route('GET', '/api/v4/commands/:command_id', ctx => ({ body: cmdOr404(ctx) }))
  app.route('PUT', '/api/v4/commands/:command_id', async ctx => {
    const c = cmdOr404(ctx)
    const b = await ctx.json<Partial<Command>>(COMMAND, 'command')
    // The body is the whole command: its id must be the path's, its team the command's (api4 updateCommand).
    if (!b || typeof b !== 'object' || b.id !== c.id)
      throw new AppError(400, 'api.context.invalid_param.app_error', 'Invalid command parameter.')
    if (b.team_id !== c.team_id)
      throw new AppError(
        400,
        'api.command.team_mismatch.app_error',
        'Unable to update commands across teams.',
      )
    const next = { ...c }
    for (const k of EDITABLE) if (b[k] !== undefined) (next as Record<string, unknown>)[k] = b[k]
    next.trigger = String(next.trigger ?? '').toLowerCase()
    clash(c.team_id, next.trigger, c.id)
    validate(next)
    Object.assign(c, next, { update_at: store.now() })
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
    c.update_at = store.now()
    store.touch('command', c.id)
    return { body: { token: c.token } }
  })

  app.route('POST', '/api/v4/commands/execute', async ctx => {
    requireEnabled(config.EnableCommands, DISABLED)
    const me = ctx.user()
    const b = await ctx.json<{
      channel_id?: string
      command?: string
      team_id?: string
      root_id?: string
      parent_id?: string
    }>()
    if (!isValidId(b?.channel_id)) throw badParam('channel_id')
    if (typeof b.command !== 'string' || !b.command.startsWith('/')) throw badParam('command')
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
      at: store.wallNow(),
      userId: me.id,
      channelId: ch.id,
      rootId,
      commandId: cmd.id,
    })
    const triggerId = newTrigger(app, me.id)
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
    for (const mm of text.matchAll(/\B@([a-z0-9][a-z0-9.\-_]*)/gi)) {
      const u = store.usersByName.get(mm[1]!.toLowerCase().replace(/\.$/, ''))
      if (u && store.isTeamMember(teamId, u.id) && !form.getAll('user_mentions_ids').includes(u.id)) {
        form.append('user_mentions', u.username)
        form.append('user_mentions_ids', u.id)
      }
    }
    for (const mm of text.matchAll(/\B~([a-z0-9][a-z0-9_-]*)/gi)) {
      const c = store.channelByName(teamId, mm[1]!.toLowerCase())
      if (c && c.type === 'O' && !form.getAll('channel_mentions_ids').includes(c.id)) {
        form.append('channel_mentions', c.name)
        form.append('channel_mentions_ids', c.id)
      }
    }
    const headers = { Accept: 'application/json', Authorization: `Token ${cmd.token}` }
    let res: CallResult
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
        res.text,
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
    apply(me, ch.id, rootId, r, cmd)
    return { body: commandResponseBody(r, triggerId) }
  })

  app.route('POST', '/hooks/commands/:hook_id', async ctx => {
    const h = responseUrls.get(ctx.params.hook_id!)
    if (!h || store.wallNow() - h.at > RESPONSE_URL_TTL)
      throw notFound('app.command_webhook.get.missing', 'command webhook')
    const cmd = store.commands.get(h.commandId)
    if (!cmd) throw new AppError(400, 'web.command_webhook.command.app_error', 'Could not find the command.')
    const buf = await ctx.raw()
    const type = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim()
    const r = parseCommandBody({ type, text: buf.toString() })
    if (h.uses >= 5) throw new AppError(400, 'app.command_webhook.try_use.invalid', 'Invalid webhook.')
    h.uses++
    apply(store.users.get(h.userId)!, h.channelId, h.rootId, r, cmd)
    await app.durable() // it writes its own reply: wait for its posts to be on disk (app.ts)
    ctx.res.writeHead(200, { 'Content-Type': 'text/plain' })
    ctx.res.end('ok')
    return undefined
  })
}
