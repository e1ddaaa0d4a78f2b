/**
 * Raw WebSocket frames as the server sends them (events and action replies).
 * @module
 */
import type { AppErrorBody } from './models.js'

/** A raw WebSocket event frame as the server sends it. */
export interface RawWebSocketEvent {
  event: string
  data: Record<string, unknown>
  broadcast: {
    omit_users: Record<string, boolean> | null
    user_id: string
    channel_id: string
    team_id: string
    connection_id?: string
    omit_connection_id?: string
    contains_sanitized_data?: boolean
    contains_sensitive_data?: boolean
  }
  seq: number
}

/** A raw WebSocket response frame (`seq_reply`). */
export interface RawWebSocketResponse {
  status: 'OK' | 'FAIL'
  seq_reply?: number
  data?: Record<string, unknown>
  error?: AppErrorBody
}
