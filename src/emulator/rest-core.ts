/**
 * REST routes: system, users, statuses, teams, channels.
 * @module
 */
import type { Channel, User } from '../types/index.js'
import type { App, Ctx } from './app.js'
import type { StoredUser } from './store.js'
import { AppError, badParam, badUrlParam, forbidden, isValidId, notFound, VERSION } from './util.js'

/** The client view of a user: no password. */
export function publicUser(u: StoredUser): User {
  const { password: _p, ...rest } = u
  return rest
}

function page(ctx: Ctx): { page: number; perPage: number } {
  const p = Number(ctx.query.get('page') ?? 0)
  let perPage = Number(ctx.query.get('per_page') ?? 60)
  if (!Number.isFinite(perPage) || perPage <= 0) perPage = 60
  return {
    page: Number.isFinite(p) && p > 0 ? Math.floor(p) : 0,
    perPage: Math.min(200, Math.floor(perPage)),
  }
}

/** Slice a list by page/per_page. */
export function paginate<T>(ctx: Ctx, items: T[]): T[] {
  const { page: p, perPage } = page(ctx)
  return items.slice(p * perPage, p * perPage + perPage)
}

/** Resolve `me` and validate a user id path parameter. */
export function userParam(ctx: Ctx, name = 'user_id'): string {
  const me = ctx.user()
  const v = ctx.params[name]!
  if (v === 'me') return me.id
  if (!isValidId(v)) throw badUrlParam(name)
  return v
}

export function getUserOr404(app: App, id: string): StoredUser {
  const u = app.store.users.get(id)
  if (!u) throw notFound('app.user.missing_account.const', 'user')
  return u
}

/** The channel, if the caller may read it (members; anyone in the team for open channels). */
export function readableChannel(app: App, ctx: Ctx, id: string): Channel {
  const me = ctx.user()
  if (!isValidId(id)) throw badUrlParam('channel_id')
  const ch = app.store.channels.get(id)
  if (!ch) throw notFound('app.channel.get.existing.app_error', 'existing channel')
  if (app.store.isChannelMember(id, me.id) || me.roles.includes('system_admin')) return ch
  if (ch.type === 'O' && app.store.isTeamMember(ch.team_id, me.id)) return ch
  throw forbidden()
}

export function registerCore(app: App): void {
  const { store, hub } = app
  const OK = { body: { status: 'OK' } }

  app.route('GET', '/api/v4/system/ping', () => ({
    body: {
      status: 'OK',
      ActiveSearchBackend: 'database',
      AndroidLatestVersion: '',
      IosLatestVersion: '',
      version: VERSION,
    },
  }))

  // --- users ---
  app.route('POST', '/api/v4/users/login', async ctx => {
    const body = await ctx.json<Record<string, string>>()
    const loginId = body?.login_id ?? ''
    const u = body?.id
      ? store.users.get(body.id)
      : (store.usersByName.get(loginId.toLowerCase()) ?? store.userByEmail(loginId))
    if (!body?.password)
      throw new AppError(400, 'api.user.login.blank_pwd.app_error', 'Password field must not be blank')
    if (u?.is_bot)
      throw new AppError(401, 'api.user.login.bot_login_forbidden.app_error', 'Bot login is forbidden.')
    if (!u || u.password !== body.password || u.delete_at) {
      throw new AppError(
        401,
        'api.user.login.invalid_credentials_email_username',
        'Enter a valid email or username and/or password.',
      )
    }
    const session = store.createSession(u.id, false)
    return { body: publicUser(u), headers: { Token: session.token } }
  })
  app.route('POST', '/api/v4/users/logout', ctx => {
    if (ctx.session) store.deleteSession(ctx.session.token)
    return OK
  })
  app.route('GET', '/api/v4/users/me', ctx => ({ body: publicUser(ctx.user()) }))
  app.route('GET', '/api/v4/users', ctx => {
    ctx.user()
    let list = [...store.users.values()]
    const inChannel = ctx.query.get('in_channel')
    const inTeam = ctx.query.get('in_team')
    const q = ctx.query
    if (inChannel) list = list.filter(u => store.isChannelMember(inChannel, u.id))
    if (inTeam) list = list.filter(u => store.isTeamMember(inTeam, u.id))
    const notInChannel = q.get('not_in_channel')
    const notInTeam = q.get('not_in_team')
    if (notInChannel) list = list.filter(u => !store.isChannelMember(notInChannel, u.id))
    if (notInTeam) list = list.filter(u => !store.isTeamMember(notInTeam, u.id))
    if (q.get('without_team') === 'true')
      list = list.filter(u => ![...store.teams.keys()].some(t => store.isTeamMember(t, u.id)))
    if (q.get('active') === 'true') list = list.filter(u => !u.delete_at)
    if (q.get('inactive') === 'true') list = list.filter(u => !!u.delete_at)
    const role = q.get('role')
    if (role) list = list.filter(u => u.roles.split(' ').includes(role))
    return { body: paginate(ctx, list).map(publicUser) }
  })
  app.route('POST', '/api/v4/users/ids', async ctx => {
    ctx.user()
    const ids = await ctx.json<unknown>()
    if (!Array.isArray(ids)) throw badParam('user_ids')
    return {
      body: ids
        .map(id => store.users.get(String(id)))
        .filter(Boolean)
        .map(u => publicUser(u!)),
    }
  })
  app.route('POST', '/api/v4/users/usernames', async ctx => {
    ctx.user()
    const names = await ctx.json<unknown>()
    if (!Array.isArray(names)) throw badParam('usernames')
    return {
      body: names
        .map(n => store.usersByName.get(String(n).toLowerCase()))
        .filter(Boolean)
        .map(u => publicUser(u!)),
    }
  })
  app.route('POST', '/api/v4/users/search', async ctx => {
    ctx.user()
    const body = await ctx.json<{ term?: string; limit?: number }>()
    if (!body?.term) throw badParam('term')
    const term = body.term.toLowerCase().replace(/^@/, '')
    const hits = [...store.users.values()].filter(
      u => u.username.includes(term) || u.email.toLowerCase().includes(term),
    )
    return { body: hits.slice(0, body.limit ?? 100).map(publicUser) }
  })
  app.route('POST', '/api/v4/users/status/ids', async ctx => {
    ctx.user()
    const ids = await ctx.json<unknown>()
    if (!Array.isArray(ids)) throw badParam('user_ids')
    return { body: ids.map(id => store.statuses.get(String(id))).filter(Boolean) }
  })
  app.route('GET', '/api/v4/users/username/:username', ctx => {
    ctx.user()
    const u = store.usersByName.get(ctx.params.username!.toLowerCase())
    if (!u) throw notFound('app.user.missing_account.const', 'user')
    return { body: publicUser(u) }
  })
  app.route('GET', '/api/v4/users/email/:email', ctx => {
    ctx.user()
    const u = store.userByEmail(ctx.params.email!)
    if (!u) throw notFound('app.user.missing_account.const', 'user')
    return { body: publicUser(u) }
  })
  app.route('GET', '/api/v4/users/:user_id', ctx => ({ body: publicUser(getUserOr404(app, userParam(ctx))) }))
  app.route('GET', '/api/v4/users/:user_id/status', ctx => {
    const id = userParam(ctx)
    getUserOr404(app, id)
    return { body: store.statuses.get(id) }
  })
  app.route('PUT', '/api/v4/users/:user_id/status', async ctx => {
    const id = userParam(ctx)
    const me = ctx.user()
    if (id !== me.id && !me.roles.includes('system_admin')) throw forbidden()
    const body = await ctx.json<{ status?: string; user_id?: string; dnd_end_time?: number }>()
    if (body?.user_id !== undefined && body.user_id !== id) throw badParam('user_id')
    if (!body || !['online', 'away', 'dnd', 'offline', 'ooo'].includes(body.status ?? ''))
      throw badParam('status')
    const s = store.statuses.get(id)!
    s.status = body.status as typeof s.status
    s.manual = true
    s.last_activity_at = Date.now()
    if (s.status === 'dnd' && typeof body.dnd_end_time === 'number') s.dnd_end_time = body.dnd_end_time
    store.touch('status', id)
    hub.broadcast('status_change', { status: s.status, user_id: id }, { user_id: id })
    return { body: s }
  })
  app.route('POST', '/api/v4/users/:user_id/typing', async ctx => {
    const id = userParam(ctx)
    const me = ctx.user()
    if (id !== me.id) throw forbidden()
    const body = await ctx.json<{ channel_id?: string; parent_id?: string }>()
    if (!isValidId(body?.channel_id)) throw badParam('channel_id')
    if (!store.isChannelMember(body.channel_id, me.id)) throw forbidden()
    hub.broadcast(
      'typing',
      { parent_id: body.parent_id ?? '', user_id: me.id },
      { channel_id: body.channel_id, omit_users: { [me.id]: true } },
    )
    return OK
  })
  app.route('GET', '/api/v4/users/:user_id/teams', ctx => {
    const id = userParam(ctx)
    return { body: [...store.teams.values()].filter(t => store.isTeamMember(t.id, id)) }
  })
  app.route('GET', '/api/v4/users/:user_id/teams/:team_id/channels', ctx => {
    const id = userParam(ctx)
    const teamId = ctx.params.team_id!
    if (!isValidId(teamId)) throw badUrlParam('team_id')
    if (!store.isTeamMember(teamId, id)) throw forbidden()
    const list = [...store.channels.values()].filter(
      c =>
        (c.team_id === teamId || c.team_id === '') &&
        store.isChannelMember(c.id, id) &&
        (!c.delete_at || ctx.query.get('include_deleted') === 'true'),
    )
    return { body: list }
  })
  app.route('GET', '/api/v4/users/:user_id/channels', ctx => {
    const id = userParam(ctx)
    return { body: [...store.channels.values()].filter(c => store.isChannelMember(c.id, id)) }
  })
  app.route('GET', '/api/v4/users/:user_id/preferences', ctx => ({
    body: store.preferences.get(userParam(ctx)) ?? [],
  }))
  app.route('PUT', '/api/v4/users/:user_id/preferences', async ctx => {
    const id = userParam(ctx)
    const prefs = await ctx.json<unknown>()
    if (!Array.isArray(prefs)) throw badParam('preferences')
    const list = store.preferences.get(id) ?? []
    for (const p of prefs as Array<{ category: string; name: string; value: string }>) {
      const i = list.findIndex(x => x.category === p.category && x.name === p.name)
      const entry = {
        user_id: id,
        category: String(p.category),
        name: String(p.name),
        value: String(p.value),
      }
      if (i >= 0) list[i] = entry
      else list.push(entry)
    }
    store.preferences.set(id, list)
    store.touch('prefs', id)
    hub.broadcast('preferences_changed', { preferences: JSON.stringify(prefs) }, { user_id: id })
    return OK
  })

  // --- teams ---
  const teamOr404 = (ctx: Ctx, id: string) => {
    const me = ctx.user()
    if (!isValidId(id)) throw badUrlParam('team_id')
    const t = store.teams.get(id)
    if (!t) throw notFound('app.team.get.find.app_error', 'team')
    if (!store.isTeamMember(id, me.id) && !me.roles.includes('system_admin')) throw forbidden()
    return t
  }
  app.route('GET', '/api/v4/teams', ctx => {
    ctx.user()
    return { body: paginate(ctx, [...store.teams.values()]) }
  })
  app.route('GET', '/api/v4/teams/name/:name', ctx => {
    const t = store.teamByName(ctx.params.name!)
    if (!t) {
      ctx.user()
      throw notFound('app.team.get_by_name.missing.app_error', 'team')
    }
    return { body: teamOr404(ctx, t.id) }
  })
  app.route('GET', '/api/v4/teams/:team_id', ctx => ({ body: teamOr404(ctx, ctx.params.team_id!) }))
  app.route('GET', '/api/v4/teams/:team_id/members', ctx => {
    const t = teamOr404(ctx, ctx.params.team_id!)
    const ids = [...(store.teamMembers.get(t.id) ?? [])]
    return {
      body: paginate(ctx, ids).map(user_id => store.teamMember(t.id, user_id)),
    }
  })
  app.route('POST', '/api/v4/teams/:team_id/members', async ctx => {
    const t = teamOr404(ctx, ctx.params.team_id!)
    const body = await ctx.json<{ user_id?: string }>()
    if (!isValidId(body?.user_id)) throw badParam('user_id')
    getUserOr404(app, body.user_id)
    const member = store.addTeamMember(t.id, body.user_id)
    hub.broadcast('added_to_team', { team_id: t.id, user_id: body.user_id }, { user_id: body.user_id })
    return { status: 201, body: member }
  })

  // --- channels ---
  app.route('POST', '/api/v4/channels', async ctx => {
    const me = ctx.user()
    const b = await ctx.json<Partial<Channel>>()
    if (!b || !isValidId(b.team_id)) throw badParam('team_id')
    if (!b.name || !/^[a-z0-9][a-z0-9_-]{0,63}$/.test(b.name)) {
      throw new AppError(400, 'model.channel.is_valid.name.app_error', 'Invalid channel name.')
    }
    if (!b.display_name)
      throw new AppError(400, 'model.channel.is_valid.display_name.app_error', 'Invalid display name.')
    if (b.type !== 'O' && b.type !== 'P')
      throw new AppError(400, 'model.channel.is_valid.type.app_error', 'Invalid type.')
    if (!store.isTeamMember(b.team_id, me.id)) throw forbidden()
    if (store.channelByName(b.team_id, b.name)) {
      throw new AppError(
        400,
        'store.sql_channel.save_channel.exists.app_error',
        'A channel with that name already exists on the same team.',
      )
    }
    const ch = store.createChannel({
      team_id: b.team_id,
      name: b.name,
      display_name: b.display_name,
      type: b.type,
      creator_id: me.id,
      purpose: b.purpose ?? '',
      header: b.header ?? '',
    })
    store.addChannelMember(ch.id, me.id)
    hub.broadcast('channel_created', { channel_id: ch.id, team_id: ch.team_id }, { user_id: me.id })
    return { status: 201, body: ch }
  })
  app.route('POST', '/api/v4/channels/direct', async ctx => {
    const me = ctx.user()
    const ids = await ctx.json<unknown>()
    if (!Array.isArray(ids) || ids.length !== 2 || !ids.every(isValidId)) throw badParam('user_ids')
    if (!ids.includes(me.id) && !me.roles.includes('system_admin')) throw forbidden()
    for (const id of ids) getUserOr404(app, id)
    const { channel, created } = store.directChannel(String(ids[0]), String(ids[1]))
    if (created)
      hub.broadcast(
        'direct_added',
        { creator_id: me.id, teammate_id: ids.find(i => i !== me.id) ?? me.id },
        { channel_id: channel.id },
      )
    return { status: 201, body: channel }
  })
  app.route('POST', '/api/v4/channels/group', async ctx => {
    const me = ctx.user()
    const ids = await ctx.json<unknown>()
    if (!Array.isArray(ids) || !ids.every(isValidId)) throw badParam('user_ids')
    const all = [...new Set([...ids, me.id])]
    if (all.length < 3 || all.length > 8)
      throw new AppError(
        400,
        'api.channel.create_group.bad_size.app_error',
        'Group message channels must contain at least 3 and no more than 8 users.',
      )
    for (const id of all) getUserOr404(app, id)
    const { channel, created } = store.groupChannel(all, me.id)
    if (created)
      hub.broadcast('group_added', { teammate_ids: JSON.stringify(all) }, { channel_id: channel.id })
    return { status: 201, body: channel }
  })
  app.route('GET', '/api/v4/channels/:channel_id', ctx => ({
    body: readableChannel(app, ctx, ctx.params.channel_id!),
  }))
  const byName = (ctx: Ctx, teamId: string) => {
    const ch = store.channelByName(teamId, ctx.params.channel_name!)
    if (!ch || (ch.delete_at && ctx.query.get('include_deleted') !== 'true')) {
      throw notFound('app.channel.get_by_name.missing.app_error', 'channel')
    }
    return { body: readableChannel(app, ctx, ch.id) }
  }
  app.route('GET', '/api/v4/teams/:team_id/channels/name/:channel_name', ctx =>
    byName(ctx, teamOr404(ctx, ctx.params.team_id!).id),
  )
  app.route('GET', '/api/v4/teams/name/:team_name/channels/name/:channel_name', ctx => {
    ctx.user()
    const t = store.teamByName(ctx.params.team_name!)
    if (!t) throw notFound('app.team.get_by_name.missing.app_error', 'team')
    return byName(ctx, teamOr404(ctx, t.id).id)
  })
  const patchChannel = async (ctx: Ctx) => {
    const ch = readableChannel(app, ctx, ctx.params.channel_id!)
    const me = ctx.user()
    if (!store.isChannelMember(ch.id, me.id) && !me.roles.includes('system_admin')) throw forbidden()
    const b = await ctx.json<Partial<Channel>>()
    for (const k of ['display_name', 'name', 'header', 'purpose'] as const)
      if (typeof b?.[k] === 'string') ch[k] = b[k]!
    ch.update_at = store.now()
    store.touch('channel', ch.id)
    hub.broadcast('channel_updated', { channel: JSON.stringify(ch) }, { channel_id: ch.id })
    return { body: ch }
  }
  app.route('PUT', '/api/v4/channels/:channel_id/patch', patchChannel)
  app.route('PUT', '/api/v4/channels/:channel_id', patchChannel)
  app.route('DELETE', '/api/v4/channels/:channel_id', ctx => {
    const ch = readableChannel(app, ctx, ctx.params.channel_id!)
    if (ch.type === 'D' || ch.type === 'G')
      throw new AppError(
        400,
        'api.channel.delete_channel.type.invalid',
        'Cannot delete direct or group message channels',
      )
    ch.delete_at = store.now()
    ch.update_at = ch.delete_at
    store.touch('channel', ch.id)
    hub.broadcast('channel_deleted', { channel_id: ch.id, delete_at: ch.delete_at }, { team_id: ch.team_id })
    return OK
  })
  app.route('GET', '/api/v4/channels/:channel_id/members', ctx => {
    const ch = readableChannel(app, ctx, ctx.params.channel_id!)
    return { body: paginate(ctx, [...store.channelMembers.get(ch.id)!.values()]) }
  })
  app.route('GET', '/api/v4/channels/:channel_id/members/:user_id', ctx => {
    const ch = readableChannel(app, ctx, ctx.params.channel_id!)
    const m = store.channelMembers.get(ch.id)!.get(userParam(ctx))
    if (!m) throw notFound('app.channel.get_member.missing.app_error', 'channel member')
    return { body: m }
  })
  app.route('POST', '/api/v4/channels/:channel_id/members', async ctx => {
    const ch = readableChannel(app, ctx, ctx.params.channel_id!)
    const me = ctx.user()
    if (ch.type === 'D' || ch.type === 'G')
      throw new AppError(
        400,
        'api.channel.add_user_to_channel.type.app_error',
        'Can not add user to this channel type',
      )
    if (ch.type === 'P' && !store.isChannelMember(ch.id, me.id) && !me.roles.includes('system_admin'))
      throw forbidden()
    const b = await ctx.json<{ user_id?: string; user_ids?: string[] }>()
    const ids = b?.user_ids ?? (b?.user_id ? [b.user_id] : [])
    if (!ids.length || !ids.every(isValidId)) throw badParam('user_id')
    const out = ids.map(id => {
      getUserOr404(app, id)
      if (ch.team_id && !store.isTeamMember(ch.team_id, id)) {
        throw new AppError(403, 'api.channel.add_members.user_denied', 'User is not a member of the team.')
      }
      const had = store.isChannelMember(ch.id, id)
      const m = store.addChannelMember(ch.id, id)
      if (!had) {
        hub.broadcast('user_added', { user_id: id, team_id: ch.team_id }, { channel_id: ch.id })
      }
      return m
    })
    return { status: 201, body: b?.user_ids ? out : out[0] }
  })
  app.route('DELETE', '/api/v4/channels/:channel_id/members/:user_id', ctx => {
    const ch = readableChannel(app, ctx, ctx.params.channel_id!)
    const me = ctx.user()
    const id = userParam(ctx)
    if (!store.isChannelMember(ch.id, id))
      throw notFound('app.channel.get_member.missing.app_error', 'channel member')
    store.removeChannelMember(ch.id, id)
    hub.broadcast('user_removed', { user_id: id, remover_id: me.id }, { channel_id: ch.id })
    hub.broadcast('user_removed', { channel_id: ch.id, remover_id: me.id }, { user_id: id })
    return OK
  })
  app.route('POST', '/api/v4/channels/members/:user_id/view', async ctx => {
    const id = userParam(ctx)
    const b = await ctx.json<{ channel_id?: string }>()
    const m = b?.channel_id ? store.channelMembers.get(b.channel_id)?.get(id) : undefined
    if (m) {
      m.last_viewed_at = Date.now()
      m.msg_count = app.store.channels.get(m.channel_id)?.total_msg_count ?? m.msg_count
      m.mention_count = 0
      store.touch('channelMember', `${m.channel_id}:${id}`)
    }
    if (b?.channel_id) hub.broadcast('channel_viewed', { channel_id: b.channel_id }, { user_id: id })
    return { body: { status: 'OK', last_viewed_at_times: {} } }
  })
}
