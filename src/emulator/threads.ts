/**
 * Collapsed reply threads for a user: who follows a thread, what they have read, and the
 * `/users/{id}/teams/{id}/threads` routes (api4/user.go, app/thread.go, model/thread.go).
 * @module
 */
import type { Post } from '../types/index.js'
import { type App, type Ctx, OK } from './app.js'
import { badUrlParam, forbidden, notFound } from './errors.js'
import { isValidId } from './ids.js'
import { sanitizePost } from './posts.js'
import { publicUser, userParam } from './rest-users.js'
import type { StoredUser } from './store-types.js'

/** model.ThreadMembership, as stored (`rootId:userId`). */
export interface ThreadMember {
  post_id: string
  user_id: string
  following: boolean
  last_viewed: number
  last_updated: number
  unread_mentions: number
}

const key = (rootId: string, userId: string) => `${rootId}:${userId}`

function member(app: App, rootId: string, userId: string): ThreadMember | undefined {
  return app.store.threadMembers.get(key(rootId, userId))
}

function save(app: App, m: ThreadMember): void {
  app.store.threadMembers.set(key(m.post_id, m.user_id), m)
  app.store.touch('threadMember', key(m.post_id, m.user_id))
}

/**
 * A reply was created: as `UpdateThreadsFromPosts` with ThreadAutoFollow on, the replier follows
 * (and has read up to their own reply), the root's author keeps or gets a membership, and each
 * user the reply @-mentions follows with one more unread mention. Each member's client gets
 * `thread_updated`.
 */
export function noteReply(app: App, reply: Post): void {
  const { store } = app
  const root = store.posts.get(reply.root_id)
  if (!root) return
  const t = reply.create_at
  const touch = (userId: string, change: (m: ThreadMember) => void) => {
    const m = member(app, root.id, userId) ?? {
      post_id: root.id,
      user_id: userId,
      following: true,
      last_viewed: 0,
      last_updated: t,
      unread_mentions: 0,
    }
    m.last_updated = t
    change(m)
    save(app, m)
  }
  touch(reply.user_id, m => {
    m.following = true
    m.last_viewed = t
  })
  if (root.user_id !== reply.user_id) touch(root.user_id, () => {})
  for (const [, name] of reply.message.matchAll(/@([a-z0-9.\-_]+)/gi)) {
    const u = store.usersByName.get(name!.toLowerCase().replace(/\.$/, ''))
    if (!u || u.id === reply.user_id || !store.isChannelMember(root.channel_id, u.id)) continue
    touch(u.id, m => {
      m.following = true
      m.unread_mentions += 1
    })
  }
  // Only the root's channel members can hold a membership; the replies are read once for all.
  const replies = repliesOf(app, root)
  for (const userId of store.channelMembers.get(root.channel_id)?.keys() ?? []) {
    const m = member(app, root.id, userId)
    if (!m?.following) continue
    app.hub.broadcast(
      'thread_updated',
      { thread: JSON.stringify(threadResponse(app, m, replies)) },
      { user_id: m.user_id },
    )
  }
}

/** The live replies of a thread's root. */
function repliesOf(app: App, root: Post): Post[] {
  return (app.store.postsByChannel.get(root.channel_id) ?? []).filter(
    p => p.root_id === root.id && !p.delete_at,
  )
}

/** model.ThreadResponse for one membership (`replies` when the caller has them already). */
function threadResponse(
  app: App,
  m: ThreadMember,
  replies = repliesOf(app, app.store.posts.get(m.post_id)!),
) {
  const { store } = app
  const root = store.posts.get(m.post_id)!
  const participants = [...new Set([root.user_id, ...replies.map(p => p.user_id)])]
    .map(id => store.users.get(id))
    .filter((u): u is StoredUser => !!u)
    .map(publicUser)
  return {
    id: root.id,
    reply_count: root.reply_count,
    last_reply_at: root.last_reply_at ?? 0,
    last_viewed_at: m.last_viewed,
    participants,
    post: sanitizePost(root),
    unread_replies: replies.filter(p => p.create_at > m.last_viewed && p.user_id !== m.user_id).length,
    unread_mentions: m.unread_mentions,
    is_urgent: false,
    delete_at: root.delete_at,
  }
}

export function registerThreads(app: App): void {
  const { store, hub } = app
  const BASE = '/api/v4/users/:user_id/teams/:team_id/threads'

  /** Only your own threads (edit_other_users otherwise), in a team you belong to (view_team). */
  const scope = (ctx: Ctx) => {
    const me = ctx.user()
    const userId = userParam(ctx)
    if (userId !== me.id) throw forbidden()
    const teamId = ctx.params.team_id!
    if (!isValidId(teamId)) throw badUrlParam('team_id')
    if (!store.isTeamMember(teamId, me.id)) throw forbidden()
    return { me, teamId }
  }
  /** A thread's root in this team (DMs and group messages belong to every team). */
  const inTeam = (root: Post | undefined, teamId: string, userId: string): root is Post => {
    if (!root || root.root_id) return false
    const ch = store.channels.get(root.channel_id)
    return !!ch && (ch.team_id === teamId || ch.team_id === '') && store.isChannelMember(ch.id, userId)
  }
  const threadOr404 = (ctx: Ctx) => {
    const { me, teamId } = scope(ctx)
    const id = ctx.params.thread_id!
    if (!isValidId(id)) throw badUrlParam('thread_id')
    const root = store.posts.get(id)
    const m = member(app, id, me.id)
    if (!inTeam(root, teamId, me.id) || !m)
      throw notFound('app.channel.get_thread_membership.app_error', 'thread')
    return { me, root, m }
  }

  app.route('GET', BASE, ctx => {
    const { me, teamId } = scope(ctx)
    const q = ctx.query
    const since = Number(q.get('since') ?? 0) || 0
    const unreadOnly = q.get('unread') === 'true'
    const withDeleted = q.get('deleted') === 'true'
    const perPage = Math.min(Math.max(Number(q.get('per_page') ?? 25) || 25, 1), 200)
    const all = [...store.threadMembers.values()]
      .filter(m => m.user_id === me.id && m.following && inTeam(store.posts.get(m.post_id), teamId, me.id))
      .map(m => threadResponse(app, m))
      .filter(t => withDeleted || !t.delete_at)
      .sort((a, b) => b.last_reply_at - a.last_reply_at)
    const unread = all.filter(t => t.unread_replies > 0)
    let list = (unreadOnly ? unread : all).filter(t => t.last_reply_at > since)
    const before = q.get('before')
    const after = q.get('after')
    if (before) {
      const i = list.findIndex(t => t.id === before)
      list = i >= 0 ? list.slice(i + 1) : []
    } else if (after) {
      const i = list.findIndex(t => t.id === after)
      list = i >= 0 ? list.slice(0, i) : []
    }
    const totalsOnly = q.get('totalsOnly') === 'true'
    return {
      body: {
        total: all.length,
        total_unread_threads: unread.length,
        total_unread_mentions: all.reduce((n, t) => n + t.unread_mentions, 0),
        total_unread_urgent_mentions: 0,
        threads: totalsOnly ? [] : list.slice(0, perPage),
      },
    }
  })
  app.route('GET', `${BASE}/:thread_id`, ctx => {
    const { m } = threadOr404(ctx)
    return { body: threadResponse(app, m) }
  })
  const follow = (ctx: Ctx, on: boolean) => {
    const { me, teamId } = scope(ctx)
    const id = ctx.params.thread_id!
    if (!isValidId(id)) throw badUrlParam('thread_id')
    const root = store.posts.get(id)
    if (!inTeam(root, teamId, me.id)) throw forbidden()
    const m = member(app, id, me.id) ?? {
      post_id: id,
      user_id: me.id,
      following: on,
      last_viewed: 0,
      last_updated: store.now(),
      unread_mentions: 0,
    }
    m.following = on
    save(app, m)
    hub.broadcast(
      'thread_follow_changed',
      { thread_id: id, state: on, reply_count: root.reply_count },
      { user_id: me.id },
    )
    return OK
  }
  app.route('PUT', `${BASE}/:thread_id/following`, ctx => follow(ctx, true))
  app.route('DELETE', `${BASE}/:thread_id/following`, ctx => follow(ctx, false))
  app.route('PUT', `${BASE}/:thread_id/read/:timestamp`, ctx => {
    const { me, m } = threadOr404(ctx)
    const ts = Number(ctx.params.timestamp)
    if (!Number.isInteger(ts) || ts < 0) throw badUrlParam('timestamp')
    m.last_viewed = ts
    // reading the whole thread clears its mentions (app/thread.go UpdateThreadReadForUser)
    if (ts >= m.last_updated) m.unread_mentions = 0
    save(app, m)
    const t = threadResponse(app, m)
    hub.broadcast(
      'thread_read_changed',
      {
        thread_id: m.post_id,
        timestamp: ts,
        unread_mentions: t.unread_mentions,
        unread_replies: t.unread_replies,
      },
      { user_id: me.id },
    )
    return { body: t }
  })
  app.route('PUT', `${BASE}/read`, ctx => {
    const { me, teamId } = scope(ctx)
    const t = store.now()
    for (const m of store.threadMembers.values()) {
      if (m.user_id !== me.id || !inTeam(store.posts.get(m.post_id), teamId, me.id)) continue
      m.last_viewed = t
      m.unread_mentions = 0
      save(app, m)
    }
    hub.broadcast('thread_read_changed', { timestamp: t }, { user_id: me.id, team_id: teamId })
    return OK
  })
}
