/**
 * Post creation and the events around it, shared by REST and the integrations.
 * @module
 */
import type { Post, PostProps } from '../types/index.js'
import type { App } from './app.js'
import { AppError, badParam, forbidden, notFound } from './errors.js'
import { isValidId, newId } from './ids.js'
import { isSystemAdmin } from './permissions.js'
import { checkPostLimits, fillAiGeneratedBy } from './post-edit.js'
import type { StoredUser } from './store-types.js'
import { noteReply } from './threads.js'

const RESERVED_PROPS = [
  'from_webhook',
  'override_username',
  'webhook_display_name',
  'override_icon_url',
  'override_icon_emoji',
]

/**
 * The one function every post goes through before it reaches a client (REST replies and WS
 * events): `integration` removed from every attachment action.
 */
export function sanitizePost(post: Post): Post {
  return stripIntegration(post)
}

function stripIntegration(post: Post): Post {
  const atts = post.props?.attachments
  if (!Array.isArray(atts) || !atts.some(a => a.actions?.some(x => x.integration))) return post
  return {
    ...post,
    props: {
      ...post.props,
      attachments: atts.map(a => ({
        ...a,
        actions: a.actions?.map(({ integration: _i, ...rest }) => rest),
      })),
    },
  }
}

export interface CreatePostInput {
  channel_id?: unknown
  message?: unknown
  root_id?: unknown
  file_ids?: unknown
  props?: unknown
  type?: unknown
  pending_post_id?: unknown
  create_at?: unknown
  /** Only `metadata.priority` is read (root posts); everything else the client sends is dropped. */
  metadata?: unknown
}

export interface CreatePostOptions {
  /**
   * Integration-authored (webhook/command): reserved props allowed, no channel membership needed
   * (as `CreatePostMissingChannel`), no outgoing webhooks unless `fireWebhooks`.
   */
  trusted?: boolean
  /** Run the `app.postCreated` hooks (default: true unless `trusted`). */
  fireWebhooks?: boolean
  /** `set_online` of the `posted` event (default true). */
  setOnline?: boolean
  /** Honour `create_at` (sysadmins only on the real server). */
  allowCreateAt?: boolean
  /** A server-made `system_*` post (join/leave/header…): no type or membership check, no webhooks. */
  system?: boolean
}

/** Validate and create a post as `user`, broadcast `posted`, and run the post-created hooks. */
export function createPost(
  app: App,
  user: StoredUser,
  input: CreatePostInput,
  opts: CreatePostOptions = {},
): Post {
  const { store } = app
  const pendingPosts = app.pendingPosts
  const channelId = input.channel_id
  if (!isValidId(channelId)) throw badParam('channel_id')
  const channel = store.channels.get(channelId)
  if (!channel) throw notFound('app.channel.get.existing.app_error', 'existing channel')
  if (!opts.trusted && !opts.system && !store.isChannelMember(channelId, user.id) && !isSystemAdmin(user))
    throw forbidden()
  if (channel.delete_at) {
    throw new AppError(
      400,
      'api.post.create_post.can_not_post_to_deleted.error',
      'Can not post to deleted channel.',
    )
  }
  const message = typeof input.message === 'string' ? input.message : ''
  const type = typeof input.type === 'string' ? input.type : ''
  if (type.startsWith('system_') && !opts.system) {
    throw new AppError(400, 'api.context.invalid_param.app_error', 'Invalid post.type parameter.')
  }
  const rootId = typeof input.root_id === 'string' ? input.root_id : ''
  if (rootId) {
    const root = store.posts.get(rootId)
    if (!root || root.delete_at)
      throw new AppError(400, 'api.post.create_post.root_id.app_error', 'Invalid RootId parameter.')
    if (root.root_id)
      throw new AppError(400, 'api.post.create_post.root_id.app_error', 'Invalid RootId parameter.')
    if (root.channel_id !== channelId) {
      throw new AppError(
        400,
        'api.post.create_post.channel_root_id.app_error',
        'Invalid ChannelId for RootId parameter.',
      )
    }
  }
  const asked = Array.isArray(input.file_ids) ? [...new Set(input.file_ids.map(String))] : []
  // attachFilesToPost: a file that is unknown, someone else's upload or already on a post is
  // dropped (the server logs a warning); the post keeps the files it could attach.
  const fileIds = asked.filter(id => {
    const f = store.files.get(id)?.info
    return !!f && f.user_id === user.id && !f.post_id && !f.delete_at
  })
  const props: PostProps =
    input.props && typeof input.props === 'object' ? { ...(input.props as PostProps) } : {}
  if (!opts.trusted) for (const k of RESERVED_PROPS) delete props[k]
  checkPostLimits(message, asked, props)
  fillAiGeneratedBy(app, props, user.id)
  if (user.is_bot) props.from_bot = 'true'
  if (Array.isArray(props.attachments)) {
    for (const a of props.attachments) for (const act of a.actions ?? []) act.id ||= newId()
  }

  const pendingId = typeof input.pending_post_id === 'string' ? input.pending_post_id : ''
  if (pendingId) {
    const p = pendingPosts.get(pendingId)
    if (p && store.wallNow() - p.at < 30_000) {
      if (p.state === 'pending') {
        throw new AppError(
          500,
          'api.post.deduplicate_create_post.pending',
          'Post rejected by server: a post with this pending id is still being created.',
        )
      }
      const existing = p.postId ? store.posts.get(p.postId) : undefined
      if (existing) return { ...existing, pending_post_id: pendingId }
    }
    // Re-insert so that the Map's order stays the order of `at`: the sweep below can then stop at
    // the first entry still inside the 30 s window (O(expired), not O(size), per create).
    const now = store.wallNow()
    pendingPosts.delete(pendingId)
    pendingPosts.set(pendingId, { state: 'pending', at: now })
    for (const [k, v] of pendingPosts) {
      if (now - v.at <= 30_000) break
      pendingPosts.delete(k)
    }
  }
  let t = store.now()
  if (opts.allowCreateAt && typeof input.create_at === 'number' && input.create_at > 0) t = input.create_at
  const post: Post = {
    id: newId(),
    create_at: t,
    update_at: t,
    edit_at: 0,
    delete_at: 0,
    is_pinned: false,
    user_id: user.id,
    channel_id: channelId,
    root_id: rootId,
    original_id: '',
    message,
    type,
    props,
    hashtags: (message.match(/#\w+/g) ?? []).join(' '),
    file_ids: fileIds,
    pending_post_id: '',
    reply_count: 0,
    last_reply_at: 0,
    participants: null,
    metadata: {},
  }
  for (const id of fileIds) {
    store.files.get(id)!.info.post_id = post.id
    store.touch('file', id)
  }
  if (fileIds.length) post.metadata = { files: fileIds.map(id => store.files.get(id)!.info) }
  const priority = (input.metadata as { priority?: unknown } | undefined)?.priority
  if (!rootId && priority && typeof priority === 'object')
    post.metadata = { ...post.metadata, priority: priority as NonNullable<Post['metadata']>['priority'] }
  store.insertPost(post)
  if (rootId) noteReply(app, post)
  if (pendingId) pendingPosts.set(pendingId, { state: 'done', postId: post.id, at: store.wallNow() })
  const echo = { ...post, pending_post_id: pendingId }
  broadcastPosted(app, echo, user, opts.setOnline ?? true)
  if (opts.fireWebhooks ?? !(opts.trusted || opts.system)) for (const h of app.postCreated) h(post, user)
  return echo
}

/** Emit `posted` with the fields `app/notification.go` sends (mentions computed per recipient). */
export function broadcastPosted(app: App, post: Post, author: StoredUser, setOnline = true): void {
  const { store } = app
  const channel = store.channels.get(post.channel_id)!
  const mentioned = new Set<string>()
  for (const m of post.message.matchAll(/@([a-z0-9._-]+)/gi)) {
    const u = store.usersByName.get(m[1]!.toLowerCase().replace(/\.$/, ''))
    if (u && u.id !== author.id) mentioned.add(u.id)
  }
  if (channel.type === 'D' || channel.type === 'G') {
    for (const id of store.channelMembers.get(channel.id)?.keys() ?? [])
      if (id !== author.id) mentioned.add(id)
  }
  const senderName = (post.props.override_username as string | undefined) ?? `@${author.username}`
  const data: Record<string, unknown> = {
    channel_display_name: channel.type === 'D' ? `@${author.username}` : channel.display_name,
    channel_name: channel.name,
    channel_type: channel.type,
    post: JSON.stringify(sanitizePost(post)),
    sender_name: senderName,
    set_online: setOnline,
    team_id: channel.team_id,
  }
  if (post.file_ids?.length) {
    data.otherFile = 'true'
    if (post.file_ids.some(id => app.store.files.get(id)?.info.mime_type.startsWith('image/')))
      data.image = 'true'
  }
  app.hub.broadcast('posted', data, { channel_id: channel.id }, userId =>
    mentioned.has(userId) ? { ...data, mentions: JSON.stringify([userId]) } : undefined,
  )
}

/** Attachments with an id on every action (the real `GenerateActionIds`), copied, never mutated. */
function withActionIds(props: PostProps): PostProps {
  const atts = props.attachments
  if (!Array.isArray(atts)) return props
  return {
    ...props,
    attachments: atts.map(a =>
      a && typeof a === 'object' && Array.isArray(a.actions)
        ? {
            ...a,
            actions: a.actions.map(x => (x && typeof x === 'object' ? { ...x, id: x.id || newId() } : x)),
          }
        : a,
    ),
  }
}

/**
 * Create an ephemeral post for one user (not stored) and deliver it over WebSocket. Returns the
 * prepared post (action ids, cookies) with its integrations: pass it through `sanitizePost`.
 */
export function sendEphemeral(app: App, userId: string, post: Partial<Post> & { channel_id: string }): Post {
  const t = app.store.now()
  let full: Post = {
    id: newId(),
    create_at: t,
    update_at: t,
    edit_at: 0,
    delete_at: 0,
    is_pinned: false,
    user_id: post.user_id ?? '',
    channel_id: post.channel_id,
    root_id: post.root_id ?? '',
    original_id: '',
    message: post.message ?? '',
    type: 'system_ephemeral',
    props: withActionIds(post.props ?? {}),
    hashtags: '',
    pending_post_id: '',
    reply_count: 0,
  }
  for (const fn of app.ephemeralPreparers) full = fn(app, full)
  app.hub.broadcast(
    'ephemeral_message',
    { post: JSON.stringify(sanitizePost(full)) },
    { user_id: userId, channel_id: post.channel_id },
  )
  return full
}

/**
 * A system message the server writes itself (`system_join_channel`, `system_add_to_channel`,
 * `system_header_change`, …), authored by the acting user and broadcast as `posted`.
 */
export function systemPost(
  app: App,
  actor: StoredUser,
  channelId: string,
  type: `system_${string}`,
  message: string,
  props: Record<string, unknown>,
): Post {
  return createPost(
    app,
    actor,
    { channel_id: channelId, message, type, props },
    { system: true, setOnline: false },
  )
}
