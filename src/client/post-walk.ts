/**
 * Walking a channel forward from a post, without losing posts that share a millisecond.
 *
 * Mattermost stamps posts with the server clock in ms, so posts created in the same millisecond
 * share their `create_at`; its `after` and `before` queries compare `create_at` with the cursor
 * post's, strictly. A naive walk (`after` = the last post of each page) therefore skips every
 * post of the page's last millisecond that did not fit in the page, and every post that shares
 * the starting post's millisecond. This walk re-anchors each page on the last post of an earlier
 * millisecond, and fetches the starting post's millisecond with a `before` query.
 * @module
 */
import type { Post, PostList } from '../types/index.js'

/** One page of a channel's posts, as `GET /channels/{id}/posts` answers it (newest first). */
export type PostPageFetch = (q: {
  after?: string
  before?: string
  page: number
  perPage: number
}) => Promise<PostList>

/** Where a walk starts: a post, by id and `create_at` (unknown for a post one can no longer read). */
export interface PostCursor {
  id: string
  create_at?: number
}

/**
 * Every post after `from`, oldest first: those with a later `create_at`, and those sharing its
 * millisecond (which the server cannot order against it), except `from` itself and those `skip`
 * names. Posts created during the walk may or may not be included.
 */
export async function* walkPostsAfter(
  fetchPage: PostPageFetch,
  from: PostCursor,
  opts: { perPage: number; skip?: (post: Post) => boolean; max?: number },
): AsyncGenerator<Post> {
  const { perPage } = opts
  const max = opts.max ?? Number.POSITIVE_INFINITY
  const skip = opts.skip ?? (() => false)
  const ascending = (list: PostList): Post[] =>
    list.order
      .map(id => list.posts[id])
      .filter((p): p is Post => !!p)
      .reverse()
  let items = ascending(await fetchPage({ after: from.id, page: 0, perPage }))
  // The starting millisecond: the newest posts before the first later one (or before nothing).
  const first = items[0]
  const at = from.create_at
  const same: Post[] = []
  // by id: a post created between two pages shifts the offsets, so one may come twice
  const collected = new Set<string>([from.id])
  for (let page = 0; at !== undefined && same.length < max; page++) {
    const list = await fetchPage(first ? { before: first.id, page, perPage } : { page, perPage })
    const desc = ascending(list).reverse()
    let done = desc.length < perPage
    for (const p of desc) {
      if (p.create_at < at) {
        done = true
        break
      }
      if (collected.has(p.id)) continue
      collected.add(p.id)
      same.push(p)
    }
    if (done) break
  }
  same.reverse()
  if (!first && at !== undefined) {
    // Nothing was later at the first query: the newest pages hold every post from `from` on.
    for (const p of same) if (!skip(p)) yield p
    return
  }
  for (const p of same) if (p.create_at === at && !skip(p)) yield p
  let cursor = from.id
  let page = 0
  let seen = new Set<string>()
  for (;;) {
    for (const p of items) if (!seen.has(p.id) && !skip(p)) yield p
    if (items.length < perPage) return
    const last = items[items.length - 1]!.create_at
    let anchor = -1
    for (let i = items.length - 1; i >= 0; i--)
      if (items[i]!.create_at < last) {
        anchor = i
        break
      }
    if (anchor >= 0) {
      // Next page from the last post of an earlier millisecond: the page's last millisecond
      // comes again whole; the part already yielded is skipped.
      cursor = items[anchor]!.id
      page = 0
      seen = new Set(items.slice(anchor + 1).map(p => p.id))
    } else {
      // A whole page in one millisecond: page on from the same cursor.
      page++
      for (const p of items) seen.add(p.id)
    }
    items = ascending(await fetchPage({ after: cursor, page, perPage }))
  }
}
