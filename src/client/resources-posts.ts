/**
 * Endpoint groups: posts, reactions, files.
 * @module
 */

import type { Readable } from 'node:stream'
import { builtin } from '../core/builtins.js'
import { ArgumentError } from '../core/errors.js'
import type {
  FileInfo,
  FileUploadResponse,
  Post,
  PostList,
  PostSearchResults,
  Reaction,
  StatusOK,
} from '../types/index.js'
import { NotFoundError } from './errors.js'
import { walkPostsAfter } from './post-walk.js'
import { enc, type Opts, o, type PageParams, type Requester } from './resource-base.js'

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
  create(post: CreatePost, opts?: Opts & { setOnline?: boolean }): Promise<Post> {
    const body = { ...post, pending_post_id: post.pending_post_id ?? this.pendingId() }
    // `set_online=false`: posting does not mark the author online (a bot stays as it is).
    const query = opts?.setOnline === false ? { set_online: false } : undefined
    return this.r.request('POST', '/posts', {
      body,
      idempotent: true,
      ...(query ? { query } : {}),
      ...o(opts),
    })
  }
  /**
   * Earlier versions of one of your own posts, newest first (`GET /posts/{id}/edit_history`).
   * Only the author may read them; a post never edited is a `NotFoundError`.
   *
   * @example
   * ```ts
   * const [previous] = await mm.posts.editHistory(post.id)
   * ```
   */
  editHistory(id: string): Promise<Post[]> {
    return this.r.request('GET', `/posts/${enc(id)}/edit_history`)
  }
  get(id: string): Promise<Post> {
    return this.r.request('GET', `/posts/${enc(id)}`)
  }
  /**
   * Update a post: the fields given change, the others stay. It goes through the patch endpoint,
   * because Mattermost's `PUT /posts/{id}` blanks every field the body leaves out, and a client
   * cannot send the post back whole: what it reads has the buttons' integrations stripped, so
   * they would stop working.
   *
   * @example
   * ```ts
   * await mm.posts.update(post.id, { message: 'Deployed ✅' }) // attachments and buttons stay
   * ```
   */
  update(
    id: string,
    patch: Pick<Partial<Post>, 'message' | 'props' | 'is_pinned' | 'file_ids' | 'has_reactions'>,
  ): Promise<Post> {
    const { message, props, is_pinned, file_ids, has_reactions } = patch
    return this.r.request('PUT', `/posts/${enc(id)}/patch`, {
      body: { message, props, is_pinned, file_ids, has_reactions },
    })
  }
  delete(id: string): Promise<StatusOK> {
    return this.r.request('DELETE', `/posts/${enc(id)}`)
  }
  /**
   * A post's thread. Without `perPage`, the whole thread; with it, a page after the cursor
   * (`fromCreateAt`, and `fromPost` for posts in the same millisecond) in `direction` order, and
   * `has_next` says whether more follow. The asked post is always first.
   */
  thread(
    id: string,
    opts: { perPage?: number; fromCreateAt?: number; fromPost?: string; direction?: 'up' | 'down' } = {},
  ): Promise<PostList> {
    return this.r.request('GET', `/posts/${enc(id)}/thread`, {
      query: {
        perPage: opts.perPage,
        fromCreateAt: opts.fromCreateAt,
        fromPost: opts.fromPost,
        direction: opts.direction,
      },
    })
  }
  /** One page of a channel's posts (newest first). `since` wins over `after` over `before`. */
  forChannel(
    channelId: string,
    p: PageParams & { since?: number; before?: string; after?: string } = {},
    opts?: Opts,
  ): Promise<PostList> {
    return this.r.request('GET', `/channels/${enc(channelId)}/posts`, {
      query: { page: p.page, per_page: p.perPage, since: p.since, before: p.before, after: p.after },
      ...o(opts),
    })
  }
  /**
   * Every post of a channel, oldest first (or those created after `since`, or after the post
   * `after`), walking `after` cursors.
   *
   * Posts created in the same millisecond share their `create_at`, and the server's `after`
   * query skips the cursor's millisecond: the walk re-anchors so that none is lost. With
   * `after`, posts sharing that post's millisecond are included (the server cannot order them
   * against it): a caller resuming from its last seen post passes, in `seen`, the ids it has of
   * that millisecond, and gets each post once. `after` may be that post's `{ id, create_at }`
   * (no lookup, and it works even if the post was deleted since).
   *
   * @example
   * ```ts
   * for await (const p of mm.posts.iterateChannel(channelId)) console.log(p.message)
   * ```
   */
  async *iterateChannel(
    channelId: string,
    opts: {
      since?: number
      after?: string | { id: string; create_at: number }
      seen?: Iterable<string>
      perPage?: number
    } = {},
  ): AsyncGenerator<Post> {
    const perPage = Math.min(200, opts.perPage ?? 200)
    const after = opts.after
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
    // The cursor's millisecond: unknown if the post can no longer be read (deleted), and then
    // only later posts come (as the server's own `after` gives them).
    const from =
      typeof after === 'object'
        ? after
        : await this.get(after).catch((err: unknown) => {
            if (err instanceof NotFoundError) return { id: after }
            throw err
          })
    const seen = new Set(opts.seen)
    yield* walkPostsAfter(q => this.forChannel(channelId, q), from, { perPage, skip: p => seen.has(p.id) })
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

/**
 * A file name as a multipart quoted-string. The server reads it with Go's mime.ParseMediaType,
 * which unescapes `\\x` (Go's mime/multipart writer escapes `\\` and `"` the same way); CR and LF
 * would end the header line, so they are percent-encoded as the WHATWG form encoding does.
 */
function quoteFilename(name: string): string {
  return name.replace(/[\\"\r\n]/g, c => (c === '\r' ? '%0D' : c === '\n' ? '%0A' : `\\${c}`))
}

/** A file to upload: bytes, a stream, or a path on disk. */
export interface UploadFile {
  name?: string
  data: Buffer | Readable | string
}

/** A path that can't be read is the caller's mistake, named as such, not a network failure later. */
async function checkPaths(list: readonly UploadFile[]): Promise<void> {
  for (const f of list) {
    if (typeof f.data !== 'string') continue
    try {
      const st = await builtin('node:fs').promises.stat(f.data)
      if (!st.isFile()) throw new ArgumentError(`files.upload: ${f.data} is not a file.`)
    } catch (err) {
      if (err instanceof ArgumentError) throw err
      const code = (err as NodeJS.ErrnoException).code
      throw new ArgumentError(
        `files.upload: cannot read ${f.data} (${code === 'ENOENT' ? 'no such file' : (code ?? String(err))}). A string \`data\` is a path; pass a Buffer for content.`,
      )
    }
  }
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
    await checkPaths(list)
    const boundary = `----matterkit${Math.random().toString(36).slice(2)}`
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="channel_id"\r\n\r\n${channelId}\r\n`,
      )
      for (const f of list) {
        const name = f.name ?? (typeof f.data === 'string' ? builtin('node:path').basename(f.data) : 'file')
        yield Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${quoteFilename(name)}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
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
