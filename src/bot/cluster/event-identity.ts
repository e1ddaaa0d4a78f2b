/**
 * The identity of a realtime event across replicas: every replica's socket receives the same
 * event with its own `seq`, so the claim key is built from what the event is about. The table is
 * in docs/cluster.md.
 * @module
 */
import { createHash } from 'node:crypto'
import type { RealtimeEvent } from '../../realtime/events.js'
import type { Post, Reaction } from '../../types/index.js'

/**
 * The claim key of an event. Posts are named by id (plus `edit_at`/`update_at` for edits, and
 * `delete_at` for deletions, so a second edit is a new event); reactions by post, user, emoji and
 * time; anything else by a hash of its payload and broadcast, which every replica receives alike.
 */
export function eventIdentity(ev: RealtimeEvent): string {
  const data = ev as unknown as { post?: Post; reaction?: Reaction }
  switch (ev.event) {
    case 'posted':
      return `posted:${data.post?.id}`
    case 'post_edited':
      return `post_edited:${data.post?.id}:${data.post?.edit_at || data.post?.update_at}`
    case 'post_deleted':
      return `post_deleted:${data.post?.id}:${data.post?.delete_at}`
    case 'reaction_added':
    case 'reaction_removed': {
      const r = data.reaction
      return `${ev.event}:${r?.post_id}:${r?.user_id}:${r?.emoji_name}:${r?.create_at}`
    }
    default: {
      // Same event, same bytes on every replica's socket (the data and broadcast, not the seq).
      const h = createHash('sha1')
        .update(JSON.stringify([ev.data, ev.broadcast]))
        .digest('base64url')
      return `${ev.event}:${h}`
    }
  }
}
