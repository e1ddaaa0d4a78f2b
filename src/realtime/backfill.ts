/**
 * The REST backfill that runs after a lost resume: every post the stream missed, oldest first,
 * once per channel. It walks `after` cursors from the last post delivered in each channel (the
 * server's `since` query stops at 1000 posts and is unordered); in a channel where nothing was
 * delivered yet, it pages back from the newest post to `since`.
 * @module
 */
import type { RestClient } from '../client/client.js'
import { type PostCursor, type PostPageFetch, walkPostsAfter } from '../client/post-walk.js'
import type { Channel, Post, PostList, RawWebSocketEvent, Team } from '../types/index.js'

/** Details of a resync after a lost resume. */
export interface ResyncInfo {
  /** Channels that had posts since the gap. */
  channels: number
  /** Posts delivered by the backfill (flagged `replayed`). */
  posts: number
  /** Server time (ms) the backfill started from. */
  since: number
}

/** Inputs of one backfill pass. */
export interface BackfillPass {
  /** Posts created after this server time (ms) are candidates. */
  since: number
  limits: { maxChannels?: number; maxPostsPerChannel?: number }
  /** The last post delivered in a channel, if any. */
  lastIn(channelId: string): PostCursor | undefined
  isDelivered(post: Post): boolean
  /** Hand one missed post to the listeners, as a `posted` frame. */
  deliver(raw: RawWebSocketEvent): void
}

const PAGE = 200

/** Run one backfill pass over the user's channels. Throws when a REST call fails (the caller retries). */
export async function backfillPosts(client: RestClient, pass: BackfillPass): Promise<ResyncInfo> {
  const { since, limits } = pass
  const max = limits.maxPostsPerChannel ?? 5000
  let posts = 0
  let channels = 0
  for (const c of await channelsTouchedSince(client, since, limits.maxChannels ?? 500)) {
    channels++
    const from = pass.lastIn(c.id)
    const fresh = (
      from ? await postsAfter(client, c.id, from, pass, max) : await postsSince(client, c.id, since, max)
    )
      .filter(p => !p.delete_at)
      .sort((a, b) => a.create_at - b.create_at)
      .slice(0, max)
    for (const p of fresh) {
      if (pass.isDelivered(p)) continue
      posts++
      pass.deliver(asPostedFrame(p, c))
    }
  }
  return { channels, posts, since }
}

/** The user's channels, across teams, that had a post after `since`. */
async function channelsTouchedSince(client: RestClient, since: number, limit: number): Promise<Channel[]> {
  const teams = await client.request<Team[]>('GET', '/users/me/teams')
  const seen = new Set<string>()
  const touched: Channel[] = []
  for (const t of teams) {
    for (const c of await client.request<Channel[]>('GET', `/users/me/teams/${t.id}/channels`)) {
      if (seen.has(c.id)) continue
      seen.add(c.id)
      // ≥: a post in the same millisecond as the last one delivered may still be missing
      if (c.last_post_at >= since) touched.push(c)
    }
  }
  return touched.slice(0, limit)
}

/** Posts after the channel's last delivered one, oldest first (tie-safe `after` cursors, no 1000 cap). */
async function postsAfter(
  client: RestClient,
  channelId: string,
  from: PostCursor,
  pass: BackfillPass,
  max: number,
): Promise<Post[]> {
  const out: Post[] = []
  const fetchPage: PostPageFetch = q =>
    client.request<PostList>('GET', `/channels/${channelId}/posts`, {
      query: { after: q.after, before: q.before, page: q.page, per_page: q.perPage },
    })
  const walk = walkPostsAfter(fetchPage, from, { perPage: PAGE, skip: p => pass.isDelivered(p), max })
  for await (const p of walk) {
    out.push(p)
    if (out.length >= max) break
  }
  return out
}

/**
 * Posts created at or after `since` (the last delivered post's millisecond, which other posts may
 * share), paging back from the newest (the `since` query stops at 1000). Only for channels where
 * nothing was delivered, so nothing here was.
 */
async function postsSince(
  client: RestClient,
  channelId: string,
  since: number,
  max: number,
): Promise<Post[]> {
  const out: Post[] = []
  for (let page = 0; out.length < max; page++) {
    const list = await client.request<PostList>('GET', `/channels/${channelId}/posts`, {
      query: { page, per_page: PAGE },
    })
    const items = list.order.map(id => list.posts[id]!)
    out.push(...items.filter(p => p.create_at >= since))
    if (items.length < PAGE || items.some(p => p.create_at < since)) break
  }
  return out.reverse() // oldest first, like the server's own order of posts sharing a millisecond
}

/** A REST post dressed as the `posted` frame the server would have sent. */
function asPostedFrame(p: Post, c: Channel): RawWebSocketEvent {
  return {
    event: 'posted',
    data: {
      post: JSON.stringify(p),
      channel_type: c.type,
      channel_name: c.name,
      channel_display_name: c.display_name,
      team_id: c.team_id,
      sender_name: '',
    },
    broadcast: { omit_users: null, user_id: '', channel_id: c.id, team_id: '' },
    seq: -1,
  }
}
