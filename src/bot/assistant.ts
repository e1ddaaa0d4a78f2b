/**
 * `bot.assistant()`: what an AI assistant bot listens to and how questions in one thread overlap.
 * It answers DMs and @-mentions; in a thread it has answered, follow-ups need no new mention; it
 * always answers in the thread. Webhook posts are ignored; another bot's posts too, unless they
 * carry `props.activate_ai` (as the Agents plugin's `handleMessages` does).
 * @module
 */
import { ArgumentError } from '../core/errors.js'
import type { Post } from '../types/index.js'
import { INTERRUPT } from './contexts/base.js'
import { IN_THREAD, type MessageContext } from './contexts/message.js'
import type { ControlStore } from './controls.js'

/**
 * What happens to a new question in a thread whose previous answer is still running:
 * `'queue'` waits for it (default), `'drop'` ignores the new one, `'interrupt'` stops the running
 * answer (its `ctx.stream()` ends with "stopped") and answers the new one.
 */
export type AssistantOverlap = 'queue' | 'drop' | 'interrupt'

/**
 * Options of `bot.assistant()`.
 *
 * @example
 * ```ts
 * const options: AssistantOptions = { overlap: 'interrupt' }
 * ```
 */
export interface AssistantOptions {
  overlap?: AssistantOverlap
}

/** How long a thread the assistant answered keeps being followed without a mention. */
const FOLLOW_MS = 7 * 24 * 3_600_000
/** Threads followed in memory at most (the least recently answered is forgotten first). */
const MAX_FOLLOWED = 50_000

/** @internal The state of one bot's assistant. */
export class Assistant {
  readonly overlap: AssistantOverlap
  /** In cluster mode: the threads any replica answered. */
  store: ControlStore | undefined
  /** Thread root → when the assistant last answered there (oldest first; bounded, for months of uptime). */
  readonly #threads = new Map<string, number>()
  /** Thread root → the running answer's abort. */
  readonly #running = new Map<string, AbortController>()
  /** Posts that arrived while their thread was busy, under `'drop'`. */
  readonly #dropped = new Set<string>()

  constructor(options: AssistantOptions = {}) {
    const overlap = options.overlap ?? 'queue'
    if (!['queue', 'drop', 'interrupt'].includes(overlap))
      throw new ArgumentError(
        `assistant overlap must be 'queue', 'drop' or 'interrupt', got ${String(overlap)}.`,
      )
    this.overlap = overlap
  }

  /** Whether the assistant answers this message. */
  async wants(ctx: MessageContext): Promise<boolean> {
    const props = ctx.post.props ?? {}
    // As the Agents plugin: never a webhook, another bot only when its post asks (activate_ai).
    if (props.from_webhook === 'true') return false
    if (props.from_bot === 'true' && !props.activate_ai) return false
    if (ctx.isDirect || ctx.isMention) return true
    const root = ctx.post.root_id
    if (!root) return false
    const at = this.#threads.get(root)
    if (at !== undefined && at > Date.now() - FOLLOW_MS) return true
    return (await this.store?.get(`assistant:${root}`).catch(() => undefined)) !== undefined
  }

  /** A post arrived (before it waits in its thread's queue): apply the overlap policy. */
  arrived(post: Post): void {
    const root = post.root_id
    const running = root ? this.#running.get(root) : undefined
    if (!running) return
    if (this.overlap === 'interrupt') running.abort()
    else if (this.overlap === 'drop') this.#dropped.add(post.id)
  }

  /** Run the handler for one question, in its thread, interruptible. */
  async run(ctx: MessageContext, handler: (ctx: MessageContext) => unknown): Promise<void> {
    if (this.#dropped.delete(ctx.post.id)) return
    const root = ctx.post.root_id || ctx.post.id
    this.#threads.delete(root)
    this.#threads.set(root, Date.now())
    if (this.#threads.size > MAX_FOLLOWED) this.#threads.delete(this.#threads.keys().next().value as string)
    void this.store?.set(`assistant:${root}`, '1', FOLLOW_MS).catch(() => {})
    const ac = new AbortController()
    this.#running.set(root, ac)
    ctx[IN_THREAD] = true
    ctx[INTERRUPT] = ac.signal
    try {
      await handler(ctx)
    } finally {
      if (this.#running.get(root) === ac) this.#running.delete(root)
    }
  }
}
