/**
 * The emulator's answers to WebSocket actions a client sends (`ping`, `user_typing`,
 * `get_statuses`, …), with the real server's replies and error ids (`server/channels/wsapi/`).
 * @module
 */

import { VERSION } from './http.js'
import type { Scope } from './hub.js'
import type { Store } from './store.js'

interface ActionMessage {
  seq?: unknown
  action?: unknown
  data?: Record<string, unknown>
}

/** Where an action's effects go: its reply (to the sender) and any broadcast. */
export interface ActionOutput {
  reply(body: Record<string, unknown>): void
  broadcast(event: string, data: Record<string, unknown>, scope: Scope): void
  /** Whether the socket's session is still valid (a logout or revoked token ends it). */
  authenticated(): boolean
  /** An `authentication_challenge` on a socket whose session ended: authenticate it anew. */
  reauthenticate(token: string): boolean
}

/**
 * Answer one client frame. Returns false when the frame does not decode into the server's
 * request struct (the caller closes the socket, as the real server does).
 */
export function answerAction(store: Store, userId: string, raw: Buffer, out: ActionOutput): boolean {
  const msg = decodeRequest(raw)
  if (!msg) return false
  try {
    dispatch(store, userId, msg, out)
  } catch {
    // No frame may take the process down; an action that fails answers as the router's 500.
    out.reply({
      status: 'FAIL',
      seq_reply: typeof msg.seq === 'number' ? msg.seq : 0,
      error: {
        id: 'api.web_socket_router.bad_action.app_error',
        message: '',
        detailed_error: '',
        status_code: 500,
      },
    })
  }
  return true
}

/**
 * platform/web_conn.go readPump decodes each frame into model.WebSocketRequest
 * (`seq` int64, `action` string, `data` map) and ends the connection when that fails: a
 * non-object, a wrongly typed field or a binary frame that is not such a request. `null`
 * (whole or per field) decodes to the zero value, which the router then refuses.
 */
function decodeRequest(raw: Buffer): ActionMessage | undefined {
  let v: unknown
  try {
    v = JSON.parse(raw.toString())
  } catch {
    return undefined
  }
  if (v === null) return {}
  if (typeof v !== 'object' || Array.isArray(v)) return undefined
  const m = v as Record<string, unknown>
  const seq = m.seq ?? undefined
  const action = m.action ?? undefined
  const data = m.data ?? undefined
  if (seq !== undefined && !(typeof seq === 'number' && Number.isSafeInteger(seq))) return undefined
  if (action !== undefined && typeof action !== 'string') return undefined
  if (data !== undefined && (typeof data !== 'object' || Array.isArray(data))) return undefined
  return { seq, action, data: data as Record<string, unknown> | undefined }
}

function dispatch(store: Store, userId: string, msg: ActionMessage, out: ActionOutput): void {
  const seq = typeof msg.seq === 'number' ? msg.seq : 0
  const reply = (body: Record<string, unknown>): void => {
    out.reply({ ...body, seq_reply: seq })
  }
  const fail = (status: number, id: string, message: string): void =>
    reply({ status: 'FAIL', error: { id, message, detailed_error: '', status_code: status } })
  // The router checks the action before the seq.
  if (!msg.action) return fail(400, 'api.web_socket_router.no_action.app_error', 'No websocket action.')
  if (seq <= 0)
    return fail(400, 'api.web_socket_router.bad_seq.app_error', 'Invalid sequence for WebSocket message.')
  const data = msg.data ?? {}
  if (!out.authenticated()) {
    // WebConn.IsAuthenticated failed (the session ended): only a new challenge is heard.
    if (
      msg.action === 'authentication_challenge' &&
      typeof data.token === 'string' &&
      out.reauthenticate(data.token)
    )
      return reply({ status: 'OK' })
    return fail(
      401,
      'api.web_socket_router.not_authenticated.app_error',
      'The connection is not authenticated.',
    )
  }
  switch (msg.action) {
    case 'authentication_challenge':
      return // already authenticated: ignored with no reply
    case 'ping':
      return reply({
        status: 'OK',
        data: { text: 'pong', version: VERSION, server_time: store.wallNow(), node_id: '' },
      })
    case 'user_typing': {
      const channelId = String(data.channel_id ?? '')
      if (!store.isChannelMember(channelId, userId))
        return fail(400, 'api.websocket_handler.invalid_param.app_error', 'Invalid channel_id parameter.')
      out.broadcast(
        'typing',
        { parent_id: String(data.parent_id ?? ''), user_id: userId },
        { channel_id: channelId, omit_users: { [userId]: true } },
      )
      return reply({ status: 'OK' })
    }
    case 'get_statuses': {
      const statuses: Record<string, string> = {}
      for (const s of store.statuses.values()) if (s.status !== 'offline') statuses[s.user_id] = s.status
      return reply({ status: 'OK', data: statuses })
    }
    case 'get_statuses_by_ids': {
      const ids = Array.isArray(data.user_ids) ? data.user_ids : []
      const statuses: Record<string, string> = {}
      for (const id of ids) statuses[String(id)] = store.statuses.get(String(id))?.status ?? 'offline'
      return reply({ status: 'OK', data: statuses })
    }
    case 'user_update_active_status':
    case 'presence':
    case 'posted_notify_ack':
      return reply({ status: 'OK' })
    default:
      return fail(500, 'api.web_socket_router.bad_action.app_error', 'Unknown WebSocket action.')
  }
}
