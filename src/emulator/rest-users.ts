/**
 * REST routes: login/logout, users, statuses, typing, preferences; and the user helpers other
 * route modules use (the public user view, `user_id` path parameters, `user_updated`).
 * @module
 */
import type { User } from '../types/index.js'
import { type App, type Ctx, OK, paginate } from './app.js'
import { fitsShape, LOGIN, NEW_USER, PREFERENCE, USER_PATCH } from './decode.js'
import { AppError, badParam, badUrlParam, forbidden, notFound } from './errors.js'
import { isValidId, newId } from './ids.js'
import { isSystemAdmin } from './permissions.js'
import type { StoredUser } from './store-types.js'

const PIXEL = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
)

export function registerUsers(app: App): void {
  const { store, hub } = app
  // --- users ---
  app.route('POST', '/api/v4/users/login', async ctx => {
    const body = await ctx.json<Record<string, string> | null>(LOGIN, 'login_id')
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
    const session = store.createSession(u.id, false, undefined, undefined, newId())
    // Cookies only for web clients: the login request must carry X-Requested-With: XMLHttpRequest.
    if (ctx.req.headers['x-requested-with'] === 'XMLHttpRequest') {
      const age = 'Path=/; Max-Age=2592000; SameSite=Lax'
      ctx.res.setHeader('Set-Cookie', [
        `MMAUTHTOKEN=${session.token}; ${age}; HttpOnly`,
        `MMUSERID=${u.id}; ${age}`,
        `MMCSRF=${session.csrf}; ${age}`,
      ])
    }
    return { body: publicUser(u), headers: { Token: session.token } }
  })
  app.route('POST', '/api/v4/users/logout', ctx => {
    if (ctx.session) store.deleteSession(ctx.session.token)
    ctx.res.setHeader('Set-Cookie', [
      'MMAUTHTOKEN=; Path=/; Max-Age=0; HttpOnly',
      'MMUSERID=; Path=/; Max-Age=0',
      'MMCSRF=; Path=/; Max-Age=0',
    ])
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
    // ?since=ms: only users updated after that time.
    const since = Number(ctx.query.get('since') ?? 0) || 0
    return {
      body: ids
        .map(id => store.users.get(String(id)))
        .filter(u => !!u && u.update_at > since)
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
    const b = await ctx.json<{
      term?: unknown
      limit?: unknown
      team_id?: unknown
      not_in_team_id?: unknown
      in_channel_id?: unknown
      not_in_channel_id?: unknown
      allow_inactive?: unknown
      without_team?: unknown
    }>()
    if (!b || typeof b.term !== 'string') throw badParam('term')
    const term = b.term.toLowerCase().replace(/^@/, '')
    const str = (v: unknown): string => (typeof v === 'string' ? v : '')
    const hits = [...store.users.values()].filter(
      u =>
        (u.username.includes(term) ||
          u.email.toLowerCase().includes(term) ||
          `${u.first_name} ${u.last_name} ${u.nickname}`.toLowerCase().includes(term)) &&
        (b.allow_inactive === true || !u.delete_at) &&
        (!str(b.team_id) || store.isTeamMember(str(b.team_id), u.id)) &&
        (!str(b.not_in_team_id) || !store.isTeamMember(str(b.not_in_team_id), u.id)) &&
        (!str(b.in_channel_id) || store.isChannelMember(str(b.in_channel_id), u.id)) &&
        (!str(b.not_in_channel_id) || !store.isChannelMember(str(b.not_in_channel_id), u.id)) &&
        (b.without_team !== true || ![...store.teams.keys()].some(t => store.isTeamMember(t, u.id))),
    )
    const limit = typeof b.limit === 'number' && b.limit > 0 ? Math.min(b.limit, 1000) : 100
    return { body: hits.slice(0, limit).map(publicUser) }
  })
  // api4/user.go autocompleteUsers: prefix matches on username and names; with in_channel the
  // team's other matches come back as out_of_channel.
  app.route('GET', '/api/v4/users/autocomplete', ctx => {
    const me = ctx.user()
    const q = ctx.query
    const name = (q.get('name') ?? '').toLowerCase().replace(/^@/, '')
    const inTeam = q.get('in_team') ?? ''
    const inChannel = q.get('in_channel') ?? ''
    const limit = Math.min(Math.max(Number(q.get('limit') ?? 100) || 100, 1), 1000)
    if (inTeam && !isValidId(inTeam)) throw badUrlParam('in_team')
    if (inChannel && !isValidId(inChannel)) throw badUrlParam('in_channel')
    if (inTeam && !store.isTeamMember(inTeam, me.id) && !isSystemAdmin(me)) throw forbidden()
    if (inChannel && !store.isChannelMember(inChannel, me.id) && !isSystemAdmin(me)) throw forbidden()
    const matches = [...store.users.values()]
      .filter(
        u =>
          !u.delete_at &&
          (!name ||
            [u.username, u.first_name, u.last_name, u.nickname].some(f => f.toLowerCase().startsWith(name))),
      )
      .sort((a, b) => a.username.localeCompare(b.username))
    if (inChannel) {
      const team = store.channels.get(inChannel)?.team_id || inTeam
      const users = matches.filter(u => store.isChannelMember(inChannel, u.id)).slice(0, limit)
      const out = matches
        .filter(u => !store.isChannelMember(inChannel, u.id) && (!team || store.isTeamMember(team, u.id)))
        .slice(0, limit)
      return { body: { users: users.map(publicUser), out_of_channel: out.map(publicUser) } }
    }
    const users = matches.filter(u => !inTeam || store.isTeamMember(inTeam, u.id)).slice(0, limit)
    return { body: { users: users.map(publicUser) } }
  })
  // api4/user.go createUser: without an invite, only an admin (CreateUserAsAdmin) or an open
  // server (EnableOpenServer, default false) makes accounts.
  app.route('POST', '/api/v4/users', async ctx => {
    const me = ctx.user()
    const b = await ctx.json<Record<string, string> | null>(NEW_USER, 'user')
    if (!b) throw badParam('user')
    if (!isSystemAdmin(me))
      throw new AppError(
        403,
        'api.user.create_user.no_open_server',
        'This server does not allow open signups.',
      )
    const username = (b.username ?? '').toLowerCase()
    if (!/^[a-z][a-z0-9.\-_]{2,21}$/.test(username))
      throw new AppError(400, 'model.user.is_valid.username.app_error', 'Invalid username.')
    if (!/^[^@\s]+@[^@\s]+$/.test(b.email ?? ''))
      throw new AppError(400, 'model.user.is_valid.email.app_error', 'Invalid email.')
    if ((b.password ?? '').length < 8)
      throw new AppError(
        400,
        'model.user.is_valid.pwd.app_error',
        'Your password must contain at least 8 characters.',
      )
    if (store.usersByName.has(username))
      throw new AppError(
        400,
        'app.user.save.username_exists.app_error',
        'An account with that username already exists.',
      )
    if ([...store.users.values()].some(u => u.email === b.email?.toLowerCase()))
      throw new AppError(
        400,
        'app.user.save.email_exists.app_error',
        'An account with that email already exists.',
      )
    const u = store.createUser({
      username,
      email: b.email!,
      password: b.password!,
      ...(b.first_name ? { first_name: b.first_name } : {}),
      ...(b.last_name ? { last_name: b.last_name } : {}),
      ...(b.nickname ? { nickname: b.nickname } : {}),
    })
    hub.broadcast('new_user', { user_id: u.id }, {})
    return { status: 201, body: publicUser(u) }
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
  // Before /users/:user_id: every personal access token (system admins; never the secret).
  app.route('GET', '/api/v4/users/tokens', ctx => {
    if (!isSystemAdmin(ctx.user())) throw forbidden()
    return {
      body: paginate(
        ctx,
        [...store.tokens.values()].map(({ token: _t, ...rest }) => rest),
      ),
    }
  })
  app.route('GET', '/api/v4/users/:user_id', ctx => ({ body: publicUser(getUserOr404(app, userParam(ctx))) }))
  // api4/user.go patchUser: decode, then edit_other_users (403) unless it is yourself, then the
  // system-admin guard; app/user.go PatchUser applies the non-nil fields and IsValid checks them.
  app.route('PUT', '/api/v4/users/:user_id/patch', async ctx => {
    const id = userParam(ctx)
    const patch = await ctx.json<Record<string, unknown> | null>(USER_PATCH, 'user')
    const me = ctx.user()
    if (id !== me.id && !isSystemAdmin(me)) throw forbidden()
    const u = getUserOr404(app, id)
    if (isSystemAdmin(u) && !isSystemAdmin(me)) throw forbidden()
    const next = { ...u }
    for (const [k, v] of Object.entries(patch ?? {}))
      if (v !== null && k in USER_PATCH && k !== 'password') (next as Record<string, unknown>)[k] = v
    if (next.username !== u.username) {
      if (!/^[a-z][a-z0-9.\-_]{2,21}$/.test(next.username))
        throw new AppError(400, 'model.user.is_valid.username.app_error', 'Invalid username.')
      if ([...store.users.values()].some(o => o.username === next.username))
        throw new AppError(
          400,
          'app.user.save.username_exists.app_error',
          'An account with that username already exists.',
        )
    }
    if (next.email !== u.email) {
      if (!/^[^@\s]+@[^@\s]+$/.test(next.email) || next.email.length > 128)
        throw new AppError(400, 'model.user.is_valid.email.app_error', 'Invalid email.')
      if ([...store.users.values()].some(o => o.email === next.email))
        throw new AppError(
          400,
          'app.user.save.email_exists.app_error',
          'An account with that email already exists.',
        )
    }
    next.update_at = store.now()
    const oldUsername = u.username
    Object.assign(u, next)
    store.putUser(u, oldUsername)
    sendUserUpdated(app, u)
    return { body: publicUser(u) }
  })
  app.route('GET', '/api/v4/users/:user_id/status', ctx => {
    const id = userParam(ctx)
    getUserOr404(app, id)
    return { body: store.statuses.get(id) }
  })
  app.route('PUT', '/api/v4/users/:user_id/status', async ctx => {
    const id = userParam(ctx)
    const me = ctx.user()
    if (id !== me.id && !isSystemAdmin(me)) throw forbidden()
    const body = await ctx.json<{ status?: string; user_id?: string; dnd_end_time?: number }>()
    if (body?.user_id !== undefined && body.user_id !== id) throw badParam('user_id')
    if (!body || !['online', 'away', 'dnd', 'offline', 'ooo'].includes(body.status ?? ''))
      throw badParam('status')
    const s = store.statuses.get(id)!
    s.status = body.status as typeof s.status
    s.manual = true
    s.last_activity_at = store.wallNow()
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
  app.route('GET', '/api/v4/users/:user_id/teams/members', ctx => {
    const id = userParam(ctx)
    const me = ctx.user()
    if (id !== me.id && !isSystemAdmin(me)) throw forbidden()
    return {
      body: [...store.teams.values()]
        .filter(t => store.isTeamMember(t.id, id))
        .map(t => store.teamMember(t.id, id)),
    }
  })
  app.route('GET', '/api/v4/users/:user_id/teams/:team_id/channels/members', ctx => {
    const id = userParam(ctx)
    const me = ctx.user()
    if (id !== me.id && !isSystemAdmin(me)) throw forbidden()
    const teamId = ctx.params.team_id!
    if (!isValidId(teamId)) throw badUrlParam('team_id')
    const out = [...store.channels.values()]
      .filter(c => (c.team_id === teamId || c.team_id === '') && store.isChannelMember(c.id, id))
      .map(c => store.channelMembers.get(c.id)!.get(id)!)
    return { body: out }
  })
  // Profile images: a generated 1×1 PNG for everyone (uploads are not emulated).
  app.route('GET', '/api/v4/users/:user_id/image', ctx => {
    getUserOr404(app, userParam(ctx))
    ctx.res.writeHead(200, {
      'Content-Type': 'image/png',
      'Content-Length': PIXEL.length,
      'X-Request-ID': ctx.requestId,
    })
    ctx.res.end(PIXEL)
    return undefined
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
    const me = ctx.user()
    if (id !== me.id && !isSystemAdmin(me)) throw forbidden()
    const withDeleted = ctx.query.get('include_deleted') === 'true'
    return {
      body: [...store.channels.values()].filter(
        c => store.isChannelMember(c.id, id) && (withDeleted || !c.delete_at),
      ),
    }
  })
  // api4/preference.go: another user's preferences need edit_other_users (system admins here),
  // and every preference must carry the path's user_id (app.UpdatePreferences, 403).
  app.route('GET', '/api/v4/users/:user_id/preferences', ctx => ({
    body: store.preferences.get(ownOrAdmin(ctx)) ?? [],
  }))
  app.route('PUT', '/api/v4/users/:user_id/preferences', async ctx => {
    const id = ownOrAdmin(ctx)
    const prefs = await ctx.json<unknown>()
    if (!Array.isArray(prefs) || !prefs.every(p => fitsShape(p, PREFERENCE))) throw badParam('preferences')
    if (prefs.some(p => (p as { user_id?: unknown } | null)?.user_id !== id))
      throw new AppError(
        403,
        'api.preference.update_preferences.set.app_error',
        'Unable to set user preferences.',
      )
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
}

/** The client view of a user: no password. */
export function publicUser(u: StoredUser): User {
  const { password: _p, ...rest } = u
  return rest
}

/**
 * `sendUpdatedUserEvent` (app/user.go): `user_updated` to everyone but the user, with the profile
 * sanitized (`SanitizeProfile`: no notify props, no password-update time; email and names stay
 * under the default privacy settings, so the admins' copy is the same object), and the unsanitized
 * user to the user's own connections. `data.user` is an object, not a JSON string.
 */
export function sendUserUpdated(app: App, u: StoredUser): void {
  const full = publicUser(u)
  const { notify_props: _n, last_password_update: _l, ...sanitized } = full
  app.hub.broadcast('user_updated', { user: sanitized }, { omit_users: { [u.id]: true } })
  app.hub.broadcast('user_updated', { user: full }, { user_id: u.id })
}

/** Resolve `me` and validate a user id path parameter. */
export function userParam(ctx: Ctx, name = 'user_id'): string {
  const me = ctx.user()
  const v = ctx.params[name]!
  if (v === 'me') return me.id
  if (!isValidId(v)) throw badUrlParam(name)
  return v
}

/**
 * The path's user id if the caller may act for that user (`SessionHasPermissionToUser`: themself,
 * or edit_other_users, which only system admins hold here); else 403 api.context.permissions.app_error.
 */
export function ownOrAdmin(ctx: Ctx, name = 'user_id'): string {
  const id = userParam(ctx, name)
  const me = ctx.user()
  if (id !== me.id && !isSystemAdmin(me)) throw forbidden()
  return id
}

export function getUserOr404(app: App, id: string): StoredUser {
  const u = app.store.users.get(id)
  if (!u) throw notFound('app.user.missing_account.const', 'user')
  return u
}
