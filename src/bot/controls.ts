/**
 * The buttons the bot puts on its own posts and answers itself: a streaming answer's Stop
 * button and `ctx.confirm()`'s approve/reject buttons. Who may press them travels in the signed
 * button context (decision 7), so any replica can check a press without memory of the post; the
 * waiting side (the stream, the confirm) is told in this process, or through the cluster store
 * when the press reached another replica.
 * @module
 */
import { randomBytes } from 'node:crypto'
import { MatterkitError } from '../core/errors.js'
import type { ActionContext } from './contexts/action.js'

/** The built-in action ids (the bot answers them before any listener; `mk_` is reserved). */
export const STOP_ACTION = 'mk_stop'
export const CONFIRM_YES = 'mk_confirm_yes'
export const CONFIRM_NO = 'mk_confirm_no'
/** Whether an action id is one of the bot's own controls. */
export const isControl = (actionId: string): boolean =>
  actionId === STOP_ACTION || actionId === CONFIRM_YES || actionId === CONFIRM_NO

/** @internal Shared state the controls use across replicas (the cluster store), when there is one. */
export interface ControlStore {
  get(key: string): Promise<string | undefined>
  set(key: string, value: string, ttlMs?: number): Promise<void>
}

interface Waiting {
  requester: string
  settle(value: string): void
}

/** @internal The controls of one bot. */
export class Controls {
  /** Set in cluster mode: presses that reached another replica are passed on through it. */
  store: ControlStore | undefined
  readonly #waiting = new Map<string, Waiting>()
  /** Question post id → stream id: deleting the question stops its answer. */
  readonly #byQuestion = new Map<string, string>()

  /**
   * A stopwatch for one streamed answer: `signal` aborts on Stop (or when the question is deleted).
   * `end()` forgets it.
   */
  stream(
    requester: string,
    questionId: string | undefined,
  ): { id: string; signal: AbortSignal; end(): void } {
    const id = randomBytes(9).toString('base64url')
    const ac = new AbortController()
    const poll = this.#poll(`stop:${id}`, () => ac.abort())
    this.#waiting.set(id, { requester, settle: () => ac.abort() })
    if (questionId) this.#byQuestion.set(questionId, id)
    return {
      id,
      signal: ac.signal,
      end: () => {
        clearInterval(poll)
        this.#waiting.delete(id)
        if (questionId) this.#byQuestion.delete(questionId)
      },
    }
  }

  /** A pending confirm: resolves with the answer, or rejects after `timeoutMs`. */
  confirm(requester: string, timeoutMs: number): { id: string; answer: Promise<boolean>; end(): void } {
    const id = randomBytes(9).toString('base64url')
    let poll: NodeJS.Timeout | undefined
    let timer: NodeJS.Timeout | undefined
    const answer = new Promise<boolean>((resolve, reject) => {
      const settle = (v: string): void => {
        clearInterval(poll)
        clearTimeout(timer)
        this.#waiting.delete(id)
        resolve(v === 'yes')
      }
      this.#waiting.set(id, { requester, settle })
      poll = this.#poll(`confirm:${id}`, settle)
      timer = setTimeout(() => {
        clearInterval(poll)
        this.#waiting.delete(id)
        reject(
          new MatterkitError(
            'MK_ERR_CONVERSATION_TIMEOUT',
            `No answer to the confirmation within ${timeoutMs} ms.`,
          ),
        )
      }, timeoutMs)
      timer.unref?.()
    })
    return {
      id,
      answer,
      end: () => {
        clearInterval(poll)
        clearTimeout(timer)
        this.#waiting.delete(id)
      },
    }
  }

  /** A post was deleted: if it was a question being answered, stop the answer. */
  deleted(postId: string): void {
    const id = this.#byQuestion.get(postId)
    if (id) this.#waiting.get(id)?.settle('stop')
  }

  /**
   * Answer a press of a built-in button. Only the requester (or a system admin) may press it;
   * others are told so, only to them.
   */
  async press(ctx: ActionContext, isAdmin: () => Promise<boolean>): Promise<void> {
    const { id, requester, text } = ctx.values as { id?: string; requester?: string; text?: string }
    if (typeof id !== 'string' || typeof requester !== 'string') return
    if (ctx.userId !== requester && !(await isAdmin())) {
      const who = await ctx.client.users
        .get(requester)
        .then(u => `@${u.username}`)
        .catch(() => 'the person who asked')
      ctx.ephemeral(
        ctx.actionId === STOP_ACTION ? `Only ${who} can stop this.` : `Only ${who} can answer this.`,
      )
      return
    }
    const value = ctx.actionId === STOP_ACTION ? 'stop' : ctx.actionId === CONFIRM_YES ? 'yes' : 'no'
    const local = this.#waiting.get(id)
    if (local) local.settle(value)
    else await this.store?.set(`${ctx.actionId === STOP_ACTION ? 'stop' : 'confirm'}:${id}`, value, 3_600_000)
    if (ctx.actionId !== STOP_ACTION) {
      const by = ctx.action.user_name ? ` by @${ctx.action.user_name}` : ''
      ctx.update({
        message: `${text ?? ''}\n\n${value === 'yes' ? `✅ Approved${by}` : `❌ Rejected${by}`}`,
        props: {},
      })
    }
  }

  /** In cluster mode, look for a press another replica received (every half second). */
  #poll(key: string, then: (value: string) => void): NodeJS.Timeout | undefined {
    const store = this.store
    if (!store) return undefined
    const t = setInterval(() => {
      store.get(key).then(
        v => {
          if (v !== undefined) {
            clearInterval(t)
            then(v)
          }
        },
        () => {},
      )
    }, 500)
    t.unref()
    return t
  }
}
