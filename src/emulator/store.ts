/**
 * The emulator's in-memory state. Plain maps; every mutation goes through these methods so the
 * REST layer and the integrations share one source of truth.
 * @module
 */
import { createHash } from 'node:crypto'
import type {
  Channel,
  ChannelMember,
  Command,
  FileInfo,
  IncomingWebhook,
  OutgoingWebhook,
  Post,
  Reaction,
  Team,
  User,
  UserStatus,
} from '../types/index.js'
import { newId } from './util.js'

/** A stored user with the secrets the server keeps to itself. */
export interface StoredUser extends User {
  password?: string
}

export interface Session {
  token: string
  userId: string
  isIntegration: boolean
}

export class Store {
  users = new Map<string, StoredUser>()
  usersByName = new Map<string, StoredUser>()
  sessions = new Map<string, Session>()
  teams = new Map<string, Team>()
  teamMembers = new Map<string, Set<string>>() // team → users
  channels = new Map<string, Channel>()
  channelMembers = new Map<string, Map<string, ChannelMember>>() // channel → user → member
  posts = new Map<string, Post>()
  postsByChannel = new Map<string, Post[]>() // in creation order
  reactions = new Map<string, Reaction[]>() // post → reactions
  files = new Map<string, { info: FileInfo; data: Buffer }>()
  statuses = new Map<string, UserStatus>()
  commands = new Map<string, Command>()
  incomingHooks = new Map<string, IncomingWebhook>()
  outgoingHooks = new Map<string, OutgoingWebhook>()
  preferences = new Map<string, Array<{ user_id: string; category: string; name: string; value: string }>>()
  private lastTs = 0

  /** A strictly increasing millisecond timestamp. */
  now(): number {
    const t = Date.now()
    this.lastTs = t > this.lastTs ? t : this.lastTs + 1
    return this.lastTs
  }

  createUser(input: {
    username: string
    email?: string
    password?: string
    is_bot?: boolean
    roles?: string
  }): StoredUser {
    const t = this.now()
    const user: StoredUser = {
      id: newId(),
      create_at: t,
      update_at: t,
      delete_at: 0,
      username: input.username.toLowerCase(),
      auth_service: '',
      email: input.email ?? `${input.username}@example.com`,
      nickname: '',
      first_name: '',
      last_name: '',
      position: '',
      roles: input.roles ?? 'system_user',
      props: {},
      notify_props: {},
      locale: 'en',
      timezone: { automaticTimezone: '', manualTimezone: '', useAutomaticTimezone: 'true' },
      is_bot: input.is_bot ?? false,
      ...(input.password ? { password: input.password } : {}),
    }
    this.users.set(user.id, user)
    this.usersByName.set(user.username, user)
    this.statuses.set(user.id, { user_id: user.id, status: 'offline', manual: false, last_activity_at: t })
    return user
  }

  createSession(userId: string, isIntegration: boolean, token = newId()): Session {
    const s = { token, userId, isIntegration }
    this.sessions.set(token, s)
    return s
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
    return team
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
    }
    this.channels.set(ch.id, ch)
    this.channelMembers.set(ch.id, new Map())
    this.postsByChannel.set(ch.id, [])
    return ch
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
      notify_props: { desktop: 'default', mark_unread: 'all' },
      last_update_at: t,
      scheme_user: true,
      scheme_admin: false,
    }
    members.set(userId, m)
    return m
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
    const names = sorted.map(id => this.users.get(id)?.username ?? id).join(', ')
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
    list?.push(post)
    const ch = this.channels.get(post.channel_id)
    if (ch) {
      ch.last_post_at = post.create_at
      if (!post.root_id) ch.last_root_post_at = post.create_at
      ch.total_msg_count = (ch.total_msg_count ?? 0) + 1
    }
    if (post.root_id) {
      const root = this.posts.get(post.root_id)
      if (root) {
        root.reply_count += 1
        root.last_reply_at = post.create_at
      }
    }
  }
}
