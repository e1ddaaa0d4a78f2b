/**
 * Endpoint groups: thin typed wrappers over `Client.request()`. The method → endpoint table is
 * in `docs/client-endpoints.md`.
 * @module
 */

import type { Readable } from 'node:stream'
import { builtin } from '../core/builtins.js'
import type {
  BotAccount,
  Channel,
  ChannelMember,
  Command,
  CommandResponse,
  CustomEmoji,
  Dialog,
  FileInfo,
  FileUploadResponse,
  IncomingWebhook,
  IncomingWebhookPayload,
  OutgoingWebhook,
  Post,
  PostList,
  PostSearchResults,
  Preference,
  Reaction,
  StatusOK,
  SystemPing,
  Team,
  TeamMember,
  User,
  UserAccessToken,
  UserStatus,
} from '../types/index.js'
import { iteratePages } from './paginate.js'
import type { Query, RequestOptions } from './transport.js'

/** The one primitive every group is built on. */
export interface Requester {
  request<T>(method: string, path: string, opts?: RequestOptions): Promise<T>
  stream(method: string, path: string, opts?: RequestOptions): Promise<{ body: Readable }>
  /** Post to an absolute URL outside /api/v4 (incoming webhooks). */
  postAbsolute(url: string, body: unknown): Promise<string>
  readonly baseUrl: string
}

const enc = encodeURIComponent
type Opts = { signal?: AbortSignal }
const o = (opts?: Opts): RequestOptions => (opts?.signal ? { signal: opts.signal } : {})

/** Page parameters: `perPage` is capped by the server at 200. */
export interface PageParams {
  page?: number
  perPage?: number
}

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
  forUser(userId: string, teamId: string): Promise<Channel[]> {
    return this.r.request('GET', `/users/${enc(userId)}/teams/${enc(teamId)}/channels`)
  }
  forUserAllTeams(userId = 'me'): Promise<Channel[]> {
    return this.r.request('GET', `/users/${enc(userId)}/channels`)
  }
  view(userId: string, channelId: string): Promise<unknown> {
    return this.r.request('POST', `/channels/members/${enc(userId)}/view`, {
      body: { channel_id: channelId },
      idempotent: true,
    })
  }
}

/** Fields accepted by `posts.create`. */
export interface CreatePost {
  channel_id: string
  message?: string
  root_id?: string
  file_ids?: string[]
  props?: Post['props']
  type?: string
  metadata?: Post['metadata']
  /** Set automatically; a retried create with the same id never double-posts. */
  pending_post_id?: string
}

export class Posts {
  constructor(
    private r: Requester,
    private pendingId: () => string,
  ) {}
  /** Create a post. Safe to retry: a `pending_post_id` makes the server dedupe. */
  create(post: CreatePost, opts?: Opts): Promise<Post> {
    const body = { ...post, pending_post_id: post.pending_post_id ?? this.pendingId() }
    return this.r.request('POST', '/posts', { body, idempotent: true, ...o(opts) })
  }
  get(id: string): Promise<Post> {
    return this.r.request('GET', `/posts/${enc(id)}`)
  }
  update(id: string, post: Partial<Post>): Promise<Post> {
    return this.r.request('PUT', `/posts/${enc(id)}`, { body: { ...post, id } })
  }
  patch(
    id: string,
    patch: { message?: string; props?: Post['props']; is_pinned?: boolean; file_ids?: string[] },
  ): Promise<Post> {
    return this.r.request('PUT', `/posts/${enc(id)}/patch`, { body: patch })
  }
  delete(id: string): Promise<StatusOK> {
    return this.r.request('DELETE', `/posts/${enc(id)}`)
  }
  thread(id: string, opts: { perPage?: number } = {}): Promise<PostList> {
    return this.r.request('GET', `/posts/${enc(id)}/thread`, { query: { perPage: opts.perPage } })
  }
  /** One page of a channel's posts (newest first). `since` wins over `after` over `before`. */
  forChannel(
    channelId: string,
    p: PageParams & { since?: number; before?: string; after?: string } = {},
  ): Promise<PostList> {
    return this.r.request('GET', `/channels/${enc(channelId)}/posts`, {
      query: { page: p.page, per_page: p.perPage, since: p.since, before: p.before, after: p.after },
    })
  }
  /**
   * Every post of a channel, oldest first, walking `after` cursors (or from `since`).
   *
   * @example
   * ```ts
   * for await (const p of mm.posts.iterateChannel(channelId)) console.log(p.message)
   * ```
   */
  async *iterateChannel(
    channelId: string,
    opts: { since?: number; after?: string; perPage?: number } = {},
  ): AsyncGenerator<Post> {
    const perPage = Math.min(200, opts.perPage ?? 200)
    let after = opts.after
    if (!after) {
      // Find the oldest post: walk pages back from the newest until a short page.
      const oldest: Post[] = []
      for (let page = 0; ; page++) {
        const list = await this.forChannel(channelId, { page, perPage })
        const posts = list.order.map(id => list.posts[id]!).filter(Boolean)
        oldest.unshift(...posts.reverse())
        if (list.order.length < perPage) break
      }
      for (const p of oldest) if (!opts.since || p.create_at > opts.since) yield p
      return
    }
    for (;;) {
      const list = await this.forChannel(channelId, { after, perPage })
      const posts = list.order.map(id => list.posts[id]!).reverse()
      for (const p of posts) yield p
      if (posts.length < perPage) return
      after = posts[posts.length - 1]!.id
    }
  }
  getByIds(ids: string[]): Promise<Post[]> {
    return this.r.request('POST', '/posts/ids', { body: ids, idempotent: true })
  }
  /** A post only `userId` sees (bots and admins). */
  ephemeral(
    userId: string,
    post: { channel_id: string; message: string; props?: Post['props']; root_id?: string },
  ): Promise<Post> {
    return this.r.request('POST', '/posts/ephemeral', { body: { user_id: userId, post } })
  }
  pin(id: string): Promise<StatusOK> {
    return this.r.request('POST', `/posts/${enc(id)}/pin`, { idempotent: true })
  }
  unpin(id: string): Promise<StatusOK> {
    return this.r.request('POST', `/posts/${enc(id)}/unpin`, { idempotent: true })
  }
  search(
    teamId: string,
    terms: string,
    opts: { isOrSearch?: boolean; page?: number; perPage?: number } = {},
  ): Promise<PostSearchResults> {
    return this.r.request('POST', `/teams/${enc(teamId)}/posts/search`, {
      body: { terms, is_or_search: !!opts.isOrSearch, page: opts.page ?? 0, per_page: opts.perPage ?? 60 },
      idempotent: true,
    })
  }
  /** Click a button / choose a menu option, as a user would. */
  doAction(
    postId: string,
    actionId: string,
    body: { selected_option?: string; cookie?: string } = {},
  ): Promise<{ status: string; trigger_id: string }> {
    return this.r.request('POST', `/posts/${enc(postId)}/actions/${enc(actionId)}`, { body })
  }
  files(postId: string): Promise<FileInfo[]> {
    return this.r.request('GET', `/posts/${enc(postId)}/files/info`)
  }
}

export class Reactions {
  constructor(
    private r: Requester,
    private me: () => Promise<string>,
  ) {}
  async add(postId: string, emojiName: string, userId?: string): Promise<Reaction> {
    const user_id = userId ?? (await this.me())
    return this.r.request('POST', '/reactions', {
      body: { user_id, post_id: postId, emoji_name: emojiName.replace(/:/g, '') },
      idempotent: true,
    })
  }
  remove(postId: string, emojiName: string, userId = 'me'): Promise<StatusOK> {
    return this.r.request(
      'DELETE',
      `/users/${enc(userId)}/posts/${enc(postId)}/reactions/${enc(emojiName.replace(/:/g, ''))}`,
    )
  }
  list(postId: string): Promise<Reaction[]> {
    return this.r.request('GET', `/posts/${enc(postId)}/reactions`)
  }
}

/** A file to upload: bytes, a stream, or a path on disk. */
export interface UploadFile {
  name?: string
  data: Buffer | Readable | string
}

export class Files {
  constructor(private r: Requester) {}
  /**
   * Upload files with a streaming multipart body (`channel_id` first, as the server wants).
   *
   * @example
   * ```ts
   * const [info] = await mm.files.upload(channelId, { name: 'report.pdf', data: './report.pdf' })
   * await mm.posts.create({ channel_id: channelId, message: 'Report', file_ids: [info.id] })
   * ```
   */
  async upload(channelId: string, files: UploadFile | UploadFile[], opts?: Opts): Promise<FileInfo[]> {
    const list = Array.isArray(files) ? files : [files]
    const boundary = `----matterkit${Math.random().toString(36).slice(2)}`
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="channel_id"\r\n\r\n${channelId}\r\n`,
      )
      for (const f of list) {
        const name = f.name ?? (typeof f.data === 'string' ? builtin('node:path').basename(f.data) : 'file')
        yield Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${name.replace(/"/g, '')}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        )
        const src = typeof f.data === 'string' ? builtin('node:fs').createReadStream(f.data) : f.data
        if (Buffer.isBuffer(src)) yield src
        else for await (const chunk of src) yield Buffer.from(chunk as Buffer)
        yield Buffer.from('\r\n')
      }
      yield Buffer.from(`--${boundary}--\r\n`)
    }
    const res = await this.r.request<FileUploadResponse>('POST', '/files', {
      body: builtin('node:stream').Readable.from(body()),
      contentType: `multipart/form-data; boundary=${boundary}`,
      ...o(opts),
    })
    return res.file_infos
  }
  /** Upload one file as the raw request body. */
  async uploadRaw(channelId: string, name: string, data: Buffer): Promise<FileInfo> {
    const res = await this.r.request<FileUploadResponse>('POST', '/files', {
      query: { channel_id: channelId, filename: name },
      body: data,
    })
    return res.file_infos[0]!
  }
  info(id: string): Promise<FileInfo> {
    return this.r.request('GET', `/files/${enc(id)}/info`)
  }
  /** Download a file as a stream. */
  async download(id: string): Promise<Readable> {
    return (await this.r.stream('GET', `/files/${enc(id)}`)).body
  }
  async link(id: string): Promise<string> {
    return (await this.r.request<{ link: string }>('GET', `/files/${enc(id)}/link`)).link
  }
}

export class Commands {
  constructor(private r: Requester) {}
  create(
    c: Partial<Command> & { team_id: string; trigger: string; url: string; method?: 'P' | 'G' },
  ): Promise<Command> {
    return this.r.request('POST', '/commands', { body: { method: 'P', ...c } })
  }
  get(id: string): Promise<Command> {
    return this.r.request('GET', `/commands/${enc(id)}`)
  }
  /**
   * Update a command. The server's PUT replaces the whole command, so a partial `c` (without
   * `team_id`) is merged into the current command first.
   *
   * @example
   * ```ts
   * await mm.commands.update(cmd.id, { url: 'https://bot.example.com/mattermost/command' })
   * ```
   */
  async update(id: string, c: Partial<Command>): Promise<Command> {
    const full = c.team_id ? c : { ...(await this.get(id)), ...c }
    return this.r.request('PUT', `/commands/${enc(id)}`, { body: { ...full, id } })
  }
  delete(id: string): Promise<StatusOK> {
    return this.r.request('DELETE', `/commands/${enc(id)}`)
  }
  list(teamId: string, opts: { customOnly?: boolean } = {}): Promise<Command[]> {
    return this.r.request('GET', '/commands', {
      query: { team_id: teamId, custom_only: opts.customOnly ?? true },
    })
  }
  async regenToken(id: string): Promise<string> {
    return (await this.r.request<{ token: string }>('PUT', `/commands/${enc(id)}/regen_token`)).token
  }
  /** Run a slash command as the current user, as a person typing it would. */
  execute(
    channelId: string,
    command: string,
    opts: { teamId?: string; rootId?: string } = {},
  ): Promise<CommandResponse> {
    return this.r.request('POST', '/commands/execute', {
      body: { channel_id: channelId, command, team_id: opts.teamId ?? '', root_id: opts.rootId ?? '' },
    })
  }
}

class Crud<T> {
  constructor(
    protected r: Requester,
    protected base: string,
  ) {}
  create(body: Partial<T>): Promise<T> {
    return this.r.request('POST', this.base, { body })
  }
  get(id: string): Promise<T> {
    return this.r.request('GET', `${this.base}/${enc(id)}`)
  }
  /** Update a webhook. The server's PUT replaces the whole hook, so a partial body (without `channel_id`) is merged into the current hook first. */
  async update(id: string, body: Partial<T>): Promise<T> {
    const full = (body as { channel_id?: string }).channel_id ? body : { ...(await this.get(id)), ...body }
    return this.r.request('PUT', `${this.base}/${enc(id)}`, { body: { ...full, id } })
  }
  delete(id: string): Promise<StatusOK> {
    return this.r.request('DELETE', `${this.base}/${enc(id)}`)
  }
  list(query: Query = {}): Promise<T[]> {
    return this.r.request('GET', this.base, { query })
  }
}

export class OutgoingWebhooks extends Crud<OutgoingWebhook> {
  regenToken(id: string): Promise<OutgoingWebhook> {
    return this.r.request('POST', `${this.base}/${enc(id)}/regen_token`)
  }
}

export class Webhooks {
  readonly incoming: Crud<IncomingWebhook>
  readonly outgoing: OutgoingWebhooks
  constructor(private r: Requester) {
    this.incoming = new Crud(r, '/hooks/incoming')
    this.outgoing = new OutgoingWebhooks(r, '/hooks/outgoing')
  }
  /**
   * Post through an incoming webhook, by id or full URL.
   *
   * @example
   * ```ts
   * await mm.webhooks.post(hookId, { text: 'Deployed ✅', attachments: [{ color: 'good', title: 'v1.2' }] })
   * ```
   */
  async post(hookIdOrUrl: string, payload: IncomingWebhookPayload): Promise<void> {
    const url = /^https?:\/\//.test(hookIdOrUrl) ? hookIdOrUrl : `${this.r.baseUrl}/hooks/${enc(hookIdOrUrl)}`
    await this.r.postAbsolute(url, payload)
  }
}

export class Bots {
  constructor(private r: Requester) {}
  create(b: { username: string; display_name?: string; description?: string }): Promise<BotAccount> {
    return this.r.request('POST', '/bots', { body: b })
  }
  get(id: string): Promise<BotAccount> {
    return this.r.request('GET', `/bots/${enc(id)}`)
  }
  list(p: PageParams = {}): Promise<BotAccount[]> {
    return this.r.request('GET', '/bots', { query: { page: p.page, per_page: p.perPage } })
  }
  patch(
    id: string,
    b: { username?: string; display_name?: string; description?: string },
  ): Promise<BotAccount> {
    return this.r.request('PUT', `/bots/${enc(id)}`, { body: b })
  }
  disable(id: string): Promise<BotAccount> {
    return this.r.request('POST', `/bots/${enc(id)}/disable`)
  }
  enable(id: string): Promise<BotAccount> {
    return this.r.request('POST', `/bots/${enc(id)}/enable`)
  }
  assign(id: string, userId: string): Promise<BotAccount> {
    return this.r.request('POST', `/bots/${enc(id)}/assign/${enc(userId)}`)
  }
}

export class Tokens {
  constructor(private r: Requester) {}
  /** Create a personal access token; the secret `token` field is only in this response. */
  create(userId: string, description: string): Promise<UserAccessToken> {
    return this.r.request('POST', `/users/${enc(userId)}/tokens`, { body: { description } })
  }
  list(userId: string): Promise<UserAccessToken[]> {
    return this.r.request('GET', `/users/${enc(userId)}/tokens`)
  }
  get(tokenId: string): Promise<UserAccessToken> {
    return this.r.request('GET', `/users/tokens/${enc(tokenId)}`)
  }
  revoke(tokenId: string): Promise<StatusOK> {
    return this.r.request('POST', '/users/tokens/revoke', { body: { token_id: tokenId } })
  }
  disable(tokenId: string): Promise<StatusOK> {
    return this.r.request('POST', '/users/tokens/disable', { body: { token_id: tokenId } })
  }
  enable(tokenId: string): Promise<StatusOK> {
    return this.r.request('POST', '/users/tokens/enable', { body: { token_id: tokenId } })
  }
}

export class Misc {
  constructor(private r: Requester) {}
  /** `GET /system/ping` (no auth). */
  ping(): Promise<SystemPing> {
    return this.r.request('GET', '/system/ping', { anonymous: true })
  }
  emojiList(p: PageParams = {}): Promise<CustomEmoji[]> {
    return this.r.request('GET', '/emoji', { query: { page: p.page, per_page: p.perPage } })
  }
  emojiByName(name: string): Promise<CustomEmoji> {
    return this.r.request('GET', `/emoji/name/${enc(name)}`)
  }
  preferences(userId = 'me'): Promise<Preference[]> {
    return this.r.request('GET', `/users/${enc(userId)}/preferences`)
  }
  savePreferences(userId: string, prefs: Preference[]): Promise<StatusOK> {
    return this.r.request('PUT', `/users/${enc(userId)}/preferences`, { body: prefs })
  }
  /** Open an interactive dialog (needs a fresh trigger id, valid 30 s). */
  openDialog(req: { trigger_id: string; url: string; dialog: Dialog }): Promise<StatusOK> {
    return this.r.request('POST', '/actions/dialogs/open', { body: req })
  }
  /** Submit a dialog, as the web client does. */
  submitDialog(body: {
    url: string
    callback_id?: string
    state?: string
    channel_id: string
    team_id: string
    submission: Record<string, unknown>
    cancelled?: boolean
  }): Promise<{ errors?: Record<string, string>; error?: string }> {
    return this.r.request('POST', '/actions/dialogs/submit', { body })
  }
}
