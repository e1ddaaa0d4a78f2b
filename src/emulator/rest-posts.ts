/**
 * REST routes: posts, reactions, files.
 * @module
 */
import type { FileInfo, Post, PostList, Reaction } from '../types/index.js'
import { type App, type Ctx, isSystemAdmin } from './app.js'
import { createPost, sanitizePost } from './posts.js'
import { paginate, readableChannel, userParam } from './rest-core.js'
import { AppError, badParam, badUrlParam, forbidden, isValidId, newId, notFound } from './util.js'

function list(posts: Post[], extra: Partial<PostList> = {}): PostList {
  const out: PostList = { order: [], posts: {}, next_post_id: '', prev_post_id: '', ...extra }
  for (const p of posts) {
    out.order.push(p.id)
    out.posts[p.id] = sanitizePost(p)
  }
  return out
}

/** Parse a multipart/form-data body (the emulator buffers; fine for tests). */
function parseMultipart(
  body: Buffer,
  contentType: string,
): Array<{ name: string; filename?: string; data: Buffer }> {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType)
  if (!boundary) throw badParam('boundary')
  const delim = Buffer.from(`--${boundary[1] ?? boundary[2]}`)
  const parts: Array<{ name: string; filename?: string; data: Buffer }> = []
  let pos = body.indexOf(delim)
  while (pos >= 0) {
    const start = pos + delim.length
    if (body.subarray(start, start + 2).toString() === '--') break
    const headEnd = body.indexOf('\r\n\r\n', start)
    if (headEnd < 0) break
    const head = body.subarray(start, headEnd).toString()
    const next = body.indexOf(delim, headEnd)
    if (next < 0) break
    const data = body.subarray(headEnd + 4, next - 2)
    const name = /name="([^"]*)"/i.exec(head)?.[1] ?? ''
    const filename = /filename="([^"]*)"/i.exec(head)?.[1]
    parts.push({ name, ...(filename !== undefined ? { filename } : {}), data })
    pos = next
  }
  return parts
}

const MIME: Record<string, string> = {
  txt: 'text/plain',
  md: 'text/markdown',
  json: 'application/json',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  pdf: 'application/pdf',
  csv: 'text/csv',
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
  const editable = (ctx: Ctx, p: Post): void => {
    const me = ctx.user()
    if (p.user_id !== me.id && !me.roles.includes('system_admin')) throw forbidden()
    if (p.type.startsWith('system_'))
      throw new AppError(
        400,
        'api.post.update_post.system_message.app_error',
        'Unable to update system message.',
      )
  }
  const edited = (p: Post, messageChanged: boolean): void => {
    p.update_at = store.now()
    if (messageChanged) p.edit_at = p.update_at
    store.touch('post', p.id)
    hub.broadcast('post_edited', { post: JSON.stringify(sanitizePost(p)) }, { channel_id: p.channel_id })
  }

  app.route('POST', '/api/v4/posts', async ctx => {
    const me = ctx.user()
    const body = await ctx.json<Record<string, unknown>>()
    if (!body || typeof body !== 'object') throw badParam('post')
    return { status: 201, body: sanitizePost(createPost(app, me, body)) }
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
  app.route('PUT', '/api/v4/posts/:post_id', async ctx => {
    const p = postOr404(ctx)
    editable(ctx, p)
    const b = await ctx.json<Partial<Post>>()
    if (!b || b.id !== p.id) throw badParam('id')
    const changed = typeof b.message === 'string' && b.message !== p.message
    if (typeof b.message === 'string') p.message = b.message
    if (b.props) p.props = b.props
    if (b.file_ids) p.file_ids = b.file_ids
    edited(p, changed)
    return { body: sanitizePost(p) }
  })
  app.route('PUT', '/api/v4/posts/:post_id/patch', async ctx => {
    const p = postOr404(ctx)
    editable(ctx, p)
    const b = await ctx.json<Partial<Post>>()
    const changed = typeof b?.message === 'string' && b.message !== p.message
    if (typeof b?.message === 'string') p.message = b.message
    if (b?.props) p.props = b.props
    if (typeof b?.is_pinned === 'boolean') p.is_pinned = b.is_pinned
    if (Array.isArray(b?.file_ids)) p.file_ids = b.file_ids
    edited(p, changed)
    return { body: sanitizePost(p) }
  })
  app.route('DELETE', '/api/v4/posts/:post_id', ctx => {
    const p = postOr404(ctx)
    editable(ctx, p)
    p.delete_at = store.now()
    p.update_at = p.delete_at
    store.touch('post', p.id)
    hub.broadcast('post_deleted', { post: JSON.stringify(sanitizePost(p)) }, { channel_id: p.channel_id })
    return OK
  })
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
  app.route('GET', '/api/v4/posts/:post_id/thread', ctx => {
    const perPage = Number(ctx.query.get('perPage') ?? 0)
    if (!Number.isInteger(perPage) || perPage < 0 || perPage > 200) throw badUrlParam('perPage')
    const p = postOr404(ctx)
    const rootId = p.root_id || p.id
    const root = store.posts.get(rootId)!
    const replies = (store.postsByChannel.get(p.channel_id) ?? []).filter(
      x => x.root_id === rootId && !x.delete_at,
    )
    return { body: list([root, ...replies].reverse(), { has_next: false }) }
  })
  app.route('GET', '/api/v4/posts/:post_id/files/info', ctx => {
    const p = postOr404(ctx)
    return { body: (p.file_ids ?? []).map(id => store.files.get(id)?.info).filter(Boolean) }
  })
  app.route('GET', '/api/v4/channels/:channel_id/posts', ctx => {
    const ch = readableChannel(app, ctx, ctx.params.channel_id!)
    const all = store.postsByChannel.get(ch.id) ?? []
    const since = Number(ctx.query.get('since') ?? 0)
    if (since > 0) {
      const hits = all.filter(p => p.update_at > since || p.create_at > since).slice(-1000)
      return { body: list(hits.reverse()) }
    }
    const live = all.filter(p => !p.delete_at)
    const perPage = Math.min(200, Math.max(1, Number(ctx.query.get('per_page') ?? 60) || 60))
    const pg = Math.max(0, Number(ctx.query.get('page') ?? 0) || 0)
    const after = ctx.query.get('after')
    const before = ctx.query.get('before')
    let slice: Post[]
    if (after) {
      if (!isValidId(after)) throw badUrlParam('after')
      const i = live.findIndex(p => p.id === after)
      slice = i < 0 ? [] : live.slice(i + 1 + pg * perPage, i + 1 + (pg + 1) * perPage)
    } else if (before) {
      if (!isValidId(before)) throw badUrlParam('before')
      const i = live.findIndex(p => p.id === before)
      const end = i < 0 ? 0 : i - pg * perPage
      slice = live.slice(Math.max(0, end - perPage), Math.max(0, end))
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
    const b = await ctx.json<Partial<Reaction>>()
    if (!b || b.user_id !== me.id) throw badParam('user_id')
    if (!isValidId(b.post_id)) throw badParam('post_id')
    if (!b.emoji_name || b.emoji_name.length > 64 || !/^[a-zA-Z0-9\-+_]+$/.test(b.emoji_name))
      throw badParam('emoji_name')
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
    return { status: 201, body: r }
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

  // --- files ---
  const saveFile = (ctx: Ctx, channelId: string, name: string, data: Buffer): FileInfo => {
    const me = ctx.user()
    if (!isValidId(channelId)) throw badParam('channel_id')
    readableChannel(app, ctx, channelId)
    if (!store.isChannelMember(channelId, me.id)) throw forbidden()
    if (data.length > app.config.MaxFileSize)
      throw new AppError(413, 'api.file.upload_file.too_large_detailed.app_error', 'File too large.')
    const t = store.now()
    const ext = name.includes('.') ? name.split('.').pop()!.toLowerCase() : ''
    const info: FileInfo = {
      id: newId(),
      user_id: me.id,
      channel_id: channelId,
      post_id: '',
      create_at: t,
      update_at: t,
      delete_at: 0,
      name,
      extension: ext,
      size: data.length,
      mime_type: MIME[ext] ?? 'application/octet-stream',
      width: 0,
      height: 0,
      has_preview_image: false,
      mini_preview: null,
      archived: false,
    }
    store.files.set(info.id, { info, data })
    store.touch('file', info.id)
    return info
  }
  app.route('POST', '/api/v4/files', async ctx => {
    ctx.user()
    const ct = ctx.req.headers['content-type'] ?? ''
    if (Number(ctx.req.headers['content-length'] ?? -1) === 0)
      throw new AppError(
        400,
        'api.file.upload_file.read_request.app_error',
        'Unable to upload file(s). Error reading or parsing request data.',
      )
    const body = await ctx.raw(app.config.MaxFileSize + 64 * 1024)
    if (ct.startsWith('multipart/form-data')) {
      const parts = parseMultipart(body, ct)
      const channelId =
        parts.find(p => p.name === 'channel_id')?.data.toString() ?? ctx.query.get('channel_id') ?? ''
      const clientIds = parts.filter(p => p.name === 'client_ids').map(p => p.data.toString())
      const files = parts.filter(p => p.filename !== undefined)
      if (!files.length)
        throw new AppError(400, 'api.file.upload_file.read_request.app_error', 'No files in request.')
      if (clientIds.length && clientIds.length !== files.length) throw badParam('client_ids')
      const infos = files.map(f => saveFile(ctx, channelId, f.filename!, f.data))
      return { status: 201, body: { file_infos: infos, client_ids: clientIds } }
    }
    const channelId = ctx.query.get('channel_id') ?? ''
    const filename = ctx.query.get('filename')
    if (!filename) throw badUrlParam('filename')
    const info = saveFile(ctx, channelId, filename, body)
    const cid = ctx.query.get('client_id')
    return { status: 201, body: { file_infos: [info], client_ids: cid ? [cid] : [] } }
  })
  const fileOr404 = (ctx: Ctx) => {
    const me = ctx.user()
    const f = store.files.get(ctx.params.file_id!)
    if (!f) throw notFound('app.file_info.get.app_error', 'file')
    if (f.info.user_id !== me.id && !store.isChannelMember(f.info.channel_id ?? '', me.id)) throw forbidden()
    return f
  }
  app.route('GET', '/api/v4/files/:file_id/info', ctx => ({ body: fileOr404(ctx).info }))
  app.route('GET', '/api/v4/files/:file_id/link', ctx => {
    fileOr404(ctx)
    return { body: { link: `${app.config.SiteURL}/files/${ctx.params.file_id}/public?h=${newId()}` } }
  })
  app.route('GET', '/api/v4/files/:file_id', ctx => {
    const f = fileOr404(ctx)
    const disp = ctx.query.get('download') === '1' ? 'attachment' : 'inline'
    ctx.res.writeHead(200, {
      'Content-Type': f.info.mime_type,
      'Content-Length': f.data.length,
      'Content-Disposition': `${disp}; filename="${encodeURIComponent(f.info.name)}"`,
      'X-Request-ID': ctx.requestId,
    })
    ctx.res.end(f.data)
    return undefined
  })
}
