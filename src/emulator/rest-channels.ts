/**
 * REST routes: teams and channels (incl. members, DMs/GMs, views).
 * @module
 */
import type { Channel } from '../types/index.js'
import { type App, type Ctx, OK, paginate } from './app.js'
import { CHANNEL, CHANNEL_SEARCH, SCHEME_ROLES } from './decode.js'
import { AppError, badParam, badUrlParam, forbidden, notFound } from './errors.js'
import { isValidId } from './ids.js'
import { isSystemAdmin } from './permissions.js'
import { systemPost } from './posts.js'
import { getUserOr404, ownOrAdmin, userParam } from './rest-users.js'

export function registerChannels(app: App): void {
  const { store, hub } = app
  // --- teams ---
  const teamOr404 = (ctx: Ctx, id: string) => {
    const me = ctx.user()
    if (!isValidId(id)) throw badUrlParam('team_id')
    const t = store.teams.get(id)
    if (!t) throw notFound('app.team.get.find.app_error', 'team')
    if (!store.isTeamMember(id, me.id) && !isSystemAdmin(me)) throw forbidden()
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

  app.route('DELETE', '/api/v4/teams/:team_id/members/:user_id', ctx => {
    const t = teamOr404(ctx, ctx.params.team_id!)
    const me = ctx.user()
    const id = userParam(ctx)
    // remove_user_from_team: yourself, or a system admin.
    if (id !== me.id && !isSystemAdmin(me)) throw forbidden()
    if (!store.isTeamMember(t.id, id)) throw notFound('app.team.get_member.missing.app_error', 'team member')
    const u = getUserOr404(app, id)
    for (const ch of store.channels.values()) {
      if (ch.team_id !== t.id || !store.isChannelMember(ch.id, id)) continue
      if (!ch.delete_at)
        systemPost(app, u, ch.id, 'system_leave_channel', `@${u.username} left the channel.`, {
          username: u.username,
        })
      store.removeChannelMember(ch.id, id)
      hub.broadcast('user_removed', { user_id: id, remover_id: me.id }, { channel_id: ch.id })
      hub.broadcast('user_removed', { channel_id: ch.id, remover_id: me.id }, { user_id: id })
    }
    // Sent while the user is still in the team, so their own clients hear it too.
    hub.broadcast('leave_team', { user_id: id, team_id: t.id }, { team_id: t.id })
    store.removeTeamMember(t.id, id)
    return OK
  })

  // --- channels ---
  app.route('POST', '/api/v4/channels', async ctx => {
    const me = ctx.user()
    const b = await ctx.json<Partial<Channel>>(CHANNEL, 'channel')
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
    if (!ids.includes(me.id) && !isSystemAdmin(me)) throw forbidden()
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
    if (!store.isChannelMember(ch.id, me.id) && !isSystemAdmin(me)) throw forbidden()
    const b = await ctx.json<Partial<Channel> | null>(CHANNEL, 'channel')
    const before = { ...ch }
    for (const k of ['display_name', 'name', 'header', 'purpose'] as const)
      if (typeof b?.[k] === 'string') ch[k] = b[k]!
    ch.update_at = store.now()
    store.touch('channel', ch.id)
    hub.broadcast('channel_updated', { channel: JSON.stringify(ch) }, { channel_id: ch.id })
    // The server records each visible change as a system message in the channel.
    const who = `@${me.username}`
    if (ch.header !== before.header)
      systemPost(
        app,
        me,
        ch.id,
        'system_header_change',
        `${who} updated the channel header to: ${ch.header}`,
        {
          username: me.username,
          old_header: before.header,
          new_header: ch.header,
        },
      )
    if (ch.purpose !== before.purpose)
      systemPost(
        app,
        me,
        ch.id,
        'system_purpose_change',
        `${who} updated the channel purpose to: ${ch.purpose}`,
        {
          username: me.username,
          old_purpose: before.purpose,
          new_purpose: ch.purpose,
        },
      )
    if (ch.display_name !== before.display_name)
      systemPost(
        app,
        me,
        ch.id,
        'system_displayname_change',
        `${who} updated the channel display name from: ${before.display_name} to: ${ch.display_name}`,
        { username: me.username, old_displayname: before.display_name, new_displayname: ch.display_name },
      )
    return { body: ch }
  }
  app.route('PUT', '/api/v4/channels/:channel_id/patch', patchChannel)
  app.route('PUT', '/api/v4/channels/:channel_id', patchChannel)
  // api4 deleteChannel: DM/GM 400, then delete_{public,private}_channel (channel_user has both by
  // default, team_user neither: members and system admins), then app.DeleteChannel's checks.
  app.route('DELETE', '/api/v4/channels/:channel_id', ctx => {
    const ch = readableChannel(app, ctx, ctx.params.channel_id!)
    if (ch.type === 'D' || ch.type === 'G')
      throw new AppError(
        400,
        'api.channel.delete_channel.type.invalid',
        'Cannot delete direct or group message channels',
      )
    const me = ctx.user()
    if (!store.isChannelMember(ch.id, me.id) && !isSystemAdmin(me)) throw forbidden()
    if (ch.delete_at)
      throw new AppError(
        400,
        'api.channel.delete_channel.deleted.app_error',
        'The channel has been archived or deleted.',
      )
    if (ch.name === 'town-square')
      throw new AppError(
        400,
        'api.channel.delete_channel.cannot.app_error',
        'Unable to delete the default channel town-square.',
      )
    systemPost(app, me, ch.id, 'system_channel_deleted', `@${me.username} archived the channel`, {
      username: me.username,
      deleteBy: me.username,
    })
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
    if (ch.type === 'P' && !store.isChannelMember(ch.id, me.id) && !isSystemAdmin(me)) throw forbidden()
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
        const u = store.users.get(id)!
        if (id === me.id)
          systemPost(app, me, ch.id, 'system_join_channel', `@${me.username} joined the channel.`, {
            username: me.username,
          })
        else
          systemPost(
            app,
            me,
            ch.id,
            'system_add_to_channel',
            `@${u.username} added to the channel by @${me.username}.`,
            {
              userId: me.id,
              username: me.username,
              addedUserId: u.id,
              addedUsername: u.username,
            },
          )
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
    const u = store.users.get(id)!
    // app/channel.go removeUserFromChannel: nobody but a guest leaves or is removed from the
    // default channel; LeaveChannel goes through the same check, so both answer this 400.
    if (ch.name === 'town-square' && !u.roles.split(' ').includes('system_guest'))
      throw new AppError(
        400,
        'api.channel.remove.default.app_error',
        'Unable to remove user from the default channel town-square.',
      )
    if (ch.type === 'O' || ch.type === 'P') {
      if (id === me.id)
        systemPost(app, me, ch.id, 'system_leave_channel', `@${me.username} left the channel.`, {
          username: me.username,
        })
      else
        systemPost(
          app,
          me,
          ch.id,
          'system_remove_from_channel',
          `@${u.username} was removed from the channel.`,
          {
            removedUserId: u.id,
            removedUsername: u.username,
          },
        )
    }
    store.removeChannelMember(ch.id, id)
    hub.broadcast('user_removed', { user_id: id, remover_id: me.id }, { channel_id: ch.id })
    hub.broadcast('user_removed', { channel_id: ch.id, remover_id: me.id }, { user_id: id })
    return OK
  })
  // api4 viewChannel: another user's view needs edit_other_users; ids must be valid or empty.
  app.route('POST', '/api/v4/channels/members/:user_id/view', async ctx => {
    const id = ownOrAdmin(ctx)
    const b = await ctx.json<{ channel_id?: unknown; prev_channel_id?: unknown }>()
    if (!b || typeof b !== 'object') throw badParam('channel_view')
    for (const k of ['channel_id', 'prev_channel_id'] as const)
      if (b[k] !== undefined && b[k] !== '' && !isValidId(b[k])) throw badParam(`channel_view.${k}`)
    const m = isValidId(b.channel_id) ? store.channelMembers.get(b.channel_id)?.get(id) : undefined
    if (m) {
      m.last_viewed_at = store.wallNow()
      m.msg_count = app.store.channels.get(m.channel_id)?.total_msg_count ?? m.msg_count
      m.mention_count = 0
      store.touch('channelMember', `${m.channel_id}:${id}`)
    }
    if (isValidId(b.channel_id))
      hub.broadcast('channel_viewed', { channel_id: b.channel_id }, { user_id: id })
    return { body: { status: 'OK', last_viewed_at_times: {} } }
  })

  app.route('POST', '/api/v4/channels/:channel_id/restore', ctx => {
    const ch = readableChannel(app, ctx, ctx.params.channel_id!)
    if (!ch.delete_at)
      throw new AppError(
        400,
        'api.channel.restore_channel.restored.app_error',
        'Unable to unarchive channel. The channel is not archived.',
      )
    ch.delete_at = 0
    ch.update_at = store.now()
    store.touch('channel', ch.id)
    hub.broadcast('channel_restored', { channel_id: ch.id }, { team_id: ch.team_id })
    const me = ctx.user()
    systemPost(app, me, ch.id, 'system_channel_restored', `@${me.username} unarchived the channel`, {
      username: me.username,
    })
    return { body: ch }
  })
  app.route('GET', '/api/v4/teams/:team_id/members/:user_id', ctx => {
    const t = teamOr404(ctx, ctx.params.team_id!)
    const id = userParam(ctx)
    if (!store.isTeamMember(t.id, id)) throw notFound('app.team.get_member.missing.app_error', 'team member')
    return { body: store.teamMember(t.id, id) }
  })
  // api4/team.go updateTeamMemberSchemeRoles: manage_team_roles (team and system admins).
  app.route('PUT', '/api/v4/teams/:team_id/members/:user_id/schemeRoles', async ctx => {
    const t = teamOr404(ctx, ctx.params.team_id!)
    const id = userParam(ctx)
    const b = await ctx.json<{ scheme_admin?: boolean } | null>(SCHEME_ROLES, 'scheme_roles')
    const me = ctx.user()
    if (!store.isTeamAdmin(t.id, me.id)) throw forbidden()
    if (!store.isTeamMember(t.id, id)) throw notFound('app.team.get_member.missing.app_error', 'team member')
    store.setTeamAdmin(t.id, id, b?.scheme_admin === true)
    hub.broadcast(
      'memberrole_updated',
      { member: JSON.stringify(store.teamMember(t.id, id)) },
      { user_id: id },
    )
    return OK
  })
  // Public channels of a team (private ones need the team-admin listing, not emulated).
  app.route('GET', '/api/v4/teams/:team_id/channels', ctx => {
    const t = teamOr404(ctx, ctx.params.team_id!)
    const list = [...store.channels.values()].filter(
      c => c.team_id === t.id && c.type === 'O' && !c.delete_at,
    )
    return { body: paginate(ctx, list) }
  })
  // api4/channel.go searchChannelsForTeam: the team's open channels whose name or display name
  // contains the term (list_team_channels, which members hold), up to 50.
  app.route('POST', '/api/v4/teams/:team_id/channels/search', async ctx => {
    const t = teamOr404(ctx, ctx.params.team_id!)
    const b = await ctx.json<{ term?: string } | null>(CHANNEL_SEARCH, 'channel_search')
    if (!b || typeof b.term !== 'string') throw badParam('channel_search')
    const term = b.term.toLowerCase().replace(/^~/, '')
    const list = [...store.channels.values()].filter(
      c =>
        c.team_id === t.id &&
        c.type === 'O' &&
        !c.delete_at &&
        (c.name.includes(term) || c.display_name.toLowerCase().includes(term)),
    )
    return { body: list.slice(0, 50) }
  })
}

/** The channel, if the caller may read it (members; anyone in the team for open channels). */
export function readableChannel(app: App, ctx: Ctx, id: string): Channel {
  const me = ctx.user()
  if (!isValidId(id)) throw badUrlParam('channel_id')
  const ch = app.store.channels.get(id)
  if (!ch) throw notFound('app.channel.get.existing.app_error', 'existing channel')
  if (app.store.isChannelMember(id, me.id) || isSystemAdmin(me)) return ch
  if (ch.type === 'O' && app.store.isTeamMember(ch.team_id, me.id)) return ch
  throw forbidden()
}
