/**
 * Endpoint groups: users, teams, channels.
 * @module
 */

import type {
  Channel,
  ChannelMember,
  StatusOK,
  Team,
  TeamMember,
  User,
  UserAutocomplete,
  UserStatus,
  UserThread,
  UserThreadList,
} from '../types/index.js'
import { iteratePages } from './paginate.js'
import { enc, type Opts, o, type PageParams, type Requester } from './resource-base.js'

export class Users {
  constructor(private r: Requester) {}
  /** `GET /users/me` */
  me(opts?: Opts): Promise<User> {
    return this.r.request('GET', '/users/me', o(opts))
  }
  get(id: string): Promise<User> {
    return this.r.request('GET', `/users/${enc(id)}`)
  }
  getByUsername(username: string): Promise<User> {
    return this.r.request('GET', `/users/username/${enc(username.replace(/^@/, ''))}`)
  }
  getByEmail(email: string): Promise<User> {
    return this.r.request('GET', `/users/email/${enc(email)}`)
  }
  getByIds(ids: string[]): Promise<User[]> {
    return this.r.request('POST', '/users/ids', { body: ids, idempotent: true })
  }
  getByUsernames(names: string[]): Promise<User[]> {
    return this.r.request('POST', '/users/usernames', { body: names, idempotent: true })
  }
  search(params: {
    term: string
    team_id?: string
    in_channel_id?: string
    limit?: number
  }): Promise<User[]> {
    return this.r.request('POST', '/users/search', { body: params, idempotent: true })
  }
  /**
   * Create an account (`POST /users`). Without an invite only a system admin may, unless the
   * server allows open sign-up.
   *
   * @example
   * ```ts
   * const carol = await admin.users.create({ username: 'carol', email: 'carol@example.com', password: 'a-long-secret' })
   * ```
   */
  create(user: {
    username: string
    email: string
    password: string
    first_name?: string
    last_name?: string
    nickname?: string
  }): Promise<User> {
    return this.r.request('POST', '/users', { body: user })
  }
  /**
   * Users whose username or names start with `name` (`GET /users/autocomplete`), as the
   * webapp's @-mention box. With `inChannel`, `out_of_channel` lists the team's other matches.
   *
   * @example
   * ```ts
   * const { users } = await mm.users.autocomplete('al', { inTeam: team.id })
   * ```
   */
  autocomplete(
    name: string,
    params: { inTeam?: string; inChannel?: string; limit?: number } = {},
  ): Promise<UserAutocomplete> {
    return this.r.request('GET', '/users/autocomplete', {
      query: {
        name: name.replace(/^@/, ''),
        in_team: params.inTeam,
        in_channel: params.inChannel,
        limit: params.limit,
      },
    })
  }
  list(params: PageParams & { in_team?: string; in_channel?: string } = {}): Promise<User[]> {
    const { perPage, ...rest } = params
    return this.r.request('GET', '/users', { query: { ...rest, per_page: perPage } })
  }
  /** Every user matching `params`, page by page. */
  iterate(params: { in_team?: string; in_channel?: string; perPage?: number } = {}): AsyncGenerator<User> {
    return iteratePages(
      page => this.list({ ...params, page, perPage: params.perPage ?? 200 }),
      params.perPage ?? 200,
    )
  }
  getStatus(id: string): Promise<UserStatus> {
    return this.r.request('GET', `/users/${enc(id)}/status`)
  }
  setStatus(id: string, status: UserStatus['status']): Promise<UserStatus> {
    return this.r.request('PUT', `/users/${enc(id)}/status`, { body: { user_id: id, status } })
  }
  getStatuses(ids: string[]): Promise<UserStatus[]> {
    return this.r.request('POST', '/users/status/ids', { body: ids, idempotent: true })
  }
  /** Show "… is typing" in a channel (or thread). */
  typing(userId: string, channelId: string, parentId?: string): Promise<StatusOK> {
    return this.r.request('POST', `/users/${enc(userId)}/typing`, {
      body: { channel_id: channelId, parent_id: parentId ?? '' },
    })
  }
}

export class Teams {
  constructor(private r: Requester) {}
  get(id: string): Promise<Team> {
    return this.r.request('GET', `/teams/${enc(id)}`)
  }
  getByName(name: string): Promise<Team> {
    return this.r.request('GET', `/teams/name/${enc(name)}`)
  }
  forUser(userId = 'me'): Promise<Team[]> {
    return this.r.request('GET', `/users/${enc(userId)}/teams`)
  }
  members(teamId: string, p: PageParams = {}): Promise<TeamMember[]> {
    return this.r.request('GET', `/teams/${enc(teamId)}/members`, {
      query: { page: p.page, per_page: p.perPage },
    })
  }
  addMember(teamId: string, userId: string): Promise<TeamMember> {
    return this.r.request('POST', `/teams/${enc(teamId)}/members`, {
      body: { team_id: teamId, user_id: userId },
    })
  }
}

export class Channels {
  constructor(private r: Requester) {}
  get(id: string): Promise<Channel> {
    return this.r.request('GET', `/channels/${enc(id)}`)
  }
  getByName(teamId: string, name: string): Promise<Channel> {
    return this.r.request('GET', `/teams/${enc(teamId)}/channels/name/${enc(name)}`)
  }
  getByTeamName(teamName: string, channelName: string): Promise<Channel> {
    return this.r.request('GET', `/teams/name/${enc(teamName)}/channels/name/${enc(channelName)}`)
  }
  create(c: {
    team_id: string
    name: string
    display_name: string
    type: 'O' | 'P'
    purpose?: string
    header?: string
  }): Promise<Channel> {
    return this.r.request('POST', '/channels', { body: c })
  }
  patch(
    id: string,
    patch: Partial<Pick<Channel, 'display_name' | 'name' | 'header' | 'purpose'>>,
  ): Promise<Channel> {
    return this.r.request('PUT', `/channels/${enc(id)}/patch`, { body: patch })
  }
  /** Archive (soft-delete) a channel. */
  archive(id: string): Promise<StatusOK> {
    return this.r.request('DELETE', `/channels/${enc(id)}`)
  }
  members(id: string, p: PageParams = {}): Promise<ChannelMember[]> {
    return this.r.request('GET', `/channels/${enc(id)}/members`, {
      query: { page: p.page, per_page: p.perPage },
    })
  }
  iterateMembers(id: string, perPage = 200): AsyncGenerator<ChannelMember> {
    return iteratePages(page => this.members(id, { page, perPage }), perPage)
  }
  member(id: string, userId: string): Promise<ChannelMember> {
    return this.r.request('GET', `/channels/${enc(id)}/members/${enc(userId)}`)
  }
  addMember(id: string, userId: string): Promise<ChannelMember> {
    return this.r.request('POST', `/channels/${enc(id)}/members`, { body: { user_id: userId } })
  }
  removeMember(id: string, userId: string): Promise<StatusOK> {
    return this.r.request('DELETE', `/channels/${enc(id)}/members/${enc(userId)}`)
  }
  /** The DM channel between two users (created on first use; idempotent). */
  direct(userA: string, userB: string): Promise<Channel> {
    return this.r.request('POST', '/channels/direct', { body: [userA, userB], idempotent: true })
  }
  group(userIds: string[]): Promise<Channel> {
    return this.r.request('POST', '/channels/group', { body: userIds, idempotent: true })
  }
  /**
   * The open channels of a team, a page at a time (`GET /teams/{id}/channels`).
   *
   * @example
   * ```ts
   * const open = await mm.channels.forTeam(team.id, { perPage: 100 })
   * ```
   */
  forTeam(teamId: string, p: PageParams = {}): Promise<Channel[]> {
    return this.r.request('GET', `/teams/${enc(teamId)}/channels`, {
      query: { page: p.page, per_page: p.perPage },
    })
  }
  /**
   * Open channels of a team whose name or display name contains `term`
   * (`POST /teams/{id}/channels/search`).
   *
   * @example
   * ```ts
   * const hits = await mm.channels.search(team.id, 'deploy')
   * ```
   */
  search(teamId: string, term: string): Promise<Channel[]> {
    return this.r.request('POST', `/teams/${enc(teamId)}/channels/search`, {
      body: { term },
      idempotent: true,
    })
  }
  forUser(userId: string, teamId: string): Promise<Channel[]> {
    return this.r.request('GET', `/users/${enc(userId)}/teams/${enc(teamId)}/channels`)
  }
  forUserAllTeams(userId = 'me', opts?: Opts): Promise<Channel[]> {
    return this.r.request('GET', `/users/${enc(userId)}/channels`, o(opts))
  }
  view(userId: string, channelId: string): Promise<unknown> {
    return this.r.request('POST', `/channels/members/${enc(userId)}/view`, {
      body: { channel_id: channelId },
      idempotent: true,
    })
  }
}

/** Fields accepted by `posts.create`. */

/**
 * Collapsed reply threads of the calling user in a team
 * (`/users/{user_id}/teams/{team_id}/threads`): the ones they follow, with unread counts.
 *
 * @example
 * ```ts
 * const { threads, total_unread_threads } = await mm.threads.list(team.id, { unread: true })
 * ```
 */
export class Threads {
  constructor(private r: Requester) {}
  #base(teamId: string, userId: string): string {
    return `/users/${enc(userId)}/teams/${enc(teamId)}/threads`
  }
  /** A page of followed threads, latest reply first (`before`/`after` are thread ids). */
  list(
    teamId: string,
    p: {
      unread?: boolean
      since?: number
      before?: string
      after?: string
      perPage?: number
      deleted?: boolean
    } = {},
    userId = 'me',
  ): Promise<UserThreadList> {
    return this.r.request('GET', this.#base(teamId, userId), {
      query: {
        unread: p.unread,
        since: p.since,
        before: p.before,
        after: p.after,
        per_page: p.perPage,
        deleted: p.deleted,
      },
    })
  }
  get(teamId: string, threadId: string, userId = 'me'): Promise<UserThread> {
    return this.r.request('GET', `${this.#base(teamId, userId)}/${enc(threadId)}`)
  }
  follow(teamId: string, threadId: string, userId = 'me'): Promise<StatusOK> {
    return this.r.request('PUT', `${this.#base(teamId, userId)}/${enc(threadId)}/following`, {
      idempotent: true,
    })
  }
  unfollow(teamId: string, threadId: string, userId = 'me'): Promise<StatusOK> {
    return this.r.request('DELETE', `${this.#base(teamId, userId)}/${enc(threadId)}/following`)
  }
  /** Mark the thread read up to `timestamp` (ms; default now). */
  markRead(teamId: string, threadId: string, timestamp = Date.now(), userId = 'me'): Promise<UserThread> {
    return this.r.request('PUT', `${this.#base(teamId, userId)}/${enc(threadId)}/read/${timestamp}`, {
      idempotent: true,
    })
  }
}
