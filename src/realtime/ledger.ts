/**
 * `PostLedger`: what the realtime client knows about delivered posts — the server time up to which
 * posts are known delivered (where a lost resume backfills from), the last post per channel with
 * the ids delivered in its millisecond (posts can share one), and the ids a backfill delivered
 * (so the same post arriving live is dropped).
 * @module
 */
import type { Post } from '../types/index.js'

const DEDUPE_SIZE = 10_000
/** Ids kept per channel for its last millisecond. */
const SAME_MS_IDS = 64

/** Delivery bookkeeping for one realtime stream. */
export class PostLedger {
  /** Server time (ms) up to which posts are known delivered; a lost resume backfills from here. */
  lastPostAt = 0
  /** No post delivered yet: `lastPostAt` is the connect time, which a ping reply may correct. */
  #isBaseline = false
  /** Server clock minus ours (ms), learnt from ping replies. */
  #clockSkew = 0
  /** Post ids a backfill delivered, bounded by a ring. */
  #replayed = new Set<string>()
  #ring: string[] = []
  #ringPos = 0
  /**
   * Per channel: the last delivered post, and the posts delivered in its millisecond (reused in
   * place: no allocation per post). At most `SAME_MS_IDS` are kept: should more posts of one
   * channel share one millisecond, a backfill from it may deliver the others again (as
   * `replayed`) rather than lose them.
   */
  #lastByChannel = new Map<string, { id: string; create_at: number; ids: string[] }>()

  /** First connection: everything from now on must reach the listeners, even if the very first resume is lost. */
  baselineIfEmpty(): void {
    if (this.lastPostAt !== 0) return
    this.lastPostAt = Date.now() + this.#clockSkew
    this.#isBaseline = true
  }

  /** Learn the server's clock from a ping reply; corrects the first connection's baseline. */
  learnClock(serverTime: number, sentAt: number, receivedAt: number): void {
    this.#clockSkew = serverTime - Math.round((sentAt + receivedAt) / 2)
    if (this.#isBaseline) this.lastPostAt = sentAt + this.#clockSkew
  }

  /**
   * Record a post about to be delivered; `false` when it was already delivered.
   *
   * Events of one connection never repeat (a resume replays from the next seq), and a backfill only
   * fetches posts newer than the last one delivered in each channel. So only posts a backfill
   * delivered can come again (as live events that were in flight): only those are kept.
   */
  admit(post: Post, replayed: boolean): boolean {
    if (this.#replayed.size > 0 && this.#replayed.has(post.id)) return false
    if (replayed) {
      this.#replayed.add(post.id)
      const evicted = this.#ring[this.#ringPos]
      if (evicted !== undefined) this.#replayed.delete(evicted)
      this.#ring[this.#ringPos] = post.id
      this.#ringPos = (this.#ringPos + 1) % DEDUPE_SIZE
    }
    if (post.create_at > this.lastPostAt || this.#isBaseline) this.lastPostAt = post.create_at
    this.#isBaseline = false
    if (!post.delete_at) {
      const last = this.#lastByChannel.get(post.channel_id)
      if (!last) {
        this.#lastByChannel.set(post.channel_id, { id: post.id, create_at: post.create_at, ids: [post.id] })
      } else if (post.create_at > last.create_at) {
        last.id = post.id
        last.create_at = post.create_at
        last.ids.length = 0
        last.ids.push(post.id)
      } else if (post.create_at === last.create_at) {
        last.id = post.id
        if (last.ids.length < SAME_MS_IDS) last.ids.push(post.id)
      }
    }
    return true
  }

  /**
   * Whether a post was already delivered, as far as a backfill can ask: one a backfill delivered,
   * or one delivered in its channel's last millisecond (a backfill walks from that millisecond).
   */
  isDelivered(post: Pick<Post, 'id' | 'channel_id'>): boolean {
    return this.#replayed.has(post.id) || !!this.#lastByChannel.get(post.channel_id)?.ids.includes(post.id)
  }

  /** The last post delivered in a channel (its id and `create_at`). */
  lastIn(channelId: string): { id: string; create_at: number } | undefined {
    const last = this.#lastByChannel.get(channelId)
    return last && { id: last.id, create_at: last.create_at }
  }
}
