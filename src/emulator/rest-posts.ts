/**
 * REST routes: posts, reactions (files are in rest-files.ts).
 * @module
 */
import type { Post, PostList, PostProps, Reaction } from '../types/index.js'
import type { App, Ctx } from './app.js'
import { paginate } from './app.js'
import { PATCH_POST, POST, REACTION } from './decode.js'
import { AppError, badParam, badUrlParam, forbidden, notFound } from './errors.js'
import { isValidId } from './ids.js'
import { isSystemAdmin } from './permissions.js'
import { applyPostEdit, checkEditableChannel, type EditKind, recordEdit } from './post-edit.js'
import { createPost, sanitizePost } from './posts.js'
import { readableChannel } from './rest-channels.js'
import { registerFiles } from './rest-files.js'
import { userParam } from './rest-users.js'

function list(posts: Post[], extra: Partial<PostList> = {}): PostList {
  const out: PostList = {
    order: [],
    posts: {},
    next_post_id: '',
    prev_post_id: '',
    first_inaccessible_post_time: 0,
    ...extra,
  }
  for (const p of posts) {
    out.order.push(p.id)
    out.posts[p.id] = sanitizePost(p)
  }
  return out
}

export function registerPosts(app: App): void {
  const { store, hub } = app
  const OK = { body: { status: 'OK' } }

  const postOr404 = (ctx: Ctx, id = ctx.params.post_id!): Post => {
    ctx.user()
    if (!isValidId(id)) throw badUrlParam('post_id')
    const p = store.posts.get(id)
    const seeDeleted = ctx.query.get('include_deleted') === 'true' && isSystemAdmin(ctx.user())
    if (!p || (p.delete_at && !seeDeleted)) throw notFound('app.post.get.app_error', 'post')
    readableChannel(app, ctx, p.channel_id)
    return p
  }
  /** Edit permission, then (in the real order for each route) the archived channel and system posts. */
  const editable = (ctx: Ctx, p: Post, kind?: EditKind): void => {
    const me = ctx.user()
    if (p.user_id !== me.id && !isSystemAdmin(me)) throw forbidden()
    if (kind === 'patch') checkEditableChannel(app, p, kind)
    if (p.type.startsWith('system_'))
      throw new AppError(
        400,
        'api.post.update_post.system_message.app_error',
        'Unable to update system message.',
      )
    if (kind === 'update') checkEditableChannel(app, p, kind)
  }
  /** A message edit after `PostEditTimeLimit` is refused (api4/post.go, updatePost and postPatchChecks). */
  const withinEditTime = (p: Post, editsMessage: boolean): void => {
    const limit = app.config.PostEditTimeLimit
    if (limit === -1 || !editsMessage || store.now() <= p.create_at + limit * 1000) return
    throw new AppError(
      400,
      'api.post.update_post.permissions_time_limit.app_error',
      `Post edit is only allowed for ${limit} seconds. Please ask your System Administrator for details.`,
    )
  }
  const strings = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : undefined)
  const propsOf = (v: unknown): PostProps | undefined =>
    v && typeof v === 'object' && !Array.isArray(v) ? (v as PostProps) : undefined
  const edited = (p: Post, messageChanged: boolean): void => {
    p.update_at = store.now()
    if (messageChanged) p.edit_at = p.update_at
    store.touch('post', p.id)
    hub.broadcast('post_edited', { post: JSON.stringify(sanitizePost(p)) }, { channel_id: p.channel_id })
  }

  app.route('POST', '/api/v4/posts', async ctx => {
    const me = ctx.user()
    const body = await ctx.json<Record<string, unknown>>(POST, 'post')
    if (!body || typeof body !== 'object') throw badParam('post')
    // a system admin may set create_at (imports); for everyone else the server's clock decides
    // api4/post.go createPost: ?set_online=false keeps a bot's status as it is
    const post = createPost(app, me, body, {
      allowCreateAt: isSystemAdmin(me),
      setOnline: ctx.query.get('set_online') !== 'false',
    })
    return { status: 201, body: sanitizePost(post) }
  })
  app.route('POST', '/api/v4/posts/ids', async ctx => {
    ctx.user()
    const ids = await ctx.json<unknown>()
    if (!Array.isArray(ids) || ids.length > 1000) throw badParam('post_ids')
    const out: Post[] = []
    for (const id of ids) {
      try {
        out.push(sanitizePost(postOr404(ctx, String(id))))
      } catch {}
    }
    return { body: out }
  })
  app.route('GET', '/api/v4/posts/:post_id', ctx => ({ body: sanitizePost(postOr404(ctx)) }))
  // api4/post.go getEditHistoryForPost: any failure to see the post, or not being its author, is
  // the edit_post permission error; the versions come newest first.
  app.route('GET', '/api/v4/posts/:post_id/edit_history', ctx => {
    const me = ctx.user()
    if (!isValidId(ctx.params.post_id)) throw badUrlParam('post_id')
    const p = store.posts.get(ctx.params.post_id)
    if (!p || p.delete_at || !store.isChannelMember(p.channel_id, me.id) || p.user_id !== me.id)
      throw forbidden()
    const list = store.edits.get(p.id)
    if (!list?.length) throw notFound('app.post.get_edit_history_for_post.app_error', 'edit history')
    return { body: [...list].reverse().map(sanitizePost) }
  })
  // Both validate as a new post does (post-edit.ts): 400 model.post.is_valid.{message_length,file_ids,props}.
  app.route('PUT', '/api/v4/posts/:post_id', async ctx => {
    const p = postOr404(ctx)
    const b = await ctx.json<Record<string, unknown>>(POST, 'post')
    if (!b || b.id !== p.id) throw badParam('id')
    editable(ctx, p, 'update')
    withinEditTime(p, (typeof b.message === 'string' ? b.message : '') !== p.message)
    const before = { ...p }
    // A full update (UpdatePost without safeUpdate): message, props, is_pinned and has_reactions
    // come from the body, and an omitted one is blank, as the API reference warns.
    const changed = applyPostEdit(app, ctx.user().id, p, {
      message: typeof b.message === 'string' ? b.message : '',
      props: propsOf(b.props) ?? {},
      ...(strings(b.file_ids) ? { fileIds: strings(b.file_ids) } : {}),
    })
    p.is_pinned = b.is_pinned === true
    p.has_reactions = b.has_reactions === true
    if (changed) recordEdit(app, before)
    edited(p, changed)
    return { body: sanitizePost(p) }
  })
  app.route('PUT', '/api/v4/posts/:post_id/patch', async ctx => {
    const p = postOr404(ctx)
    const b = (await ctx.json<Record<string, unknown> | null>(PATCH_POST, 'post')) ?? {}
    editable(ctx, p, 'patch')
    withinEditTime(p, typeof b.message === 'string')
    const before = { ...p }
    const changed = applyPostEdit(app, ctx.user().id, p, {
      ...(typeof b.message === 'string' ? { message: b.message } : {}),
      ...(propsOf(b.props) ? { props: propsOf(b.props) } : {}),
      ...(strings(b.file_ids) ? { fileIds: strings(b.file_ids) } : {}),
    })
    if (typeof b.is_pinned === 'boolean') p.is_pinned = b.is_pinned
    if (typeof b.has_reactions === 'boolean') p.has_reactions = b.has_reactions
    if (changed) recordEdit(app, before)
    edited(p, changed)
    return { body: sanitizePost(p) }
  })
  app.route('DELETE', '/api/v4/posts/:post_id', ctx => {
    const me = ctx.user()
    if (ctx.query.get('permanent') === 'true') {
      // Checked before anything else, in this order (api4 deletePost).
      if (!app.config.EnableAPIPostDeletion)
        throw new AppError(
          501,
          'api.post.delete_post.not_enabled.app_error',
          'Cannot delete post, ServiceSettings.EnableAPIPostDeletion is not enabled.',
        )
      if (!isSystemAdmin(me)) throw forbidden()
      if (!isValidId(ctx.params.post_id)) throw badUrlParam('post_id')
      const p = store.posts.get(ctx.params.post_id)
      if (!p) throw notFound('app.post.get.app_error', 'post')
      permanentDelete(p, me.id)
      return OK
    }
    const p = postOr404(ctx)
    editable(ctx, p)
    p.delete_at = store.now()
    p.update_at = p.delete_at
    store.touch('post', p.id)
    broadcastDeleted(p, ctx.user().id)
    return OK
  })
  /** Remove a post (a root takes its replies), its reactions and files; clients get `post_deleted`. */
  /** `post_deleted`: the post to everyone in the channel; system admins also learn who deleted it. */
  const broadcastDeleted = (p: Post, deletedBy: string): void => {
    const post = JSON.stringify(sanitizePost(p))
    hub.broadcast('post_deleted', { post }, { channel_id: p.channel_id }, userId => {
      const u = store.users.get(userId)
      return u && isSystemAdmin(u) ? { post, delete_by: deletedBy } : undefined
    })
  }
  const permanentDelete = (root: Post, deletedBy: string): void => {
    const gone = [
      root,
      ...(store.postsByChannel.get(root.channel_id) ?? []).filter(x => x.root_id === root.id),
    ]
    const ids = new Set(gone.map(x => x.id))
    const list = store.postsByChannel.get(root.channel_id)
    if (list)
      store.postsByChannel.set(
        root.channel_id,
        list.filter(x => !ids.has(x.id)),
      )
    for (const p of gone) {
      const wasLive = !p.delete_at
      p.delete_at ||= store.now()
      store.posts.delete(p.id)
      store.touch('post', p.id)
      if (store.reactions.delete(p.id)) store.touch('reactions', p.id)
      for (const fid of p.file_ids ?? []) if (store.files.delete(fid)) store.touch('file', fid)
      if (wasLive) broadcastDeleted(p, deletedBy)
    }
  }
  for (const [action, pinned] of [
    ['pin', true],
    ['unpin', false],
  ] as const) {
    app.route('POST', `/api/v4/posts/:post_id/${action}`, ctx => {
      const p = postOr404(ctx)
      p.is_pinned = pinned
      edited(p, false)
      return OK
    })
  }
  // api4/post.go getPostThread + sqlstore post_store.go Get: the asked post first, then the root and
  // replies ordered by (create_at, id) (ascending 'down', descending 'up'), after a (fromCreateAt,
  // fromPost) cursor, perPage + 1 fetched to tell has_next. No perPage: the whole thread.
  app.route('GET', '/api/v4/posts/:post_id/thread', ctx => {
    const q = (k: string) => ctx.query.get(k) ?? ''
    const perPage = q('perPage') === '' ? 0 : Number(q('perPage'))
    if (!Number.isInteger(perPage) || perPage > 200) throw badParam('perPage')
    const fromCreateAt = q('fromCreateAt') === '' ? 0 : Number(q('fromCreateAt'))
    if (!Number.isInteger(fromCreateAt)) throw badParam('fromCreateAt')
    const fromPost = q('fromPost')
    if (fromPost && !fromCreateAt) throw badParam('fromCreateAt')
    const direction = q('direction')
    if (direction && direction !== 'up' && direction !== 'down') throw badParam('direction')
    const p = postOr404(ctx)
    const rootId = p.root_id || p.id
    let thread = (store.postsByChannel.get(p.channel_id) ?? []).filter(
      x => (x.id === rootId || x.root_id === rootId) && !x.delete_at,
    )
    const byTime = (a: Post, b: Post): number =>
      a.create_at - b.create_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
    if (direction === 'down') thread.sort(byTime)
    else if (direction === 'up') thread.sort((a, b) => byTime(b, a))
    else thread.reverse()
    if (fromCreateAt) {
      const after = direction === 'down'
      thread = thread.filter(x =>
        after
          ? x.create_at > fromCreateAt || (!!fromPost && x.create_at === fromCreateAt && x.id > fromPost)
          : x.create_at < fromCreateAt || (!!fromPost && x.create_at === fromCreateAt && x.id < fromPost),
      )
    }
    let hasNext = false
    if (perPage > 0 && thread.length > perPage) {
      thread = thread.slice(0, perPage)
      hasNext = true
    }
    return { body: list([p, ...thread.filter(x => x.id !== p.id)], { has_next: hasNext }) }
  })
  app.route('GET', '/api/v4/posts/:post_id/files/info', ctx => {
    const p = postOr404(ctx)
    return { body: (p.file_ids ?? []).map(id => store.files.get(id)?.info).filter(Boolean) }
  })
  app.route('GET', '/api/v4/channels/:channel_id/posts', ctx => {
    const includeDeleted = ctx.query.get('include_deleted') === 'true'
    // read_deleted_posts: only system admins, checked before the channel.
    if (includeDeleted && !isSystemAdmin(ctx.user())) throw forbidden()
    const ch = readableChannel(app, ctx, ctx.params.channel_id!)
    const all = store.postsByChannel.get(ch.id) ?? []
    const since = Number(ctx.query.get('since') ?? 0)
    if (since > 0) {
      const hits = all.filter(p => p.update_at > since || p.create_at > since).slice(-1000)
      return { body: list(hits.reverse()) }
    }
    const live = includeDeleted ? all : all.filter(p => !p.delete_at)
    const perPage = Math.min(200, Math.max(1, Number(ctx.query.get('per_page') ?? 60) || 60))
    const pg = Math.max(0, Number(ctx.query.get('page') ?? 0) || 0)
    const after = ctx.query.get('after')
    const before = ctx.query.get('before')
    let slice: Post[]
    // after/before compare create_at with the cursor post's, strictly (as the real store does):
    // posts created in the cursor's own millisecond are in neither page
    if (after) {
      if (!isValidId(after)) throw badUrlParam('after')
      const at = store.posts.get(after)?.create_at
      const later = at === undefined ? [] : live.filter(p => p.create_at > at)
      slice = later.slice(pg * perPage, (pg + 1) * perPage)
    } else if (before) {
      if (!isValidId(before)) throw badUrlParam('before')
      const at = store.posts.get(before)?.create_at
      const earlier = at === undefined ? [] : live.filter(p => p.create_at < at)
      const end = earlier.length - pg * perPage
      slice = earlier.slice(Math.max(0, end - perPage), Math.max(0, end))
    } else {
      const end = live.length - pg * perPage
      slice = live.slice(Math.max(0, end - perPage), Math.max(0, end))
    }
    const first = slice[0]
    const last = slice[slice.length - 1]
    const idxFirst = first ? live.indexOf(first) : -1
    const idxLast = last ? live.indexOf(last) : -1
    return {
      body: list([...slice].reverse(), {
        prev_post_id: idxFirst > 0 ? live[idxFirst - 1]!.id : '',
        next_post_id: idxLast >= 0 && idxLast < live.length - 1 ? live[idxLast + 1]!.id : '',
      }),
    }
  })
  app.route('GET', '/api/v4/channels/:channel_id/pinned', ctx => {
    const ch = readableChannel(app, ctx, ctx.params.channel_id!)
    const pinned = (store.postsByChannel.get(ch.id) ?? []).filter(p => p.is_pinned && !p.delete_at)
    return { body: list([...pinned].reverse()) }
  })
  app.route('POST', '/api/v4/teams/:team_id/posts/search', async ctx => {
    const me = ctx.user()
    const b = await ctx.json<{ terms?: string }>()
    if (!b?.terms) throw badParam('terms')
    const words = b.terms.toLowerCase().split(/\s+/).filter(Boolean)
    const hits = [...store.posts.values()].filter(
      p =>
        !p.delete_at &&
        store.isChannelMember(p.channel_id, me.id) &&
        words.every(w => p.message.toLowerCase().includes(w)),
    )
    return { body: { ...list(paginate(ctx, hits.reverse())), matches: null } }
  })

  // --- reactions ---
  app.route('POST', '/api/v4/reactions', async ctx => {
    const me = ctx.user()
    const b = await ctx.json<Partial<Reaction>>(REACTION, 'reaction')
    // api4/reaction.go saveReaction: ids and name first (400), then "only as yourself" (403).
    if (!b || !isValidId(b.user_id) || !isValidId(b.post_id) || !b.emoji_name || b.emoji_name.length > 64)
      throw new AppError(400, 'api.reaction.save_reaction.invalid.app_error', 'Unable to save reaction.')
    if (b.user_id !== me.id)
      throw new AppError(
        403,
        'api.reaction.save_reaction.user_id.app_error',
        'You can only save reactions as yourself.',
      )
    if (!/^[a-zA-Z0-9\-+_]+$/.test(b.emoji_name))
      throw new AppError(400, 'model.reaction.is_valid.emoji_name.app_error', 'Invalid emoji name.')
    const p = postOr404(ctx, b.post_id)
    const listR = store.reactions.get(p.id) ?? []
    let r = listR.find(x => x.user_id === me.id && x.emoji_name === b.emoji_name)
    if (!r) {
      const t = store.now()
      r = {
        user_id: me.id,
        post_id: p.id,
        emoji_name: b.emoji_name,
        create_at: t,
        update_at: t,
        delete_at: 0,
        remote_id: '',
        channel_id: p.channel_id,
      }
      listR.push(r)
      store.reactions.set(p.id, listR)
      p.has_reactions = true
      store.touch('reactions', p.id)
      store.touch('post', p.id)
      hub.broadcast('reaction_added', { reaction: JSON.stringify(r) }, { channel_id: p.channel_id })
    }
    // saveReaction encodes the reaction without WriteHeader: 200, not the API reference's 201.
    return { body: r }
  })
  app.route('POST', '/api/v4/posts/ids/reactions', async ctx => {
    ctx.user()
    const ids = await ctx.json<unknown>()
    if (!Array.isArray(ids) || ids.length > 200 || !ids.every(isValidId)) throw badParam('post_ids')
    const out: Record<string, Reaction[]> = {}
    for (const id of ids) out[id] = store.reactions.get(postOr404(ctx, id).id) ?? []
    return { body: out }
  })
  app.route('GET', '/api/v4/posts/:post_id/reactions', ctx => ({
    body: store.reactions.get(postOr404(ctx).id) ?? [],
  }))
  app.route('DELETE', '/api/v4/users/:user_id/posts/:post_id/reactions/:emoji_name', ctx => {
    const me = ctx.user()
    const uid = userParam(ctx)
    if (uid !== me.id) throw forbidden()
    const p = postOr404(ctx)
    const listR = store.reactions.get(p.id) ?? []
    const i = listR.findIndex(x => x.user_id === uid && x.emoji_name === ctx.params.emoji_name)
    if (i >= 0) {
      const [r] = listR.splice(i, 1)
      p.has_reactions = listR.length > 0
      store.touch('reactions', p.id)
      store.touch('post', p.id)
      hub.broadcast('reaction_removed', { reaction: JSON.stringify(r) }, { channel_id: p.channel_id })
    }
    return OK
  })

  registerFiles(app)
}
