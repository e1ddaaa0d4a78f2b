/**
 * WebSocket actions that await the server's answer: each request carries a `seq`, and the
 * response frame names it in `seq_reply`.
 * @module
 */
import type WebSocket from 'ws'
import { MatterkitError } from '../core/errors.js'
import type { RawWebSocketResponse } from '../types/index.js'
import { RealtimeClosedError } from './options.js'

interface Pending {
  resolve(v: RawWebSocketResponse): void
  reject(e: Error): void
  timer: NodeJS.Timeout
}

/** Requests in flight on one realtime client, matched to their replies. */
export class PendingActions {
  #seq = 0
  #pending = new Map<number, Pending>()

  /** Send `action` on `ws`; resolves with the reply, rejects on timeout or when the socket closes. */
  send(
    ws: WebSocket | undefined,
    action: string,
    data: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<RawWebSocketResponse> {
    if (ws?.readyState !== 1) return Promise.reject(new RealtimeClosedError('Not connected'))
    const seq = ++this.#seq
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(seq)
        reject(
          new MatterkitError(
            'MK_ERR_TIMEOUT',
            `WebSocket action ${action} got no reply within ${timeoutMs} ms`,
          ),
        )
      }, timeoutMs)
      this.#pending.set(seq, { resolve, reject, timer })
      ws.send(JSON.stringify({ seq, action, data }))
    })
  }

  /** Like {@link send}, for a reply that must be `OK`: resolves with its data, throws the server's error otherwise. */
  async sendOk(
    ws: WebSocket | undefined,
    action: string,
    data: Record<string, unknown>,
    timeoutMs: number,
  ): Promise<Record<string, unknown>> {
    const r = await this.send(ws, action, data, timeoutMs)
    if (r.status !== 'OK')
      throw new MatterkitError(
        'MK_ERR_API',
        `${action} failed: ${r.error?.message ?? 'unknown error'} [${r.error?.id ?? ''}]`,
      )
    return r.data ?? {}
  }

  /** Settle the request a reply frame answers (unknown replies are ignored). */
  settle(reply: RawWebSocketResponse): void {
    const seq = reply.seq_reply
    const p = seq === undefined ? undefined : this.#pending.get(seq)
    if (!p) return
    this.#pending.delete(seq!)
    clearTimeout(p.timer)
    p.resolve(reply)
  }

  /** The socket closed: every request in flight fails. */
  rejectAll(): void {
    for (const p of this.#pending.values()) {
      clearTimeout(p.timer)
      p.reject(new RealtimeClosedError('The connection closed before the reply arrived'))
    }
    this.#pending.clear()
  }
}
