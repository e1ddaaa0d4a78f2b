/**
 * In-band WebSocket authentication: a socket opened without a valid token waits for an
 * `authentication_challenge` frame (`app/platform/websocket_router.go`). What the real router does, in its order:
 * a frame without `action` or with `seq <= 0` gets the usual error reply; a challenge whose token
 * is not a string, or does not resolve to a session (the same resolution REST uses), drops the
 * connection without a close frame (gorilla's `Conn.Close`); any other action before
 * authentication gets a 401 `api.web_socket_router.not_authenticated.app_error` reply.
 * @module
 */
import type { WebSocket } from 'ws'
import { sessionForToken } from './auth.js'
import type { Store } from './store.js'
import type { Session } from './store-types.js'

/** Called once the challenge succeeds, with the session and the challenge's `seq`. */
export type OnAuthenticated = (session: Session, seq: number) => void

/** Listen for the challenge on `ws`; close it after `timeoutMs` without one. */
export function awaitChallenge(
  ws: WebSocket,
  store: Store,
  timeoutMs: number,
  onAuth: OnAuthenticated,
): void {
  const timer = setTimeout(() => ws.close(), timeoutMs)
  const fail = (seq: number, status: number, id: string, message: string): void =>
    ws.send(
      JSON.stringify({
        status: 'FAIL',
        seq_reply: seq,
        error: { id, message, detailed_error: '', status_code: status },
      }),
    )
  const onMessage = (raw: Buffer): void => {
    let msg: { seq?: unknown; action?: unknown; data?: { token?: unknown } }
    try {
      msg = JSON.parse(raw.toString())
    } catch {
      ws.terminate()
      return
    }
    if (!msg || typeof msg !== 'object') return void ws.terminate()
    const seq = typeof msg.seq === 'number' ? msg.seq : 0
    if (!msg.action)
      return fail(seq, 400, 'api.web_socket_router.no_action.app_error', 'No websocket action.')
    if (seq <= 0)
      return fail(
        seq,
        400,
        'api.web_socket_router.bad_seq.app_error',
        'Invalid sequence for WebSocket message.',
      )
    if (msg.action !== 'authentication_challenge')
      return fail(
        seq,
        401,
        'api.web_socket_router.not_authenticated.app_error',
        'No websocket authentication.',
      )
    const token = msg.data?.token
    const session = typeof token === 'string' ? sessionForToken(store, token) : undefined
    if (!session) {
      ws.terminate()
      return
    }
    clearTimeout(timer)
    ws.off('message', onMessage)
    onAuth(session, seq)
  }
  ws.on('message', onMessage)
  ws.on('close', () => clearTimeout(timer))
  ws.on('error', () => {})
}
