/**
 * What `waitForPost` looks for: a predicate or a small pattern object.
 * @module
 */
import type { Post } from '../types/index.js'

/**
 * A pattern for {@link TestServer.waitForPost}. Every given field must match.
 * - `channel`: a seed key (`'townSquare'`), a channel name (`'town-square'`) or a channel id.
 * - `user`: a seed key (`'bot'`), a username (`'matterbot'`) or a user id: the post's author.
 * - `text`: a string matches when the message contains it; a RegExp when it matches the message.
 * - `rootId`: the post is a reply in that thread.
 *
 * @example
 * ```ts
 * const match: PostMatch = { channel: 'townSquare', user: 'bot', text: /^pong/ }
 * ```
 */
export interface PostMatch {
  channel?: string
  user?: string
  text?: string | RegExp
  rootId?: string
}

/**
 * A predicate over posts, for matches a {@link PostMatch} cannot express.
 *
 * @example
 * ```ts
 * const hasButtons: PostPredicate = p => (p.props.attachments?.length ?? 0) > 0
 * ```
 */
export type PostPredicate = (post: Post) => boolean

/** `match` with `channel` and `user` already resolved to ids. */
export function toPredicate(
  match: PostMatch | PostPredicate,
  ids: { channelId?: string | undefined; userId?: string | undefined },
): PostPredicate {
  if (typeof match === 'function') return match
  const { text, rootId } = match
  // One copy without g/y, so `test` keeps no lastIndex between posts (and the caller's is untouched).
  const re = text instanceof RegExp ? new RegExp(text.source, text.flags.replace(/[gy]/g, '')) : undefined
  return p =>
    (ids.channelId === undefined || p.channel_id === ids.channelId) &&
    (ids.userId === undefined || p.user_id === ids.userId) &&
    (rootId === undefined || p.root_id === rootId) &&
    (text === undefined || (re ? re.test(p.message) : p.message.includes(text as string)))
}

/** Human-readable description of a match, for error messages. */
export function describeMatch(match: PostMatch | PostPredicate): string {
  if (typeof match === 'function') return `a post matching ${match.name || 'the predicate'}`
  const parts: string[] = []
  if (match.text !== undefined)
    parts.push(
      typeof match.text === 'string' ? `containing ${JSON.stringify(match.text)}` : `matching ${match.text}`,
    )
  if (match.user !== undefined) parts.push(`by ${match.user}`)
  if (match.channel !== undefined) parts.push(`in ${match.channel}`)
  if (match.rootId !== undefined) parts.push(`in thread ${match.rootId}`)
  return parts.length ? `a post ${parts.join(' ')}` : 'any post'
}

/** `12:34:56.789` (UTC). */
export function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23)
}
