/**
 * The emulator's state. Plain maps in memory; every mutation goes through these methods or is
 * followed by `touch(kind, key)` so the optional persistence layer (persist.ts) can write the
 * changed rows. The REST layer and the integrations share this one source of truth.
 * @module
 */
import { createHash } from 'node:crypto'
import type {
  BotAccount,
  Channel,
  ChannelMember,
  Command,
  FileInfo,
  IncomingWebhook,
  OutgoingWebhook,
  Post,
  Preference,
  Reaction,
  Team,
  TeamMember,
  UserStatus,
} from '../types/index.js'
import { newId } from './ids.js'
import { isSystemAdmin } from './permissions.js'
import type { Kind, Session, StoredToken, StoredUser, TouchListener } from './store-types.js'

export class Store {
  users = new Map<string, StoredUser>()
  usersByName = new Map<string, StoredUser>()
  sessions = new Map<string, Session>()
  tokens = new Map<string, StoredToken>()
  bots = new Map<string, BotAccount>()
  teams = new Map<string, Team>()
  teamMembers = new Map<string, Set<string>>() // team → users
  /** `team:user` keys of members with the team_admin role (system admins have it implicitly). */
  teamAdmins = new Set<string>()
  channels = new Map<string, Channel>()
  channelMembers = new Map<string, Map<string, ChannelMember>>() // channel → user → member
  posts = new Map<string, Post>()
  postsByChannel = new Map<string, Post[]>() // ordered by create_at (ties: creation order)
  reactions = new Map<string, Reaction[]>() // post → reactions
  /** `root:user` → that user's membership of the thread (threads.ts). */
  threadMembers = new Map<string, import('./threads.js').ThreadMember>()
  /** post → its earlier versions, newest last (the rows sqlstore's Post().Update inserts). */
  edits = new Map<string, Post[]>()
  files = new Map<string, { info: FileInfo; data: Buffer }>()
  statuses = new Map<string, UserStatus>()
  commands = new Map<string, Command>()
  incomingHooks = new Map<string, IncomingWebhook>()
  outgoingHooks = new Map<string, OutgoingWebhook>()
  preferences = new Map<string, Preference[]>()
  meta = new Map<string, unknown>()
  /** Set by the persistence layer; called for every changed row. */
  onTouch: TouchListener | undefined
  private lastTs = 0

  /** Record that a row changed (or was deleted) so persistence writes it. Cheap when not persisting. */
  touch(kind: Kind, key: string): void {
    if (kind === 'session' || kind === 'token' || kind === 'user') this.authEpoch++
    this.onTouch?.(kind, key)
  }

  /** How far `faults.advanceClock` moved the emulator's clock ahead of the machine's (ms). */
  clockOffset = 0

  /** The emulator's wall clock: the machine's, moved by `faults.advanceClock`. */
  wallNow(): number {
    return Date.now() + this.clockOffset
  }

  /** Bumped on every change to sessions, tokens or users: live sockets re-check their session then. */
  authEpoch = 0

  /**
   * The server clock in ms, never going backwards. Like the real server (`model.GetMillis()`),
   * two posts created in the same millisecond share their `create_at`: clients must not assume
   * timestamps are unique (a `since` or `after` query compares them strictly).
   */
  now(): number {
    const t = this.wallNow()
    if (t > this.lastTs) this.lastTs = t
    return this.lastTs
  }

  userByEmail(email: string): StoredUser | undefined {
    const e = email.toLowerCase()
    for (const u of this.users.values()) if (u.email.toLowerCase() === e) return u
    return undefined
  }

  createUser(input: {
    username: string
    email?: string
    password?: string
    is_bot?: boolean
    roles?: string
    first_name?: string
    last_name?: string
    nickname?: string
  }): StoredUser {
    const t = this.now()
    const user: StoredUser = {
      id: newId(),
      create_at: t,
      update_at: t,
      delete_at: 0,
      username: input.username.toLowerCase(),
      auth_service: '',
      email: (input.email ?? `${input.username}@example.com`).toLowerCase(),
      nickname: input.nickname ?? '',
      first_name: input.first_name ?? '',
      last_name: input.last_name ?? '',
      position: '',
      roles: input.roles ?? 'system_user',
      props: {},
      notify_props: {},
      last_password_update: t,
      last_picture_update: 0,
      locale: 'en',
      timezone: { automaticTimezone: '', manualTimezone: '', useAutomaticTimezone: 'true' },
      mfa_active: false,
      is_bot: input.is_bot ?? false,
      ...(input.password ? { password: input.password } : {}),
    }
    this.putUser(user)
    this.statuses.set(user.id, { user_id: user.id, status: 'offline', manual: false, last_activity_at: t })
    this.touch('status', user.id)
    return user
  }

  /** Insert or re-index a user (also after a username change). */
  putUser(user: StoredUser, oldUsername?: string): void {
    if (oldUsername && oldUsername !== user.username) this.usersByName.delete(oldUsername)
    this.users.set(user.id, user)
    this.usersByName.set(user.username, user)
    this.touch('user', user.id)
  }

  createSession(
    userId: string,
    isIntegration: boolean,
    token = newId(),
    tokenId?: string,
    csrf?: string,
  ): Session {
    const s: Session = {
      token,
      userId,
      isIntegration,
      ...(tokenId ? { tokenId } : {}),
      ...(csrf ? { csrf } : {}),
    }
    this.sessions.set(token, s)
    this.touch('session', token)
    return s
  }

  deleteSession(token: string): void {
    if (this.sessions.delete(token)) this.touch('session', token)
  }

  createTeam(name: string, displayName: string): Team {
    const t = this.now()
    const team: Team = {
      id: newId(),
      create_at: t,
      update_at: t,
      delete_at: 0,
      display_name: displayName,
      name,
      description: '',
      email: '',
      type: 'O',
      company_name: '',
      allowed_domains: '',
      invite_id: newId(),
      allow_open_invite: true,
      scheme_id: null,
      group_constrained: null,
    }
    this.teams.set(team.id, team)
    this.teamMembers.set(team.id, new Set())
    this.touch('team', team.id)
    return team
  }

  addTeamMember(teamId: string, userId: string): TeamMember {
    const set = this.teamMembers.get(teamId)!
    if (!set.has(userId)) {
      set.add(userId)
      this.touch('teamMember', `${teamId}:${userId}`)
    }
    return this.teamMember(teamId, userId)
  }

  removeTeamMember(teamId: string, userId: string): void {
    this.teamAdmins.delete(`${teamId}:${userId}`)
    if (this.teamMembers.get(teamId)?.delete(userId)) this.touch('teamMember', `${teamId}:${userId}`)
  }

  /** Give or take a member's team_admin role (`PUT /teams/{id}/members/{id}/schemeRoles`). */
  setTeamAdmin(teamId: string, userId: string, admin: boolean): void {
    const key = `${teamId}:${userId}`
    if (admin) this.teamAdmins.add(key)
    else this.teamAdmins.delete(key)
    this.touch('teamMember', key)
  }

  /** Whether the user holds team_admin in the team, by role or as a system admin. */
  isTeamAdmin(teamId: string, userId: string): boolean {
    return this.teamAdmins.has(`${teamId}:${userId}`) || isSystemAdmin(this.users.get(userId))
  }

  teamMember(teamId: string, userId: string): TeamMember {
    const admin = this.isTeamAdmin(teamId, userId)
    return {
      team_id: teamId,
      user_id: userId,
      roles: admin ? 'team_user team_admin' : 'team_user',
      delete_at: 0,
      scheme_user: true,
      scheme_admin: admin,
      scheme_guest: false,
      explicit_roles: '',
    }
  }

  createChannel(input: {
    team_id: string
    name: string
    display_name: string
    type: Channel['type']
    creator_id: string
    purpose?: string
    header?: string
  }): Channel {
    const t = this.now()
    const ch: Channel = {
      id: newId(),
      create_at: t,
      update_at: t,
      delete_at: 0,
      team_id: input.team_id,
      type: input.type,
      display_name: input.display_name,
      name: input.name,
      header: input.header ?? '',
      purpose: input.purpose ?? '',
      last_post_at: 0,
      last_root_post_at: 0,
      creator_id: input.creator_id,
      scheme_id: null,
      group_constrained: null,
      total_msg_count: 0,
      total_msg_count_root: 0,
    }
    this.putChannel(ch)
    return ch
  }

  /** Insert a channel (or re-index one loaded from disk). */
  putChannel(ch: Channel): void {
    this.channels.set(ch.id, ch)
    if (!this.channelMembers.has(ch.id)) this.channelMembers.set(ch.id, new Map())
    if (!this.postsByChannel.has(ch.id)) this.postsByChannel.set(ch.id, [])
    this.touch('channel', ch.id)
  }

  addChannelMember(channelId: string, userId: string): ChannelMember {
    const members = this.channelMembers.get(channelId)!
    const existing = members.get(userId)
    if (existing) return existing
    const t = this.now()
    const m: ChannelMember = {
      channel_id: channelId,
      user_id: userId,
      roles: 'channel_user',
      last_viewed_at: 0,
      msg_count: 0,
      mention_count: 0,
      notify_props: {
        desktop: 'default',
        email: 'default',
        mark_unread: 'all',
        push: 'default',
        ignore_channel_mentions: 'default',
      },
      last_update_at: t,
      scheme_user: true,
      scheme_admin: false,
    }
    members.set(userId, m)
    this.touch('channelMember', `${channelId}:${userId}`)
    return m
  }

  removeChannelMember(channelId: string, userId: string): boolean {
    const ok = this.channelMembers.get(channelId)?.delete(userId) ?? false
    if (ok) this.touch('channelMember', `${channelId}:${userId}`)
    return ok
  }

  isChannelMember(channelId: string, userId: string): boolean {
    return this.channelMembers.get(channelId)?.has(userId) ?? false
  }

  isTeamMember(teamId: string, userId: string): boolean {
    return this.teamMembers.get(teamId)?.has(userId) ?? false
  }

  channelByName(teamId: string, name: string): Channel | undefined {
    for (const c of this.channels.values()) if (c.team_id === teamId && c.name === name) return c
    return undefined
  }

  teamByName(name: string): Team | undefined {
    for (const t of this.teams.values()) if (t.name === name) return t
    return undefined
  }

  /** Find or create the DM between two users (name = sorted ids joined by `__`). */
  directChannel(a: string, b: string): { channel: Channel; created: boolean } {
    const [x, y] = [a, b].sort() as [string, string]
    const name = `${x}__${y}`
    for (const c of this.channels.values())
      if (c.type === 'D' && c.name === name) return { channel: c, created: false }
    const channel = this.createChannel({ team_id: '', name, display_name: '', type: 'D', creator_id: a })
    this.addChannelMember(channel.id, x)
    this.addChannelMember(channel.id, y)
    return { channel, created: true }
  }

  /** Find or create a group channel (name = sha1 of sorted ids). */
  groupChannel(ids: string[], creator: string): { channel: Channel; created: boolean } {
    const sorted = [...new Set(ids)].sort()
    const name = createHash('sha1').update(sorted.join('')).digest('hex')
    for (const c of this.channels.values())
      if (c.type === 'G' && c.name === name) return { channel: c, created: false }
    // usernames in sorted order, cut at the 64-character channel-name limit (as the server does)
    const names = sorted
      .map(id => this.users.get(id)?.username ?? id)
      .sort()
      .join(', ')
      .slice(0, 64)
    const channel = this.createChannel({
      team_id: '',
      name,
      display_name: names,
      type: 'G',
      creator_id: creator,
    })
    for (const id of sorted) this.addChannelMember(channel.id, id)
    return { channel, created: true }
  }

  insertPost(post: Post): void {
    this.posts.set(post.id, post)
    const list = this.postsByChannel.get(post.channel_id)
    if (list) insertByCreateAt(list, post)
    this.touch('post', post.id)
    const ch = this.channels.get(post.channel_id)
    if (ch) {
      // GREATEST(...), as the real store: an imported post with an old create_at does not move it back
      ch.last_post_at = Math.max(ch.last_post_at, post.create_at)
      if (!post.root_id) ch.last_root_post_at = Math.max(ch.last_root_post_at ?? 0, post.create_at)
      ch.total_msg_count = (ch.total_msg_count ?? 0) + 1
      if (!post.root_id) ch.total_msg_count_root = (ch.total_msg_count_root ?? 0) + 1
      this.touch('channel', ch.id)
    }
    if (post.root_id) {
      const root = this.posts.get(post.root_id)
      if (root) {
        root.reply_count += 1
        root.last_reply_at = post.create_at
        this.touch('post', root.id)
      }
    }
  }
}

/** Insert `post` after every post with a `create_at` ≤ its own (appending in the usual case). */
function insertByCreateAt(list: Post[], post: Post): void {
  let i = list.length
  while (i > 0 && list[i - 1]!.create_at > post.create_at) i--
  if (i === list.length) list.push(post)
  else list.splice(i, 0, post)
}
