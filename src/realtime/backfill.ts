/**
 * The REST backfill that runs after a lost resume: every post the stream missed, oldest first,
 * once per channel. It walks `after` cursors from the last post delivered in each channel (the
 * server's `since` query stops at 1000 posts and is unordered); in a channel where nothing was
 * delivered yet, it pages back from the newest post to `since`.
 * @module
 */
import type { RestClient } from '../client/client.js'
import { type PostCursor, walkPostsAfter } from '../client/post-walk.js'
import type { Channel, Post } from '../types/index.js'
import type { PostedEvent } from './events.js'

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
  /** Hand one missed post to the listeners, as the `posted` event the server would have sent. */
  deliver(ev: PostedEvent): void
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
      pass.deliver(postedEvent(p, c))
    }
  }
  return { channels, posts, since }
}

/** The user's channels, across teams, that had a post after `since`. */
async function channelsTouchedSince(client: RestClient, since: number, limit: number): Promise<Channel[]> {
  const seen = new Set<string>()
  const touched: Channel[] = []
  for (const t of await client.teams.forUser('me')) {
    for (const c of await client.channels.forUser('me', t.id)) {
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
  const walk = walkPostsAfter(q => client.posts.forChannel(channelId, q), from, {
    perPage: PAGE,
    skip: p => pass.isDelivered(p),
    max,
  })
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
    const list = await client.posts.forChannel(channelId, { page, perPage: PAGE })
    const items = list.order.map(id => list.posts[id]!)
    out.push(...items.filter(p => p.create_at >= since))
    if (items.length < PAGE || items.some(p => p.create_at < since)) break
  }
  return out.reverse() // oldest first, like the server's own order of posts sharing a millisecond
}

/**
 * The `posted` event for a post fetched over REST. `data` holds what the frame would have held
 * except the post itself (already decoded); `mentions` is empty, since only the live frame
 * carries the server's mention list for this user.
 */
function postedEvent(p: Post, c: Channel): PostedEvent {
  return {
    event: 'posted',
    data: {
      channel_type: c.type,
      channel_name: c.name,
      channel_display_name: c.display_name,
      team_id: c.team_id,
    },
    broadcast: { omit_users: null, user_id: '', channel_id: c.id, team_id: '' },
    seq: -1,
    replayed: true,
    post: p,
    channelType: c.type,
    channelName: c.name,
    channelDisplayName: c.display_name,
    senderName: '',
    teamId: c.team_id,
    mentions: [],
  }
}
