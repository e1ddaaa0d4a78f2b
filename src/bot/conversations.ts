/**
 * `waitForReply`: pending waits per channel; an incoming post that answers one is handed to it
 * instead of the listeners.
 * @module
 */
import { MatterkitError } from '../core/errors.js'
import type { Post } from '../types/index.js'
import type { ReplyWait } from './contexts/base.js'

interface Waiter extends ReplyWait {
  resolve(p: Post): void
  reject(e: Error): void
  timer: NodeJS.Timeout
}

/**
 * The pending `waitForReply` calls of a bot.
 *
 * @example
 * ```ts
 * const conv = new Conversations()
 * const reply = conv.wait({ channelId, userId, roots: [''], timeoutMs: 60_000 })
 * conv.answer(incomingPost) // true when it resolved a wait
 * ```
 */
export class Conversations {
  readonly #waiters = new Map<string, Waiter[]>()

  /** Pending waits. */
  get size(): number {
    let n = 0
    for (const l of this.#waiters.values()) n += l.length
    return n
  }

  /** Wait for a post matching `w`; rejects with `MK_ERR_CONVERSATION_TIMEOUT` after `w.timeoutMs`. */
  wait(w: ReplyWait): Promise<Post> {
    return new Promise<Post>((resolve, reject) => {
      const waiter: Waiter = {
        ...w,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.#drop(waiter)
          reject(
            new MatterkitError(
              'MK_ERR_CONVERSATION_TIMEOUT',
              `No reply within ${w.timeoutMs} ms; the conversation ended.`,
            ),
          )
        }, w.timeoutMs),
      }
      const list = this.#waiters.get(w.channelId)
      if (list) list.push(waiter)
      else this.#waiters.set(w.channelId, [waiter])
    })
  }

  #drop(w: Waiter): void {
    const list = this.#waiters.get(w.channelId)
    if (!list) return
    const i = list.indexOf(w)
    if (i >= 0) list.splice(i, 1)
    if (!list.length) this.#waiters.delete(w.channelId)
  }

  /** Hand `p` to the oldest wait it answers (same channel, user and thread); true if one took it. */
  answer(p: Post): boolean {
    const list = this.#waiters.get(p.channel_id)
    if (!list) return false
    const w = list.find(
      x => x.userId === p.user_id && x.roots.includes(p.root_id || '') && (!x.filter || x.filter(p)),
    )
    if (!w) return false
    clearTimeout(w.timer)
    this.#drop(w)
    w.resolve(p)
    return true
  }

  /** Reject every pending wait (on stop). */
  cancelAll(reason: string): void {
    for (const list of [...this.#waiters.values()])
      for (const w of [...list]) {
        clearTimeout(w.timer)
        this.#drop(w)
        w.reject(new MatterkitError('MK_ERR_ABORTED', reason))
      }
  }
}
